/**
 * What `geppetto run` writes while an answer streams: the answer text on stdout with the tool trace on stderr
 * (`--output text`), or one JSON line per event (`--output jsonl`) whose size follows its delta.
 */
import { eventToJson } from "../events/codec.ts";
import type { EventSink } from "../events/context.ts";
import type { GeppettoEvent } from "../events/types.ts";
import type { JsonValue } from "../turns/json.ts";
import { formatStatus, formatToolCall, formatToolResult } from "./chat/format.ts";

type Writable = { write(text: string): unknown };

/**
 * The tool trace of a run on stderr (`⚙ calculator({"expression":"6 * 7"})`, `↳ calculator: {"result":42}`),
 * so stdout holds the answer only.
 *
 * @example
 * ctx = ctx.withSinks(new TextPrinter(io.stdout, { showTools: false }), toolTracePrinter(io.stderr));
 */
export function toolTracePrinter(stderr: Writable): EventSink {
  return {
    publish(event: GeppettoEvent) {
      if (event.type === "tool-call") {
        const { id, name, input } = event.toolCall;
        stderr.write(`${formatToolCall({ kind: "tool-call", id, name, input })}\n`);
      } else if (event.type === "tool-result") {
        stderr.write(`${formatToolResult({ kind: "tool-result", ...event.toolResult })}\n`);
      }
    },
  };
}

/**
 * `status` events (a retry after a rate limit or a server error: "openai: rate limited (HTTP 429), retrying in 1 s
 * (attempt 2 of 3)") as `geppetto: …` lines on stderr, whatever the output format, so a waiting run says why it waits;
 * `log` warnings (what a provider's request builder dropped) as `geppetto: warning: …` lines.
 *
 * @example
 * ctx = ctx.withSinks(statusPrinter(io.stderr));
 */
export function statusPrinter(stderr: Writable): EventSink {
  return {
    publish(event: GeppettoEvent) {
      if (event.type === "status") stderr.write(`geppetto: ${formatStatus(event)}\n`);
      // What the provider's request builder had to drop (an Ollama PDF, say) is said, not silently lost.
      else if (event.type === "log" && event.level === "warn")
        stderr.write(`geppetto: warning: ${event.message}\n`);
    },
  };
}

/**
 * A `JSON.stringify` replacer writing every `durationMs` as a whole number of milliseconds.
 *
 * @example
 * JSON.stringify({ durationMs: 12.3456 }, roundDurations) // '{"durationMs":12}'
 */
export function roundDurations(key: string, value: unknown): unknown {
  return key === "durationMs" && typeof value === "number" ? Math.round(value) : value;
}

/**
 * One JSON line per event. Streamed text events carry their `delta` only (the answer so far is on the `final`
 * event and the final Turn), unless `completion` is asked for (`--jsonl-completion`); durations are whole
 * milliseconds.
 *
 * @example
 * ctx = ctx.withSinks(jsonlPrinter(io.stdout, { completion: false }));
 * // {"type":"partial","delta":"Hel","meta":{"seq":2,…}}
 */
export function jsonlPrinter(stdout: Writable, options: { completion: boolean }): EventSink {
  return {
    publish(event: GeppettoEvent) {
      // A shallow copy: the encoded event shares its parts with the event the other sinks see.
      const encoded: Record<string, JsonValue> = { ...eventToJson(event) };
      if (!options.completion && (event.type === "partial" || event.type === "partial-thinking")) {
        delete encoded.completion;
      }
      stdout.write(`${JSON.stringify(encoded, roundDurations)}\n`);
    },
  };
}
