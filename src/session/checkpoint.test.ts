import { describe, expect, it } from "vitest";
import type { StreamCheckpointTiming, StreamProgress } from "../engine/checkpoint.ts";
import { type InferenceResult, KeyInferenceResult } from "../engine/engine.ts";
import type { GeppettoEvent } from "../events/types.ts";
import { ScriptedEngine, type ScriptStep, script } from "../testing/scripted-engine.ts";
import type { SnapshotPhase } from "../toolloop/snapshot.ts";
import type { Turn } from "../turns/types.ts";
import { EngineBuilder } from "./engine-builder.ts";
import { Session } from "./session.ts";
import { MemoryTurnStore } from "./turn-store.ts";

const answerText = (turn: Turn) =>
  turn.blocks
    .filter((block) => block.kind === "llm_text")
    .map((block) => (block.payload as { text: string }).text)
    .join("");

/** A memory store that records each save and checkpoint (the turn's text as stored right after it). */
class RecordingStore extends MemoryTurnStore {
  readonly saves: { phase: SnapshotPhase; text: string; result: InferenceResult | undefined }[] = [];
  failStreaming = false;
  #inCheckpoint = false;
  override async save(sessionId: string, turn: Turn, phase: SnapshotPhase): Promise<void> {
    await super.save(sessionId, turn, phase);
    if (!this.#inCheckpoint) this.#record(phase, turn);
  }
  override async checkpoint(sessionId: string, progress: StreamProgress): Promise<void> {
    if (this.failStreaming) throw new Error("disk full");
    this.#inCheckpoint = true;
    try {
      await super.checkpoint(sessionId, progress);
    } finally {
      this.#inCheckpoint = false;
    }
    this.#record("streaming", (await this.loadLatest(sessionId))!);
  }
  #record(phase: SnapshotPhase, turn: Turn): void {
    const result = turn.metadata[KeyInferenceResult.id] as InferenceResult | undefined;
    this.saves.push({ phase, text: answerText(turn), result });
  }
}

/** 40 deltas of 100 characters, 2 ms apart. */
function slowAnswer(): ScriptStep[] {
  const steps: ScriptStep[] = [];
  for (let index = 0; index < 40; index++)
    steps.push({ type: "text", text: `${index}`.padEnd(100, ".") }, script.pause(2));
  return steps;
}

async function run(
  store: RecordingStore,
  checkpoint: StreamCheckpointTiming,
  events: GeppettoEvent[] = [],
  steps: ScriptStep[] = slowAnswer(),
) {
  const builder = new EngineBuilder()
    .withBase(new ScriptedEngine(steps))
    .withPersister(store)
    .withCheckpoint(checkpoint)
    .withSinks({ publish: (event) => void events.push(event) });
  const session = new Session({ id: "s1", runner: builder });
  session.appendNewTurnFromUserPrompt("go");
  return session.startInference().wait();
}

describe("streaming checkpoints", () => {
  it("saves the partial answer while it streams, marked interrupted, then the final save overwrites it", async () => {
    const store = new RecordingStore();
    const turn = await run(store, { everyMs: 5, minBytes: 150 });
    const answer = (turn.blocks.at(-1)!.payload as { text: string }).text;
    expect(answer.length).toBe(4000);
    const streaming = store.saves.filter((save) => save.phase === "streaming");
    expect(streaming.length).toBeGreaterThan(1);
    // Bounded: never a save per delta (each needs at least 150 characters, so 2 deltas).
    expect(streaming.length).toBeLessThanOrEqual(20);
    for (const save of streaming) {
      expect(answer.startsWith(save.text)).toBe(true);
      expect(save.result?.finishClass).toBe("interrupted");
    }
    expect(store.saves.at(-1)!.phase).toBe("final");
    expect(store.saves.findLastIndex((save) => save.phase === "streaming")).toBeLessThan(
      store.saves.findIndex((save) => save.phase === "post_inference"),
    );
    const [stored] = await store.loadSession("s1");
    expect(stored).toEqual(turn);
    expect((await store.listTurns("s1"))[0]!.phase).toBe("final");
  });

  it("waits for the interval: no checkpoint when the stream is shorter than it", async () => {
    const store = new RecordingStore();
    await run(store, { everyMs: 60_000, minBytes: 1 });
    expect(store.saves.some((save) => save.phase === "streaming")).toBe(false);
  });

  it("in a slow stream, saves within maxDelayMs of the first unsaved delta although minBytes never came", async () => {
    const store = new RecordingStore();
    const steps: ScriptStep[] = [];
    for (let index = 0; index < 30; index++) steps.push({ type: "text", text: "ab" }, script.pause(2));
    await run(store, { everyMs: 5, minBytes: 1_000_000, maxDelayMs: 10 }, [], steps);
    const streaming = store.saves.filter((save) => save.phase === "streaming");
    expect(streaming.length).toBeGreaterThan(0);
    for (const save of streaming) expect("ab".repeat(30).startsWith(save.text)).toBe(true);
  });

  it("is off with withCheckpoint(false)", async () => {
    const store = new RecordingStore();
    const builder = new EngineBuilder()
      .withBase(new ScriptedEngine(slowAnswer()))
      .withPersister(store)
      .withCheckpoint(false);
    const session = new Session({ id: "s1", runner: builder });
    session.appendNewTurnFromUserPrompt("go");
    await session.startInference().wait();
    expect(store.saves.some((save) => save.phase === "streaming")).toBe(false);
  });

  it("reports a failing checkpoint as a log event and the answer still completes", async () => {
    const store = new RecordingStore();
    store.failStreaming = true;
    const events: GeppettoEvent[] = [];
    const turn = await run(store, { everyMs: 5, minBytes: 150 }, events);
    expect((turn.blocks.at(-1)!.payload as { text: string }).text.length).toBe(4000);
    const logs = events.filter((event) => event.type === "log");
    expect(logs.length).toBeGreaterThan(0);
    expect(logs[0]).toMatchObject({ level: "error", message: "streaming checkpoint failed: disk full" });
    expect(store.saves.at(-1)!.phase).toBe("final");
  });
});
