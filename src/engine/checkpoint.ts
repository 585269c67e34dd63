/**
 * Streaming checkpoints: while an answer streams, hand a copy of the partial Turn to a saver now and then, so a
 * crash (kill -9, power loss) loses at most the last moment of the answer instead of all of it. What is saved is
 * the answer text and reasoning so far (a tool call whose arguments are still streaming is saved with empty
 * arguments until it completes: half its arguments could not run anyway).
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

/** How often to checkpoint, and where to. */
export interface StreamCheckpoint extends StreamCheckpointTiming {
  /** Saves a partial Turn (finish class `interrupted`); the blocks still streaming are copies the saver may keep. */
  save(partial: Turn, ctx: RunContext): Promise<void>;
}

/**
 * The run context slot that turns streaming checkpoints on (the EngineBuilder fills it when it has a persister).
 *
 * @example
 * const ctx = RunContext.background().with(StreamCheckpointKey, {
 *   save: (partial) => store.save("s1", partial, "streaming"),
 * });
 */
export const StreamCheckpointKey = contextKey<StreamCheckpoint>("geppetto.stream_checkpoint");

/**
 * Checkpoints one inference's stream. InferenceOutput creates one when the context has a {@link StreamCheckpoint}.
 *
 * @example
 * const checkpointer = startCheckpointer(ctx, () => output.snapshot("interrupted"));
 * checkpointer?.add(delta.length);
 * checkpointer?.stop();
 */
export class StreamCheckpointer {
  readonly #ctx: RunContext;
  readonly #save: StreamCheckpoint["save"];
  readonly #everyMs: number;
  readonly #minBytes: number;
  readonly #maxDelayMs: number;
  readonly #partial: () => Turn;
  /** Text streamed since the last checkpoint. */
  #pending = 0;
  #firstUnsavedAt = 0;
  #lastAt = performance.now();
  /** `everyMs` has passed since the last checkpoint: the next `minBytes` make one due. */
  #timeDue = false;
  #inFlight = false;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #stopped = false;

  constructor(ctx: RunContext, config: StreamCheckpoint, partial: () => Turn) {
    this.#ctx = ctx;
    this.#save = config.save;
    this.#everyMs = config.everyMs ?? 500;
    this.#minBytes = config.minBytes ?? 1024;
    this.#maxDelayMs = Math.max(config.maxDelayMs ?? 750, this.#everyMs);
    this.#partial = partial;
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
    const turn = this.#partial();
    // The input's blocks are frozen; the output's own are still growing, so the saver gets copies of those.
    const partial: Turn = { ...turn, blocks: turn.blocks.map(copyOpenBlock) };
    this.#inFlight = true;
    let saving: Promise<void>;
    try {
      saving = this.#save(partial, this.#ctx);
    } catch (error) {
      saving = Promise.reject(error);
    }
    saving
      .catch((error: unknown) => {
        publish(this.#ctx, {
          type: "log",
          level: "error",
          message: `streaming checkpoint failed: ${error instanceof Error ? error.message : String(error)}`,
          fields: { turnId: turn.id },
        });
      })
      .finally(() => {
        this.#inFlight = false;
        // Text that streamed during the save gets its own checkpoint, even if the stream pauses now.
        if (!this.#stopped && this.#pending > 0) this.#schedule();
      });
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
 * const checkpointer = startCheckpointer(ctx, () => output.snapshot("interrupted"));
 */
export function startCheckpointer(ctx: RunContext, partial: () => Turn): StreamCheckpointer | undefined {
  const config = ctx.get(StreamCheckpointKey);
  return config ? new StreamCheckpointer(ctx, config, partial) : undefined;
}
