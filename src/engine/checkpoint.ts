/**
 * Streaming checkpoints: while an answer streams, hand what changed since the previous checkpoint to a saver now
 * and then, so a crash (kill -9, power loss) loses at most the last moment of the answer instead of all of it.
 * What is saved is the answer text and reasoning so far (a tool call whose arguments are still streaming is saved
 * with empty arguments until it completes: half its arguments could not run anyway).
 *
 * A checkpoint ({@link StreamProgress}) says which blocks are new or changed since the previous one and which
 * text was appended to which block, so a store that appends (the SQLite and PostgreSQL stores keep a table of
 * appended pieces) writes per checkpoint what streamed since the previous one, not the answer so far.
 *
 * When a checkpoint is due:
 * - at least `everyMs` after the previous one AND at least `minBytes` streamed since (whichever comes later), so a
 *   fast stream is saved every `everyMs` and never once per token;
 * - in a slow stream (fewer than `minBytes` per interval), `maxDelayMs` after the first unsaved delta, so what a
 *   crash can lose is bounded in time too. That is still never sooner than `everyMs` after the previous one.
 *
 * Cost per delta: a counter add and two comparisons; the clock is read once per checkpoint period (at the first
 * unsaved delta) and timers do the waiting. Saves run one at a time and are not awaited by the stream; a failing
 * save is reported as a `log` event, never thrown into the stream.
 */
import { contextKey, publish, type RunContext } from "../events/context.ts";
import type { JsonObject } from "../turns/json.ts";
import type { Block, Turn } from "../turns/types.ts";

/** How often to checkpoint. */
export interface StreamCheckpointTiming {
  /** Least time between two checkpoints (ms). Default 500. */
  everyMs?: number;
  /** Least text (UTF-16 code units of answer and reasoning) between two checkpoints. Default 1024. */
  minBytes?: number;
  /** In a slow stream, the longest an unsaved delta waits for its checkpoint (ms). Default 750. */
  maxDelayMs?: number;
}

/** A block of the partial Turn, by its index in `turn.blocks`. */
export interface IndexedBlock {
  index: number;
  /** A copy the saver may keep (and freeze); its text is shared, not copied. */
  block: Block;
}

/** Text streamed onto the end of a block's `payload.text` (an answer or reasoning block), by block index. */
export interface AppendedText {
  index: number;
  text: string;
}

/**
 * One checkpoint: what changed in the streaming answer since the previous checkpoint of the same inference, and
 * (built only when read) the whole partial Turn. A saver that keeps what it saved last writes `changed` and
 * `appended`, so a checkpoint costs what streamed since the previous one, not the answer so far; a saver that
 * does not reads `turn` and saves it whole.
 *
 * When `full` is true (the inference's first checkpoint, or the first after a failed one), `changed` lists every
 * block the inference produced and the saver must save `turn` whole.
 */
export interface StreamProgress {
  readonly full: boolean;
  readonly turnId: string;
  /** The partial Turn's metadata (its inference result says `interrupted`) and data. */
  readonly metadata: JsonObject;
  readonly data: JsonObject;
  /** How many blocks the partial Turn has. */
  readonly blockCount: number;
  /** Index of the first block this inference produced (the blocks before are the input's, unchanged). */
  readonly firstOutputIndex: number;
  /** Blocks added since the previous checkpoint, or changed other than by appended text (a completed tool call). */
  readonly changed: readonly IndexedBlock[];
  /** Text appended since the previous checkpoint to blocks that are not in `changed`, in streaming order. */
  readonly appended: readonly AppendedText[];
  /** The whole partial Turn (the input's blocks, then copies of the output's): built on first read. */
  readonly turn: Turn;
}

/** How often to checkpoint, and where to. */
export interface StreamCheckpoint extends StreamCheckpointTiming {
  /** Saves one checkpoint of the partial answer (finish class `interrupted`). */
  save(progress: StreamProgress, ctx: RunContext): Promise<void>;
}

/**
 * What a checkpointer reads from the output it checkpoints (InferenceOutput provides it).
 *
 * @example
 * const source: CheckpointSource = { input, blocks, metadata: () => meta, takeText: () => "" };
 */
export interface CheckpointSource {
  /** The Turn the inference answers (its blocks come first in the partial Turn). */
  readonly input: Turn;
  /** The output's blocks so far, live (the checkpointer copies what it hands on). */
  readonly blocks: readonly Block[];
  /** The partial Turn's metadata as it stands (inference result `interrupted`). */
  metadata(): JsonObject;
  /**
   * The text streamed onto `block` since the previous call for it ("" when none); from then on that text counts
   * as saved. With `discard`, only marks it saved (the block is being saved whole).
   */
  takeText(block: Block, discard?: boolean): string;
}

/**
 * The run context slot that turns streaming checkpoints on (the EngineBuilder fills it when it has a persister).
 *
 * @example
 * const ctx = RunContext.background().with(StreamCheckpointKey, {
 *   save: (progress) => store.save("s1", progress.turn, "streaming"),
 * });
 */
export const StreamCheckpointKey = contextKey<StreamCheckpoint>("geppetto.stream_checkpoint");

/**
 * Checkpoints one inference's stream. InferenceOutput creates one when the context has a {@link StreamCheckpoint}.
 *
 * @example
 * const checkpointer = startCheckpointer(ctx, source);
 * checkpointer?.add(delta.length);
 * checkpointer?.changed(block); // a block changed other than by appended text
 * checkpointer?.stop();
 */
export class StreamCheckpointer {
  readonly #ctx: RunContext;
  readonly #save: StreamCheckpoint["save"];
  readonly #everyMs: number;
  readonly #minBytes: number;
  readonly #maxDelayMs: number;
  readonly #source: CheckpointSource;
  /** How many of the output's blocks the last saved checkpoint had; -1 before one was saved (or after one failed). */
  #known = -1;
  /** Blocks (below `#known`) changed other than by appended text since the last checkpoint. */
  readonly #changed = new Set<Block>();
  /** Text streamed since the last checkpoint. */
  #pending = 0;
  #firstUnsavedAt = 0;
  #lastAt = performance.now();
  /** `everyMs` has passed since the last checkpoint: the next `minBytes` make one due. */
  #timeDue = false;
  #inFlight = false;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #stopped = false;

  constructor(ctx: RunContext, config: StreamCheckpoint, source: CheckpointSource) {
    this.#ctx = ctx;
    this.#save = config.save;
    this.#everyMs = config.everyMs ?? 500;
    this.#minBytes = config.minBytes ?? 1024;
    this.#maxDelayMs = Math.max(config.maxDelayMs ?? 750, this.#everyMs);
    this.#source = source;
  }

  /** Notes a block changed other than by appended text (its next checkpoint writes it whole). */
  changed(block: Block): void {
    if (this.#known > 0) this.#changed.add(block);
  }

  /** Counts a streamed delta; saves when a checkpoint is due. */
  add(length: number): void {
    if (this.#stopped) return;
    if (this.#pending === 0) {
      this.#pending = length;
      this.#firstUnsavedAt = performance.now();
      if (!this.#inFlight) this.#schedule();
      return;
    }
    this.#pending += length;
    if (this.#timeDue && this.#pending >= this.#minBytes && !this.#inFlight) this.#checkpoint();
  }

  /** Ends checkpointing (the output ended): no save starts after this. */
  stop(): void {
    this.#stopped = true;
    this.#clearTimer();
  }

  /** After a checkpoint (or at the first delta): wait for `everyMs`, then for the bytes or the longest delay. */
  #schedule(): void {
    if (this.#timer !== undefined) return;
    const wait = this.#lastAt + this.#everyMs - performance.now();
    if (wait > 0) this.#timer = this.#setTimer(wait, () => this.#intervalUp());
    else this.#intervalUp();
  }

  #intervalUp(): void {
    this.#timer = undefined;
    this.#timeDue = true;
    const wait = this.#firstUnsavedAt + this.#maxDelayMs - performance.now();
    if (this.#pending >= this.#minBytes || wait <= 0) {
      this.#checkpoint();
      return;
    }
    this.#timer = this.#setTimer(wait, () => {
      this.#timer = undefined;
      this.#checkpoint();
    });
  }

  #setTimer(ms: number, action: () => void): ReturnType<typeof setTimeout> {
    const timer = setTimeout(action, ms);
    timer.unref?.();
    return timer;
  }

  #clearTimer(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #checkpoint(): void {
    if (this.#stopped || this.#inFlight || this.#pending === 0) return;
    this.#clearTimer();
    this.#pending = 0;
    this.#timeDue = false;
    this.#lastAt = performance.now();
    const progress = this.#progress();
    this.#inFlight = true;
    let saving: Promise<void>;
    try {
      saving = this.#save(progress, this.#ctx);
    } catch (error) {
      saving = Promise.reject(error);
    }
    saving
      .catch((error: unknown) => {
        // What this checkpoint held was not saved: the next one saves the whole partial Turn.
        this.#known = -1;
        publish(this.#ctx, {
          type: "log",
          level: "error",
          message: `streaming checkpoint failed: ${error instanceof Error ? error.message : String(error)}`,
          fields: { turnId: progress.turnId },
        });
      })
      .finally(() => {
        this.#inFlight = false;
        // Text that streamed during the save gets its own checkpoint, even if the stream pauses now.
        if (!this.#stopped && this.#pending > 0) this.#schedule();
      });
  }

  /** What changed since the last checkpoint; from now on it counts as saved. O(output blocks + new text). */
  #progress(): StreamProgress {
    const source = this.#source;
    const input = source.input;
    const blocks = source.blocks;
    const offset = input.blocks.length;
    const full = this.#known < 0;
    const changed: IndexedBlock[] = [];
    const appended: AppendedText[] = [];
    for (let index = 0; index < blocks.length; index++) {
      const block = blocks[index]!;
      if (full || index >= this.#known || this.#changed.has(block)) {
        source.takeText(block, true);
        changed.push({ index: offset + index, block: copyOpenBlock(block) });
        continue;
      }
      const text = source.takeText(block);
      if (text !== "") appended.push({ index: offset + index, text });
    }
    this.#known = blocks.length;
    this.#changed.clear();
    const metadata = source.metadata();
    let turn: Turn | undefined;
    return {
      full,
      turnId: input.id,
      metadata,
      data: input.data,
      blockCount: offset + blocks.length,
      firstOutputIndex: offset,
      changed,
      appended,
      get turn(): Turn {
        if (turn === undefined) {
          const all = input.blocks.slice();
          for (const entry of changed) all[entry.index] = entry.block;
          // A block not in `changed` is unchanged since the previous checkpoint save its text: copy it now.
          for (let index = 0; index < blocks.length; index++)
            all[offset + index] ??= copyOpenBlock(blocks[index]!);
          turn = { ...input, blocks: all, metadata };
        }
        return turn;
      },
    };
  }
}

/**
 * A copy of a block the output may still change (frozen blocks are shared as they are): its own payload and
 * metadata objects, so the saver may freeze them, with the strings shared (the streamed text is not copied) and
 * nested values (tool-call arguments, summaries) cloned.
 */
function copyOpenBlock(block: Block): Block {
  if (Object.isFrozen(block)) return block;
  const payload: Record<string, unknown> = { ...(block.payload as object) };
  for (const key in payload) {
    const value = payload[key];
    if (typeof value === "object" && value !== null) payload[key] = structuredClone(value);
  }
  return { ...block, payload, metadata: { ...block.metadata } } as Block;
}

/**
 * A checkpointer for this context, or undefined when checkpoints are off (the usual case: costs nothing).
 *
 * @example
 * const checkpointer = startCheckpointer(ctx, output.checkpointSource());
 */
export function startCheckpointer(ctx: RunContext, source: CheckpointSource): StreamCheckpointer | undefined {
  const config = ctx.get(StreamCheckpointKey);
  return config ? new StreamCheckpointer(ctx, config, source) : undefined;
}
