/**
 * The run context: an explicit, immutable object that carries what an inference needs from its caller — the
 * AbortSignal, the event sinks, the ids that tie events together, and typed slots that later layers fill (the
 * tool registry, the snapshot hook). Derive a new one with `withSinks`, `withSignal`, `withIds`, `with`; the
 * original is never changed. This replaces the values hidden in Go's context.Context.
 */
import { defaultLogger, type Logger } from "../observability/logger.ts";
import type { Tracer } from "../observability/tracing.ts";
import { randomUUID } from "../turns/lazy-require.ts";
import { NEVER_ABORTED } from "./never-aborted.ts";
import type { EventDraft, EventMetadata, GeppettoEvent } from "./types.ts";

/** Receives events. May return a promise; it is not awaited, but its rejection is reported. */
export interface EventSink {
  publish(event: GeppettoEvent): void | Promise<void>;
}

/** Called when a sink throws or rejects. The inference goes on regardless. */
export type SinkErrorHandler = (error: unknown, event: GeppettoEvent, sink: EventSink) => void;

/** A typed slot in a RunContext. Create one per concept with {@link contextKey}. */
export interface ContextKey<T> {
  readonly name: string;
  /** Phantom field carrying the value type; never set. */
  readonly __type?: T;
}

/**
 * Declares a typed slot for a RunContext.
 *
 * @example
 * const RequestUser = contextKey<string>("myapp.request_user");
 * const ctx = RunContext.background().with(RequestUser, "ada");
 * ctx.get(RequestUser) // "ada"
 */
export function contextKey<T>(name: string): ContextKey<T> {
  return Object.freeze({ name }) as ContextKey<T>;
}

/** Ids that tie events and turns together. */
export interface RunIds {
  sessionId?: string;
  inferenceId?: string;
  turnId?: string;
}

const reportedSinks = new WeakMap<EventSink, number>();

/**
 * The default sink error report: a Node process warning (code `GEPPETTO_SINK_ERROR`) on stderr for the first
 * failure of each sink, and again at 10, 100, 1000… failures, so a broken sink is visible but never floods.
 */
export const warnOnSinkError: SinkErrorHandler = (error, event, sink) => {
  const count = (reportedSinks.get(sink) ?? 0) + 1;
  reportedSinks.set(sink, count);
  if (count === 1 || Number.isInteger(Math.log10(count))) {
    const message = error instanceof Error ? error.message : String(error);
    process.emitWarning(
      `event sink failed on a "${event.type}" event (${count} failure(s) so far): ${message}`,
      {
        code: "GEPPETTO_SINK_ERROR",
      },
    );
  }
};

interface Sequence {
  next: number;
}

/**
 * Lets a slow consumer hold a producer back. `ready()` returns undefined while the consumer keeps up, and a
 * promise that resolves once it has caught up otherwise; a producer that can pause (the HTTP transport between
 * two body chunks) awaits it. Add one with {@link RunContext.withFlowGate}.
 *
 * @example
 * const gate: FlowGate = { ready: () => (queue.length < 256 ? undefined : drained) };
 * const ctx = RunContext.background().withFlowGate(gate);
 */
export interface FlowGate {
  ready(): Promise<void> | undefined;
}

interface RunContextState {
  signal: AbortSignal;
  sinks: readonly EventSink[];
  ids: RunIds;
  onSinkError: SinkErrorHandler;
  values: ReadonlyMap<string, unknown>;
  sequence: Sequence;
  gates: readonly FlowGate[];
  logger: Logger;
  tracer: Tracer | undefined;
}

/**
 * What an inference carries from its caller. Immutable: every `with…` returns a new context.
 *
 * @example
 * const ctx = RunContext.background()
 *   .withSinks(printer)
 *   .withSignal(AbortSignal.timeout(30_000));
 * const out = await engine.runInference(turn, ctx);
 */
export class RunContext {
  readonly signal: AbortSignal;
  readonly sinks: readonly EventSink[];
  readonly ids: Readonly<RunIds>;
  readonly onSinkError: SinkErrorHandler;
  /**
   * Undefined while every consumer keeps up; otherwise a promise that resolves when they all have. Producers
   * that can pause await it between chunks (see {@link FlowGate}); pass it along as a function (`ready:
   * ctx.ready`), it needs no `this`.
   */
  readonly ready: () => Promise<void> | undefined;
  /** Where geppetto logs (request lines, YAML dumps…); silent unless `setDefaultLogger` said otherwise. */
  readonly logger: Logger;
  /** Opens the run's spans; undefined (no tracing) by default. */
  readonly tracer: Tracer | undefined;
  readonly #values: ReadonlyMap<string, unknown>;
  readonly #sequence: Sequence;
  readonly #gates: readonly FlowGate[];

  private constructor(init: RunContextState) {
    this.signal = init.signal;
    this.sinks = init.sinks;
    this.ids = Object.freeze({ ...init.ids });
    this.onSinkError = init.onSinkError;
    this.#values = init.values;
    this.#sequence = init.sequence;
    this.#gates = init.gates;
    this.ready = readinessOf(init.gates);
    this.logger = init.logger;
    this.tracer = init.tracer;
    Object.freeze(this);
  }

  /** An empty context: never aborted, no sinks. */
  static background(): RunContext {
    return new RunContext({
      signal: NEVER_ABORTED,
      sinks: [],
      ids: {},
      onSinkError: warnOnSinkError,
      values: new Map(),
      sequence: { next: 1 },
      gates: [],
      logger: defaultLogger(),
      tracer: undefined,
    });
  }

  #derive(changes: Partial<RunContextState>): RunContext {
    return new RunContext({
      signal: this.signal,
      sinks: this.sinks,
      ids: this.ids,
      onSinkError: this.onSinkError,
      values: this.#values,
      sequence: this.#sequence,
      gates: this.#gates,
      logger: this.logger,
      tracer: this.tracer,
      ...changes,
    });
  }

  /** Adds sinks after the existing ones. */
  withSinks(...sinks: EventSink[]): RunContext {
    return this.#derive({ sinks: [...this.sinks, ...sinks] });
  }

  /** Replaces the sinks. */
  withOnlySinks(...sinks: EventSink[]): RunContext {
    return this.#derive({ sinks });
  }

  /**
   * Uses `signal` for cancellation. By default it is combined with the current signal (either aborts the run);
   * pass `{ replace: true }` to drop the current one.
   */
  withSignal(signal: AbortSignal, options: { replace?: boolean } = {}): RunContext {
    const combined =
      options.replace || this.signal === NEVER_ABORTED ? signal : AbortSignal.any([this.signal, signal]);
    return this.#derive({ signal: combined });
  }

  /**
   * Sets ids. A new `inferenceId` starts a new event sequence, so `seq` is strictly increasing per inference.
   */
  withIds(ids: RunIds): RunContext {
    const merged = { ...this.ids, ...ids };
    const sequence =
      ids.inferenceId !== undefined && ids.inferenceId !== this.ids.inferenceId
        ? { next: 1 }
        : this.#sequence;
    return this.#derive({ ids: merged, sequence });
  }

  /** Adds a consumer that may hold producers back (see {@link FlowGate}). */
  withFlowGate(gate: FlowGate): RunContext {
    return this.#derive({ gates: [...this.#gates, gate] });
  }

  /** Sets how failing sinks are reported (default: {@link warnOnSinkError}). */
  withSinkErrorHandler(onSinkError: SinkErrorHandler): RunContext {
    return this.#derive({ onSinkError });
  }

  /**
   * Logs to `logger` (see `createConsoleLogger`, `pinoLogger`).
   *
   * @example
   * const ctx = RunContext.background().withLogger(createConsoleLogger({ level: "debug" }));
   */
  withLogger(logger: Logger): RunContext {
    return this.#derive({ logger });
  }

  /**
   * Traces the run with `tracer` (see `openTelemetryTracer` in `geppetto/otel`).
   *
   * @example
   * const ctx = RunContext.background().withTracer(openTelemetryTracer());
   */
  withTracer(tracer: Tracer | undefined): RunContext {
    return this.#derive({ tracer });
  }

  /** Stores a typed value. */
  with<T>(key: ContextKey<T>, value: T): RunContext {
    const values = new Map(this.#values);
    values.set(key.name, value);
    return this.#derive({ values });
  }

  /** Reads a typed value. */
  get<T>(key: ContextKey<T>): T | undefined {
    return this.#values.get(key.name) as T | undefined;
  }

  /** The next event sequence number of this inference. */
  nextSeq(): number {
    return this.#sequence.next++;
  }
}

/**
 * Publishes an event to every sink of the context and returns it. `publish` builds the event's metadata: it sets
 * `meta.seq` (the next number of this inference), a fresh `meta.id` when the draft has none, and the context's
 * session, inference and turn ids where the draft has none. The draft object itself becomes the event (no copy).
 * A sink that throws or rejects never breaks the inference: the failure goes to `ctx.onSinkError`.
 *
 * @example
 * publish(ctx, { type: "status", text: "searching the archive" });
 * publish(ctx, { type: "log", level: "info", message: "cache hit", meta: { model: "gpt-4o" } });
 */
export function publish(ctx: RunContext, draft: EventDraft): GeppettoEvent {
  const event = draft as GeppettoEvent;
  const meta = (draft.meta ?? {}) as EventMetadata;
  meta.seq = ctx.nextSeq();
  if (meta.id === undefined || meta.id === "") meta.id = randomUUID();
  const ids = ctx.ids;
  if (meta.sessionId === undefined && ids.sessionId !== undefined) meta.sessionId = ids.sessionId;
  if (meta.inferenceId === undefined && ids.inferenceId !== undefined) meta.inferenceId = ids.inferenceId;
  if (meta.turnId === undefined && ids.turnId !== undefined) meta.turnId = ids.turnId;
  event.meta = meta;
  const sinks = ctx.sinks;
  for (let index = 0; index < sinks.length; index++) {
    const sink = sinks[index]!;
    try {
      const pending = sink.publish(event);
      if (pending !== undefined && typeof pending.then === "function") {
        pending.then(undefined, (error: unknown) => ctx.onSinkError(error, event, sink));
      }
    } catch (error) {
      ctx.onSinkError(error, event, sink);
    }
  }
  return event;
}

function readinessOf(gates: readonly FlowGate[]): () => Promise<void> | undefined {
  if (gates.length === 0) return () => undefined;
  if (gates.length === 1) {
    const gate = gates[0]!;
    return () => gate.ready();
  }
  const ready = (): Promise<void> | undefined => {
    for (const gate of gates) {
      const wait = gate.ready();
      if (wait !== undefined) return wait.then(() => ready());
    }
    return undefined;
  };
  return ready;
}

/** A sink from a function. */
export function sinkFrom(publishEvent: (event: GeppettoEvent) => void | Promise<void>): EventSink {
  return { publish: publishEvent };
}

/**
 * A sink that keeps every event in memory; handy in tests.
 *
 * @example
 * const collector = new CollectingSink();
 * await engine.runInference(turn, RunContext.background().withSinks(collector));
 * collector.ofType("partial").map((event) => event.delta)
 */
export class CollectingSink implements EventSink {
  readonly events: GeppettoEvent[] = [];
  publish(event: GeppettoEvent): void {
    this.events.push(event);
  }
  /** The collected events of one type. */
  ofType<T extends GeppettoEvent["type"]>(type: T): Extract<GeppettoEvent, { type: T }>[] {
    return this.events.filter((event): event is Extract<GeppettoEvent, { type: T }> => event.type === type);
  }
}
