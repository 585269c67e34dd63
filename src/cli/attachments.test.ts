import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { turnFromJson } from "../turns/serialization.ts";
import { main } from "./main.ts";
import { createTestIO } from "./test-io.ts";

function sandbox() {
  const root = mkdtempSync(join(tmpdir(), "geppetto-attach-"));
  const env = { HOME: root, XDG_CONFIG_HOME: join(root, "config"), XDG_DATA_HOME: join(root, "data") };
  return { root, io: () => createTestIO({ env, cwd: root }) };
}

describe("run --attach", () => {
  it("sends text files as fenced blocks after the prompt, images as image parts", async () => {
    const box = sandbox();
    writeFileSync(join(box.root, "notes.md"), "Use ```code``` here\n");
    writeFileSync(
      join(box.root, "dot.png"),
      Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    );
    const io = box.io();
    expect(
      await main(["run", "-o", "json", "--attach", "notes.md", "--attach", "dot.png", "Summarize"], io),
    ).toBe(0);
    const user = turnFromJson(io.out).blocks[0];
    expect(user?.kind).toBe("user");
    expect(user?.payload).toMatchObject({
      text: "Summarize\n\nnotes.md:\n````\nUse ```code``` here\n````",
      images: [{ mediaType: "image/png" }],
    });
  });

  it("a missing file, or a binary file that is not an image, is bad usage naming it", async () => {
    const box = sandbox();
    writeFileSync(join(box.root, "archive.zip"), Buffer.from("PK\u0003\u0004\0\u0001binary"));
    const missing = box.io();
    expect(await main(["run", "--attach", "nope.txt", "Hi"], missing)).toBe(2);
    expect(missing.err).toContain(
      `--attach nope.txt: cannot read ${join(box.root, "nope.txt")}: no such file`,
    );
    const binary = box.io();
    expect(await main(["run", "--attach", "archive.zip", "Hi"], binary)).toBe(2);
    expect(binary.err).toContain("--attach archive.zip: not a text file, an image or a PDF (.zip)");
  });
});
