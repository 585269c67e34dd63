import { describe, expect, it } from "vitest";
import { main } from "./main.ts";
import { createTestIO } from "./test-io.ts";

describe("geppetto serve-provider", () => {
  it("prints help with examples", async () => {
    const io = createTestIO();
    expect(await main(["serve-provider", "--help"], io)).toBe(0);
    expect(io.out).toContain("Examples:");
    expect(io.out).toContain("--fixture FILE");
  });

  it("serves a scripted text until interrupted", async () => {
    const io = createTestIO();
    const printed = new Promise<string>((resolve) => io.onStdout((chunk) => resolve(chunk.trim())));
    const exit = main(["serve-provider", "--text", "Hi from the CLI"], io);
    const baseURL = await printed;
    const response = await fetch(`${baseURL}/chat/completions`, { method: "POST", body: '{"model":"m"}' });
    const body = (await response.json()) as { choices: { message: { content: string } }[] };
    expect(body.choices[0]?.message.content).toBe("Hi from the CLI");
    io.interrupt();
    expect(await exit).toBe(0);
  });

  it("prints each protocol's base URL and answers with a tool call", async () => {
    const io = createTestIO();
    const printed = new Promise<string>((resolve) => io.onStdout((chunk) => resolve(chunk.trim())));
    const exit = main(["serve-provider", "--tool-call", 'get_weather={"city":"Oslo"}'], io);
    const baseURL = await printed;
    for (const protocol of ["openai-chat", "openai-responses", "anthropic", "gemini", "ollama"]) {
      expect(io.err).toMatch(new RegExp(`${protocol}\\s+http://127\\.0\\.0\\.1:\\d+`));
    }
    const response = await fetch(`${baseURL}/chat/completions`, { method: "POST", body: '{"model":"m"}' });
    const body = (await response.json()) as {
      choices: { message: { tool_calls: { function: { name: string; arguments: string } }[] } }[];
    };
    const call = body.choices[0]?.message.tool_calls[0]?.function;
    expect([call?.name, JSON.parse(call?.arguments ?? "null")]).toEqual(["get_weather", { city: "Oslo" }]);
    io.interrupt();
    expect(await exit).toBe(0);
  });

  it("rejects two answer sources with exit code 2", async () => {
    const io = createTestIO();
    expect(await main(["serve-provider", "--text", "a", "--tokens", "3"], io)).toBe(2);
    expect(io.err).toContain("at most one of");
  });
});
