/**
 * Ollama `/api/chat` chunks → InferenceOutput calls (blocks and events).
 *
 * One handler per inference. Feed it every parsed NDJSON line in order with `handle(chunk)` (the whole answer
 * of a non-streaming request is one such chunk). `message.thinking` becomes reasoning, `message.content` answer
 * text, `message.tool_calls` complete tool calls (Ollama sends each call whole), and the `done: true` line the
 * stop reason, token counts and timings. A line with `error` throws a ProviderError (mid-stream errors too).
 *
 * `done_reason` → finish class: `stop` → completed (or tool_calls_pending with tool calls), `length` →
 * max_tokens, anything else (`load`, `unload`…) → unknown.
 */
import type { FinishClass } from "../../engine/engine.ts";
import type { InferenceOutput } from "../../engine/output.ts";
import { midStreamError } from "../../provider-kit/stream-error.ts";
import { randomUUID } from "../../turns/lazy-require.ts";
import { KeyOllamaCallId, OLLAMA_PROVIDER, type OllamaTimings } from "./descriptor.ts";
import type { OllamaChatChunk, OllamaToolCall } from "./wire.ts";

/**
 * The finish class of an Ollama `done_reason` (undefined for `stop`, whose class depends on the output).
 *
 * @example
 * ollamaFinishClass("length") // "max_tokens"
 */
export function ollamaFinishClass(doneReason: string): FinishClass | undefined {
  if (doneReason === "stop") return undefined;
  if (doneReason === "length") return "max_tokens";
  return "unknown";
}

const NANOSECONDS_PER_MS = 1_000_000;

function milliseconds(nanoseconds: number | undefined): number | undefined {
  return nanoseconds === undefined ? undefined : nanoseconds / NANOSECONDS_PER_MS;
}

/**
 * Turns Ollama chunks into blocks and events.
 *
 * @example
 * const handler = new OllamaStreamHandler(out);
 * await response.ndjson((line) => handler.handle(JSON.parse(line)));
 * if (handler.done) return out.finish();
 */
export class OllamaStreamHandler {
  readonly #out: InferenceOutput;
  readonly #callPrefix = `ollama_${randomUUID().slice(0, 8)}`;
  #modelSet = false;
  #callCount = 0;
  #done = false;
  #timings: OllamaTimings | undefined;

  constructor(out: InferenceOutput) {
    this.#out = out;
  }

  /** True once the `done: true` line arrived. */
  get done(): boolean {
    return this.#done;
  }

  /** The server's timings, from the `done` line. */
  get timings(): OllamaTimings | undefined {
    return this.#timings;
  }

  /** Handles one chunk. Throws a ProviderError for an `error` line. */
  handle(chunk: OllamaChatChunk): void {
    const out = this.#out;
    if (typeof chunk.error === "string") {
      throw midStreamError({ provider: OLLAMA_PROVIDER, message: chunk.error });
    }
    if (!this.#modelSet && chunk.model) {
      this.#modelSet = true;
      out.setModel(chunk.model);
    }
    const message = chunk.message;
    if (message) {
      if (message.thinking) out.reasoning(message.thinking);
      if (message.content) out.text(message.content);
      for (const call of message.tool_calls ?? []) this.#toolCall(call);
    }
    if (chunk.done) this.#finish(chunk);
  }

  #toolCall(call: OllamaToolCall): void {
    const out = this.#out;
    const index = this.#callCount++;
    const id = call.id || `${this.#callPrefix}_${index}`;
    const args = call.function.arguments;
    const block = out.toolCall({
      id,
      name: call.function.name,
      args: typeof args === "string" ? args : (args ?? {}),
    });
    if (call.id) out.annotate(block, KeyOllamaCallId, call.id);
  }

  #finish(chunk: OllamaChatChunk): void {
    const out = this.#out;
    this.#done = true;
    const reason = chunk.done_reason ?? "stop";
    out.stop(reason, ollamaFinishClass(reason));
    const input = chunk.prompt_eval_count;
    const output = chunk.eval_count;
    if (input !== undefined || output !== undefined) {
      const usage: { inputTokens?: number; outputTokens?: number; totalTokens?: number } = {};
      if (input !== undefined) usage.inputTokens = input;
      if (output !== undefined) usage.outputTokens = output;
      usage.totalTokens = (input ?? 0) + (output ?? 0);
      out.usage(usage);
    }
    const timings: OllamaTimings = {};
    const total = milliseconds(chunk.total_duration);
    const load = milliseconds(chunk.load_duration);
    const promptEval = milliseconds(chunk.prompt_eval_duration);
    const evaluation = milliseconds(chunk.eval_duration);
    if (total !== undefined) timings.totalMs = total;
    if (load !== undefined) timings.loadMs = load;
    if (promptEval !== undefined) timings.promptEvalMs = promptEval;
    if (evaluation !== undefined) {
      timings.evalMs = evaluation;
      if (output !== undefined && evaluation > 0) {
        timings.tokensPerSecond = Math.round((output / evaluation) * 1000 * 10) / 10;
      }
    }
    if (Object.keys(timings).length > 0) this.#timings = timings;
  }
}
