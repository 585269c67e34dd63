import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it, vi } from "vitest";
import { WebSocket } from "ws";
import { startDefaultProviderServer } from "../testing/provider-server/index.ts";
import type { TimelineSnapshot } from "../webchat/frames.ts";
import { main } from "./main.ts";
import { createTestIO, type TestIO } from "./test-io.ts";

const directory = mkdtempSync(join(tmpdir(), "geppetto-webchat-command-"));
afterAll(() => rmSync(directory, { recursive: true, force: true }));

let count = 0;
/** A clean environment (no provider, no config files) with its own stores. */
function setup(extra: Record<string, string> = {}): { home: string; env: Record<string, string> } {
  const home = join(directory, `home-${++count}`);
  return {
    home,
    env: {
      HOME: home,
      XDG_CONFIG_HOME: join(home, ".config"),
      XDG_DATA_HOME: join(home, ".local/share"),
      ...extra,
    },
  };
}

/** Runs `geppetto webchat` until it prints its URL; returns the URL and a way to stop it (Ctrl-C). */
async function serve(argv: string[], io: TestIO): Promise<{ url: string; stop(): Promise<number> }> {
  const url = new Promise<string>((resolve) =>
    io.onStdout((chunk) => {
      const match = /geppetto webchat: (http:\/\/\S+\/)/.exec(chunk);
      if (match) resolve(match[1]!);
    }),
  );
  const exited = main(["webchat", "--port", "0", ...argv], io);
  const shown = await Promise.race([
    url,
    exited.then((code) => Promise.reject(new Error(`exit ${code}: ${io.err}`))),
  ]);
  return {
    url: shown,
    stop() {
      io.interrupt();
      return exited;
    },
  };
}

describe("geppetto webchat", () => {
  it("--help documents the options, the default port and examples", async () => {
    const io = createTestIO();
    expect(await main(["webchat", "--help"], io)).toBe(0);
    expect(io.out).toMatch(/http:\/\/127\.0\.0\.1:8765\//);
    expect(io.out).toMatch(/--auth-token TOKEN/);
    expect(io.out).toMatch(/Examples:\n {2}geppetto webchat /);
  });

  it("bad usage exits 2 with the reason", async () => {
    const cases: [string[], RegExp][] = [
      [["webchat", "--host", "0.0.0.0"], /--host 0\.0\.0\.0 is not a loopback address: set --auth-token/],
      [["webchat", "--port", "eighty"], /--port must be a number from 0 to 65535 \(got "eighty"\)/],
      [["webchat", "--busy", "maybe"], /--busy must be one of reject, queue, interrupt/],
      [["webchat", "--tools", "kitchen"], /--tools: unknown tool set "kitchen"/],
      [["webchat", "now"], /webchat takes no arguments/],
    ];
    for (const [argv, message] of cases) {
      const io = createTestIO({ env: setup().env });
      expect(await main(argv, io)).toBe(2);
      expect(io.err).toMatch(message);
    }
  });

  it("serves on a free port with the local default, and stops on Ctrl-C", async () => {
    const { env } = setup();
    const io = createTestIO({ env });
    const server = await serve([], io);
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    expect(io.err).toMatch(/no provider configured/);
    const started = await fetch(new URL("/chat", server.url), {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ prompt: "Hello" }),
    });
    const { conv_id: convId } = (await started.json()) as { conv_id: string };
    await vi.waitFor(async () => {
      const snapshot = (await (
        await fetch(new URL(`/api/timeline?conv_id=${convId}`, server.url))
      ).json()) as TimelineSnapshot;
      expect(snapshot.entities.at(-1)).toMatchObject({ status: "done" });
      expect(snapshot.entities.at(-1)!.text).toContain('You said: "Hello"');
    });
    const badProfile = await fetch(new URL("/chat", server.url), {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ prompt: "Hello", profile: "no-such-profile" }),
    });
    expect(badProfile.status).toBe(400);
    expect(((await badProfile.json()) as { error: string }).error).toMatch(/no-such-profile/);
    expect(await server.stop()).toBe(0);
  });

  it("never puts the API key in frames, the timeline or its file", async () => {
    const provider = await startDefaultProviderServer();
    const secret = "sk-test-webchat-SECRET-4242";
    const { home, env } = setup({ OPENAI_API_KEY: secret });
    const io = createTestIO({ env });
    try {
      const server = await serve(
        ["--ai-api-type", "openai", "--ai-engine", "gpt-test", "--ai-base-url", provider.baseURL()],
        io,
      );
      const started = await fetch(new URL("/chat", server.url), {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ prompt: "Hello" }),
      });
      const { conv_id: convId } = (await started.json()) as { conv_id: string };
      const socket = new WebSocket(new URL(`/ws?conv_id=${convId}`, server.url).href.replace("http", "ws"));
      const frames: string[] = [];
      socket.on("message", (data) => frames.push(String(data)));
      let snapshot = "";
      await vi.waitFor(async () => {
        snapshot = await (await fetch(new URL(`/api/timeline?conv_id=${convId}`, server.url))).text();
        expect((JSON.parse(snapshot) as TimelineSnapshot).entities.at(-1)).toMatchObject({ status: "done" });
      });
      socket.close();
      expect(await server.stop()).toBe(0);
      expect(snapshot).toContain('You said: \\"Hello\\"');
      const timelineFile = readFileSync(join(home, ".local/share/geppetto/webchat.db"), "latin1");
      for (const text of [snapshot, frames.join("\n"), timelineFile, io.out, io.err])
        expect(text).not.toContain(secret);
      expect(provider.requests.at(-1)?.headers.authorization).toBe(`Bearer ${secret}`);
    } finally {
      await provider.close();
    }
  });
});
