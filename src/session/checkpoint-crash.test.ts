import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { KeyInferenceResult } from "../engine/engine.ts";
import { ScriptedEngine, script } from "../testing/scripted-engine.ts";
import type { Turn } from "../turns/types.ts";
import { EngineBuilder } from "./engine-builder.ts";
import { Session } from "./session.ts";
import { openSqliteTurnStore } from "./sqlite-turn-store.ts";

const child = fileURLToPath(new URL("./__fixtures__/crash-child.ts", import.meta.url));
const directory = mkdtempSync(join(tmpdir(), "geppetto-checkpoint-crash-"));
afterAll(() => rmSync(directory, { recursive: true, force: true }));

interface Delta {
  turnId: string;
  at: number;
  text: string;
}

/** Runs the streaming child and kills it with SIGKILL after `killAfter` announced deltas; every delta it announced. */
function streamAndKill(path: string, killAfter: number): Promise<Delta[]> {
  return new Promise((resolve, reject) => {
    const processHandle = spawn(
      process.execPath,
      ["--experimental-transform-types", "--no-warnings", child, path, "stream"],
      { stdio: ["ignore", "pipe", "pipe"] },
    );
    const deltas: Delta[] = [];
    let buffer = "";
    let stderr = "";
    let killed = false;
    processHandle.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    processHandle.stdout.on("data", (chunk: Buffer) => {
      buffer += chunk.toString();
      const lines = buffer.split("\n");
      buffer = lines.pop()!;
      for (const line of lines) {
        const [, turnId, at, ...text] = line.split(" ");
        deltas.push({ turnId: turnId!, at: Number(at), text: text.join(" ") });
        if (deltas.length >= killAfter && !killed) {
          killed = true;
          processHandle.kill("SIGKILL");
        }
      }
    });
    processHandle.on("error", reject);
    // `close`, not `exit`: every line the child wrote before it died has been read by then.
    processHandle.on("close", (code, signal) => {
      if (signal !== "SIGKILL") reject(new Error(`child exited with ${code}: ${stderr}`));
      else resolve(deltas);
    });
  });
}

/** The text of the answer being streamed in `turn`: its text blocks after the last user block. */
function answerText(turn: Turn): string {
  const lastUser = turn.blocks.findLastIndex((block) => block.kind === "user");
  return turn.blocks
    .slice(lastUser + 1)
    .map((block) => (block.kind === "llm_text" ? block.payload.text : ""))
    .join("");
}

interface Crash {
  path: string;
  phase: string;
  /** Milliseconds of streamed answer the store does not have (first missing delta to the last streamed one). */
  missingMs: number;
  /** Text pieces appended by checkpoints after the answer's first one (read back as part of the answer). */
  pieces: number;
}

async function countPieces(path: string): Promise<number> {
  const { DatabaseSync } = await import("node:sqlite");
  const database = new DatabaseSync(path);
  try {
    return Number((database.prepare("SELECT count(*) AS n FROM geppetto_pieces").get() as { n: number }).n);
  } finally {
    database.close();
  }
}

async function crashOnce(index: number, killAfter: number): Promise<Crash> {
  const path = join(directory, `crash-${index}.db`);
  const deltas = await streamAndKill(path, killAfter);
  const last = deltas.at(-1)!;
  const streamed = deltas.filter((delta) => delta.turnId === last.turnId);
  const store = await openSqliteTurnStore(path);
  try {
    const latest = await store.loadLatest("crash-session");
    expect(latest?.id).toBe(last.turnId);
    const info = (await store.listTurns("crash-session")).at(-1)!;
    const stored = answerText(latest!);
    const full = streamed.map((delta) => delta.text).join("");
    expect(full.startsWith(stored), `stored text is a prefix of the streamed answer (crash ${index})`).toBe(
      true,
    );
    if (info.phase === "streaming") expect(KeyInferenceResult.get(latest!)?.finishClass).toBe("interrupted");
    let length = 0;
    const firstMissing = streamed.find((delta) => {
      length += delta.text.length;
      return length > stored.length;
    });
    return { path, phase: info.phase, missingMs: firstMissing ? last.at - firstMissing.at : 0, pieces: 0 };
  } finally {
    await store.close();
  }
}

describe("streaming checkpoints under kill -9", () => {
  const crashes: Crash[] = [];

  it("after 50 crashes the stored answer is a prefix of what streamed, at most 1 s of it missing", async () => {
    // Kill points spread over the first two answers (600 deltas of 2 ms each), three children at a time.
    let seed = 14;
    const killPoints = Array.from({ length: 50 }, () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return 5 + (seed % 1000);
    });
    let next = 0;
    const worker = async () => {
      while (next < killPoints.length) {
        const index = next++;
        const crash = await crashOnce(index, killPoints[index]!);
        crashes.push({ ...crash, pieces: await countPieces(crash.path) });
      }
    };
    await Promise.all([worker(), worker(), worker()]);
    expect(crashes.length).toBe(50);
    for (const crash of crashes) expect(crash.missingMs).toBeLessThanOrEqual(1000);
    // Many crashes land in an answer that has streamed for longer than a checkpoint interval (about half).
    expect(crashes.filter((crash) => crash.phase === "streaming").length).toBeGreaterThanOrEqual(15);
    // Some crashes land after a later checkpoint of an answer, which appended pieces to its first.
    const withPieces = crashes.filter((crash) => crash.pieces > 0).length;
    expect(withPieces, `crashes with appended pieces: ${withPieces}`).toBeGreaterThanOrEqual(5);
  }, 600_000);

  it("a resumed session continues from the partial answer (its first checkpoint and the pieces appended since)", async () => {
    const crash = crashes.find((candidate) => candidate.phase === "streaming" && candidate.pieces > 0);
    expect(crash).toBeDefined();
    const store = await openSqliteTurnStore(crash!.path);
    try {
      const history = await store.loadSession("crash-session");
      const partial = answerText(history.at(-1)!);
      expect(partial.length).toBeGreaterThan(0);
      const engine = new ScriptedEngine(script.text("continuing"), { recordInputs: true });
      const builder = new EngineBuilder().withBase(engine).withPersister(store);
      const session = new Session({ id: "crash-session", runner: builder, history });
      session.appendNewTurnFromUserPrompt("go on");
      const turn = await session.startInference().wait();
      const input = engine.inputs[0]!;
      expect(input.blocks.some((block) => block.kind === "llm_text" && block.payload.text === partial)).toBe(
        true,
      );
      expect(input.blocks.at(-1)).toMatchObject({ kind: "user", payload: { text: "go on" } });
      expect((await store.loadLatest("crash-session"))?.id).toBe(turn.id);
      expect((await store.listTurns("crash-session")).at(-1)?.phase).toBe("final");
    } finally {
      await store.close();
    }
  });
});
