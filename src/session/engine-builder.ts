/**
 * The engine builder: one place that owns how an inference runs — the base engine, middlewares, event sinks,
 * tools and their executor settings, loop settings, snapshot hook, step control and persister — and builds the
 * {@link InferenceRunner} a Session uses.
 */
import { StreamCheckpointKey, type StreamCheckpointTiming } from "../engine/checkpoint.ts";
import type { Engine } from "../engine/engine.ts";
import { CallerError, GeppettoError } from "../engine/errors.ts";
import type { StructuredOutputConfig } from "../engine/structured-output.ts";
import type { EventSink, RunContext } from "../events/context.ts";
import { type Middleware, withMiddleware } from "../middleware/compose.ts";
import { runToolLoop, type ToolLoopConfig, type ToolLoopResult } from "../toolloop/loop.ts";
import { type SnapshotHook, type SnapshotPhase, takeSnapshot } from "../toolloop/snapshot.ts";
import type { StepController } from "../toolloop/step-control.ts";
import type { ToolExecutorConfig } from "../tools/executor.ts";
import type { ToolRegistry } from "../tools/registry.ts";
import type { Turn } from "../turns/types.ts";
import type { TurnStore } from "./turn-store.ts";

/** Runs one inference request (with the tool loop when tools are configured). */
export interface InferenceRunner {
  run(turn: Turn, ctx: RunContext): Promise<ToolLoopResult>;
}

/** Everything a runner is built from. Only `base` is required. */
export interface EngineBuilderOptions {
  base?: Engine;
  middlewares?: Middleware[];
  sinks?: EventSink[];
  registry?: ToolRegistry;
  tools?: ToolExecutorConfig;
  loop?: ToolLoopConfig;
  snapshotHook?: SnapshotHook;
  stepControl?: StepController;
  /**
   * Saves the Turn at every snapshot phase and at the end (phase `final`, also after a failure when the error
   * carries the partial Turn), under the context's session id.
   */
  persister?: TurnStore;
  /**
   * With a persister: how often the answer being streamed is saved (phase `streaming`, finish class
   * `interrupted`), so a crash loses at most about a second of it. Default every 500 ms once 1 KB came (750 ms at
   * the latest in a slow stream); `false` turns it off.
   */
  checkpoint?: StreamCheckpointTiming | false;
  /** The engine's default structured output, validated on each completed answer. */
  structuredOutput?: StructuredOutputConfig;
}

/**
 * Builds runners. Every `with…` returns a new builder.
 *
 * @example
 * const runner = new EngineBuilder()
 *   .withBase(engine)
 *   .withMiddlewares(systemPromptMiddleware("Be brief."))
 *   .withToolRegistry(demoToolRegistry())
 *   .withPersister(await openSqliteTurnStore("sessions.db"))
 *   .build();
 * const session = new Session({ runner });
 */
export class EngineBuilder {
  readonly options: Readonly<EngineBuilderOptions>;

  constructor(options: EngineBuilderOptions = {}) {
    this.options = { ...options };
  }

  #with(changes: EngineBuilderOptions): EngineBuilder {
    return new EngineBuilder({ ...this.options, ...changes });
  }

  withBase(base: Engine): EngineBuilder {
    return this.#with({ base });
  }
  /** Adds middlewares after the existing ones (the first is the outermost). */
  withMiddlewares(...middlewares: Middleware[]): EngineBuilder {
    return this.#with({ middlewares: [...(this.options.middlewares ?? []), ...middlewares] });
  }
  withSinks(...sinks: EventSink[]): EngineBuilder {
    return this.#with({ sinks: [...(this.options.sinks ?? []), ...sinks] });
  }
  withToolRegistry(registry: ToolRegistry): EngineBuilder {
    return this.#with({ registry });
  }
  withToolConfig(tools: ToolExecutorConfig): EngineBuilder {
    return this.#with({ tools });
  }
  withLoopConfig(loop: ToolLoopConfig): EngineBuilder {
    return this.#with({ loop });
  }
  withSnapshotHook(snapshotHook: SnapshotHook): EngineBuilder {
    return this.#with({ snapshotHook });
  }
  withStepControl(stepControl: StepController): EngineBuilder {
    return this.#with({ stepControl });
  }
  withPersister(persister: TurnStore): EngineBuilder {
    return this.#with({ persister });
  }
  /** Sets how often a persister checkpoints the streaming answer, or turns that off with `false`. */
  withCheckpoint(checkpoint: StreamCheckpointTiming | false): EngineBuilder {
    return this.#with({ checkpoint });
  }
  withStructuredOutput(structuredOutput: StructuredOutputConfig): EngineBuilder {
    return this.#with({ structuredOutput });
  }

  /** The base engine wrapped in the middlewares (one inference, no tool loop). */
  engine(): Engine {
    if (!this.options.base)
      throw new CallerError("EngineBuilder: no base engine (call withBase)", { code: "missing_base_engine" });
    return withMiddleware(this.options.base, ...(this.options.middlewares ?? []));
  }

  /** Builds the runner. */
  build(): InferenceRunner {
    const engine = this.engine();
    const {
      sinks = [],
      persister,
      snapshotHook,
      registry,
      tools,
      loop,
      stepControl,
      structuredOutput,
      checkpoint = {},
    } = this.options;
    const save = persister
      ? (turn: Turn, phase: SnapshotPhase, ctx: RunContext) =>
          persister.save(ctx.ids.sessionId ?? "default", turn, phase)
      : undefined;
    return {
      async run(turn, outerCtx) {
        let ctx = sinks.length > 0 ? outerCtx.withSinks(...sinks) : outerCtx;
        // A checkpoint still being written when the inference ends is awaited before the next save, so it never
        // overwrites a later phase.
        let checkpointing: Promise<void> | undefined;
        if (persister && checkpoint !== false) {
          ctx = ctx.with(StreamCheckpointKey, {
            ...checkpoint,
            save: (progress, checkpointCtx) => {
              const sessionId = checkpointCtx.ids.sessionId ?? "default";
              // A store that appends writes what streamed since the previous checkpoint; others save it whole.
              checkpointing = persister.checkpoint
                ? persister.checkpoint(sessionId, progress)
                : persister.save(sessionId, progress.turn, "streaming");
              return checkpointing;
            },
          });
        }
        // Turns are immutable, so a snapshot of the very Turn saved last (post_tools, then the next
        // pre_inference; post_inference, then final) has nothing new to write; hooks still see every phase.
        let lastSaved: Turn | undefined;
        const saveChanged = save
          ? async (snapshot: Turn, phase: SnapshotPhase, snapshotCtx: RunContext) => {
              if (checkpointing) await checkpointing.catch(() => undefined);
              if (snapshot === lastSaved) return;
              lastSaved = snapshot;
              await save(snapshot, phase, snapshotCtx);
            }
          : undefined;
        const hook: SnapshotHook | undefined =
          saveChanged && snapshotHook
            ? async (snapshot, phase, snapshotCtx) => {
                await saveChanged(snapshot, phase, snapshotCtx);
                await snapshotHook(snapshot, phase, snapshotCtx);
              }
            : (saveChanged ?? snapshotHook);
        try {
          const result = await runToolLoop(turn, ctx, {
            engine,
            ...(registry ? { registry } : {}),
            ...(tools ? { tools } : {}),
            ...(loop ? { loop } : {}),
            ...(hook ? { snapshotHook: hook } : {}),
            ...(stepControl ? { stepControl } : {}),
            ...(structuredOutput ? { structuredOutput } : {}),
          });
          await takeSnapshot(ctx, result.turn, "final", hook);
          return result;
        } catch (error) {
          if (GeppettoError.is(error) && error.turn) await takeSnapshot(ctx, error.turn, "final", hook);
          throw error;
        }
      },
    };
  }
}
