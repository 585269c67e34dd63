import { describe, expect, it } from "vitest";
import { stripCodeFence } from "./code-fence.ts";

describe("stripCodeFence", () => {
  it("removes a fence and reports its language", () => {
    expect(stripCodeFence("```YAML\na: 1\n```\n")).toEqual({
      language: "yaml",
      body: "a: 1\n",
      fenced: true,
    });
    expect(stripCodeFence("\n  ```\na: 1\n```")).toEqual({ language: "", body: "a: 1\n", fenced: true });
  });

  it("leaves unfenced text alone, including a fence later in the text", () => {
    expect(stripCodeFence("a: 1")).toEqual({ language: "", body: "a: 1", fenced: false });
    const later = "a: |\n  ```js\n  x\n  ```\n";
    expect(stripCodeFence(later).body).toBe(later);
  });

  it("works on a fence that is still streaming", () => {
    expect(stripCodeFence("``")).toEqual({ language: "", body: "", fenced: true });
    expect(stripCodeFence("```ya")).toEqual({ language: "ya", body: "", fenced: true });
    expect(stripCodeFence("```yaml\na: 1\nb:")).toEqual({ language: "yaml", body: "a: 1\nb:", fenced: true });
  });
});
