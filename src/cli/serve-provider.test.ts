import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import WebSocket from "ws";
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

  it("--replay serves a realtime recording over WebSocket", async () => {
    const directory = await mkdtemp(join(tmpdir(), "geppetto-replay-cli-"));
    try {
      const file = join(directory, "hello.realtime.jsonl");
      const header = {
        format: "geppetto-realtime-recording",
        version: 1,
        protocol: "openai-realtime",
        date: "2026-12-02T03:00:00.000Z",
        source: "written by this test",
      };
      const lines = [
        header,
        { direction: "server", timeMs: 0, text: '{"type":"session.created"}' },
        { direction: "client", timeMs: 1, text: '{"type":"session.update"}' },
        { direction: "server", timeMs: 2, text: '{"type":"session.updated"}' },
      ];
      await writeFile(file, lines.map((line) => JSON.stringify(line)).join("\n"));
      const io = createTestIO();
      const printed = new Promise<string>((resolve) =>
        io.onStdout((chunk) => resolve(chunk.split("\n")[0]!)),
      );
      const exit = main(["serve-provider", "--replay", file], io);
      const socket = new WebSocket(await printed);
      const received: string[] = [];
      await new Promise<void>((resolve) => {
        socket.on("message", (data) => {
          received.push(data.toString());
          if (received.length === 1) socket.send('{"type":"session.update"}');
          else resolve();
        });
      });
      expect(received).toEqual(['{"type":"session.created"}', '{"type":"session.updated"}']);
      socket.close();
      io.interrupt();
      expect(await exit).toBe(0);
    } finally {
      await rm(directory, { recursive: true, force: true });
    }
  });

  it("--record needs --upstream, and goes with no answer option", async () => {
    const io = createTestIO();
    expect(await main(["serve-provider", "--record", "x.jsonl"], io)).toBe(2);
    expect(io.err).toContain("--record FILE and --upstream URL go together");
    const other = createTestIO();
    expect(await main(["serve-provider", "--replay", "x.jsonl", "--text", "hi"], other)).toBe(2);
    expect(other.err).toContain("--text does not go with --record or --replay");
  });
});
