import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { openSqliteTurnStore } from "./sqlite-turn-store.ts";

const child = fileURLToPath(new URL("./__fixtures__/crash-child.ts", import.meta.url));
let running: ChildProcess | undefined;
let directory: string | undefined;

afterEach(() => {
  if (running && running.exitCode === null) running.kill("SIGKILL");
  if (directory) rmSync(directory, { recursive: true, force: true });
});

/** Starts the child and kills it with SIGKILL after `killAfter` announced saves; resolves with the announcements. */
function runAndKill(
  path: string,
  killAfter: number,
): Promise<{ saves: string[]; signal: NodeJS.Signals | null }> {
  return new Promise((resolve, reject) => {
    const processHandle = spawn(
      process.execPath,
      ["--experimental-transform-types", "--no-warnings", child, path],
      {
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    running = processHandle;
    const saves: string[] = [];
    let buffer = "";
    let stderr = "";
    processHandle.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    processHandle.stdout.on("data", (chunk: Buffer) => {
      buffer += chunk.toString();
      const lines = buffer.split("\n");
      buffer = lines.pop()!;
      for (const line of lines) {
        saves.push(line);
        if (saves.length === killAfter) processHandle.kill("SIGKILL");
      }
    });
    processHandle.on("error", reject);
    processHandle.on("exit", (code, signal) => {
      if (signal !== "SIGKILL") reject(new Error(`child exited with ${code}: ${stderr}`));
      else resolve({ saves, signal });
    });
  });
}

describe("SqliteTurnStore under kill -9", () => {
  it.each([7, 23, 61])(
    "keeps every committed turn whole when the writer is killed mid-stream (after %i saves)",
    async (killAfter) => {
      directory = mkdtempSync(join(tmpdir(), "geppetto-crash-"));
      const path = join(directory, "sessions.db");
      const { saves, signal } = await runAndKill(path, killAfter);
      expect(signal).toBe("SIGKILL");
      expect(saves.length).toBeGreaterThanOrEqual(killAfter);

      const store = await openSqliteTurnStore(path);
      try {
        expect(await store.listSessions()).toEqual(["crash-session"]);
        const turns = await store.loadSession("crash-session");
        const infos = await store.listTurns("crash-session");
        expect(turns.length).toBe(infos.length);
        const announced = new Set(saves.map((line) => line.split(" ")[1]));
        for (const id of announced) expect(infos.some((info) => info.turnId === id)).toBe(true);
        for (const turn of turns) {
          for (const block of turn.blocks) {
            if (block.kind === "llm_text") expect(block.payload.text).toMatch(/^(x{1000} )+$/);
            if (block.kind === "tool_call") expect((block.payload.args.text as string).length).toBe(20_000);
          }
        }
      } finally {
        await store.close();
      }
    },
  );
});
