/**
 * ScriptedEngine: an engine that replays a script of steps with exactly the events a real engine emits.
 * It is the public testing kit (drive it in your own tests) and the embedded default of the CLI.
 */

import type { Engine, FinishClass } from "../engine/engine.ts";
import { CallerError, ProviderError, type ProviderErrorCode } from "../engine/errors.ts";
import { runWithOutput } from "../engine/lifecycle.ts";
import type { InferenceOutput } from "../engine/output.ts";
import type { RunContext } from "../events/context.ts";
import type { Usage } from "../events/types.ts";
import { newId } from "../turns/builders.ts";
import type { JsonObject } from "../turns/json.ts";
import type { Turn } from "../turns/types.ts";

/** One step of a scripted response. */
export type ScriptStep =
  /** One text delta. */
  | { type: "text"; text: string }
  /** One reasoning delta; `signature` is set on the reasoning block. */
  | { type: "reasoning"; text: string; signature?: string }
  /** A tool call; its arguments are streamed in `chunks` pieces (default 1). */
  | { type: "tool-call"; id?: string; name: string; args: JsonObject; chunks?: number }
  | { type: "usage"; usage: Usage }
  /** The provider's stop reason; `finishClass` defaults from it. */
  | { type: "stop"; reason: string; finishClass?: FinishClass }
  /** Fails the inference (after whatever streamed before it). */
  | { type: "error"; message: string; code?: ProviderErrorCode; status?: number; retryable?: boolean }
  /** Waits `ms` milliseconds, or until `until` settles. Cancellation interrupts the wait. */
  | { type: "pause"; ms?: number; until?: Promise<unknown> };

/** The response to one `runInference` call: a list of steps, or a function of the input turn. */
export type ScriptResponse = ScriptStep[] | ((turn: Turn, ctx: RunContext, call: number) => ScriptStep[]);

/** ScriptedEngine options. */
export interface ScriptedEngineOptions {
  model?: string;
  provider?: string;
  /** Milliseconds between steps, to look like a real stream (default 0: as fast as possible). */
  pacingMs?: number;
  /** Reuse the last response when the script runs out, instead of failing. */
  repeatLast?: boolean;
  /**
   * Keep a deep copy of each input turn in {@link ScriptedEngine.inputs}: `true` for all of them, a number for the
   * last N. Default: none (a long conversation would otherwise keep a copy of itself per inference).
   */
  recordInputs?: boolean | number;
}

/** Helpers to write scripts briefly. */
export const script = {
  /** Text split into word-sized deltas (or `chunkSize` characters). */
  text(text: string, options: { chunkSize?: number } = {}): ScriptStep[] {
    const pieces = options.chunkSize
      ? (text.match(new RegExp(`[\\s\\S]{1,${options.chunkSize}}`, "g")) ?? [])
      : (text.match(/\S+\s*|\s+/g) ?? []);
    return pieces.map((piece) => ({ type: "text", text: piece }));
  },
  reasoning(text: string, signature?: string): ScriptStep[] {
    const steps: ScriptStep[] = (text.match(/\S+\s*|\s+/g) ?? []).map((piece) => ({
      type: "reasoning",
      text: piece,
    }));
    if (signature !== undefined && steps.length > 0) {
      const last = steps[steps.length - 1] as { type: "reasoning"; text: string; signature?: string };
      last.signature = signature;
    }
    return steps;
  },
  toolCall(name: string, args: JsonObject, options: { id?: string; chunks?: number } = {}): ScriptStep {
    return { type: "tool-call", name, args, ...options };
  },
  usage(usage: Usage): ScriptStep {
    return { type: "usage", usage };
  },
  stop(reason: string, finishClass?: FinishClass): ScriptStep {
    return finishClass ? { type: "stop", reason, finishClass } : { type: "stop", reason };
  },
  error(
    message: string,
    options: { code?: ProviderErrorCode; status?: number; retryable?: boolean } = {},
  ): ScriptStep {
    return { type: "error", message, ...options };
  },
  pause(ms: number): ScriptStep {
    return { type: "pause", ms };
  },
};

function splitEvenly(text: string, pieces: number): string[] {
  const count = Math.max(1, Math.min(pieces, text.length));
  const size = Math.ceil(text.length / count);
  const out: string[] = [];
  for (let index = 0; index < text.length; index += size) out.push(text.slice(index, index + size));
  return out.length > 0 ? out : [""];
}

function wait(
  ms: number | undefined,
  until: Promise<unknown> | undefined,
  signal: AbortSignal,
): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    let timer: NodeJS.Timeout | undefined;
    const done = () => {
      if (timer) clearTimeout(timer);
      signal.removeEventListener("abort", onAbort);
      resolve();
    };
    const onAbort = () => {
      if (timer) clearTimeout(timer);
      reject(signal.reason);
    };
    signal.addEventListener("abort", onAbort, { once: true });
    if (ms !== undefined) timer = setTimeout(done, ms);
    if (until) until.then(done, done);
    if (ms === undefined && !until) done();
  });
}

function stopFinishClass(reason: string): FinishClass {
  if (reason === "length" || reason === "max_tokens") return "max_tokens";
  if (reason === "tool_calls" || reason === "tool_use") return "tool_calls_pending";
  return "completed";
}

/**
 * Replays scripted responses, one per `runInference` call. It honours back-pressure like the HTTP engines: when a
 * reader of `streamInference` falls `capacity` events behind, the script waits before its next step.
 *
 * @example
 * const engine = new ScriptedEngine([
 *   [script.toolCall("get_time", {}), script.stop("tool_calls")],
 *   script.text("It is noon."),
 * ]);
 */
export class ScriptedEngine implements Engine {
  readonly #responses: ScriptResponse[];
  readonly #options: ScriptedEngineOptions;
  #calls = 0;
  /** The turns this engine was given, in order (deep copies), when `recordInputs` asks for them. */
  readonly inputs: Turn[] = [];

  constructor(responses: ScriptResponse[] | ScriptResponse, options: ScriptedEngineOptions = {}) {
    this.#responses =
      typeof responses === "function" ||
      (responses.length > 0 && !Array.isArray(responses[0]) && typeof responses[0] !== "function")
        ? [responses as ScriptResponse]
        : (responses as ScriptResponse[]);
    this.#options = options;
  }

  /** How many inferences ran. */
  get calls(): number {
    return this.#calls;
  }

  async runInference(turn: Turn, ctx: RunContext): Promise<Turn> {
    const call = this.#calls++;
    const keep = this.#options.recordInputs;
    if (keep) {
      this.inputs.push(structuredClone(turn));
      if (typeof keep === "number" && this.inputs.length > keep)
        this.inputs.splice(0, this.inputs.length - keep);
    }
    let response = this.#responses[call];
    if (response === undefined) {
      if (!this.#options.repeatLast || this.#responses.length === 0) {
        throw new CallerError(
          `ScriptedEngine: script exhausted (call ${call + 1}, ${this.#responses.length} response(s))`,
          {
            code: "script_exhausted",
          },
        );
      }
      response = this.#responses[this.#responses.length - 1]!;
    }
    const steps = typeof response === "function" ? response(turn, ctx, call) : response;
    const signal = ctx.signal;
    const info = { provider: this.#options.provider ?? "scripted", model: this.#options.model ?? "scripted" };
    return runWithOutput(ctx, turn, info, async (output) => {
      for (const step of steps) {
        if (signal.aborted) throw signal.reason;
        if (this.#options.pacingMs) await wait(this.#options.pacingMs, undefined, signal);
        await this.#play(step, output, signal);
        // Back-pressure: a reader that falls behind (`streamInference`) holds the script back, as it holds an
        // HTTP body back in the real engines.
        const ready = ctx.ready();
        if (ready !== undefined) await wait(undefined, ready, signal);
      }
      if (signal.aborted) throw signal.reason;
    });
  }

  async #play(step: ScriptStep, output: InferenceOutput, signal: AbortSignal): Promise<void> {
    switch (step.type) {
      case "text":
        output.text(step.text);
        return;
      case "reasoning":
        output.reasoning(step.text);
        if (step.signature !== undefined) output.updateReasoning({ signature: step.signature });
        return;
      case "tool-call": {
        const key = step.id ?? `call_${newId().slice(0, 8)}`;
        output.toolCallStart(key, { id: key, name: step.name });
        for (const piece of splitEvenly(JSON.stringify(step.args), step.chunks ?? 1)) {
          output.toolCallArguments(key, piece);
        }
        output.toolCallEnd(key);
        return;
      }
      case "usage":
        output.usage(step.usage);
        return;
      case "stop":
        output.stop(step.reason, step.finishClass ?? stopFinishClass(step.reason));
        return;
      case "error":
        throw new ProviderError(
          step.message,
          { provider: "scripted", ...(step.status === undefined ? {} : { status: step.status }) },
          { code: step.code ?? "scripted_error", retryable: step.retryable ?? false },
        );
      case "pause":
        await wait(step.ms, step.until, signal);
        return;
    }
  }
}
