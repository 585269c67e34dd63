/**
 * Printers: sinks that write events to a stream for people (text) or programs (json lines, yaml documents).
 */
import type { JsonValue } from "../turns/json.ts";
import { loadYaml } from "../turns/lazy-modules.ts";
import { eventToJson } from "./codec.ts";
import type { EventSink } from "./context.ts";
import { type GeppettoEvent, STREAMING_EVENT_TYPES } from "./types.ts";

/** Anything with a `write(text)`: `process.stdout`, a file stream, a test buffer. */
export interface TextOutput {
  write(text: string): unknown;
}

/** Options of the streaming text printer. */
export interface TextPrinterOptions {
  /** Also print reasoning text (prefixed, dimmed when `color`). Default false. */
  showThinking?: boolean;
  /** Print tool calls and results as short lines. Default true. */
  showTools?: boolean;
  /** Use ANSI colour for reasoning and tool lines. Default false. */
  color?: boolean;
}

/**
 * Streams the answer text as it arrives: writes each `partial` delta, then a newline at the end.
 *
 * @example
 * const ctx = RunContext.background().withSinks(new TextPrinter(process.stdout));
 */
export class TextPrinter implements EventSink {
  #inThinking = false;
  #atLineStart = true;
  readonly #output: TextOutput;
  readonly #options: Required<TextPrinterOptions>;

  constructor(output: TextOutput, options: TextPrinterOptions = {}) {
    this.#output = output;
    this.#options = { showThinking: false, showTools: true, color: false, ...options };
  }

  #write(text: string): void {
    if (text.length === 0) return;
    this.#output.write(text);
    this.#atLineStart = text.endsWith("\n");
  }

  #line(text: string): void {
    if (!this.#atLineStart) this.#write("\n");
    this.#write(this.#options.color ? `\x1b[2m${text}\x1b[0m\n` : `${text}\n`);
  }

  #endThinking(): void {
    if (!this.#inThinking) return;
    this.#inThinking = false;
    this.#write(this.#options.color ? "\x1b[0m\n" : "\n");
  }

  publish(event: GeppettoEvent): void {
    switch (event.type) {
      case "partial":
        this.#endThinking();
        this.#write(event.delta);
        break;
      case "partial-thinking":
        if (!this.#options.showThinking) break;
        if (!this.#inThinking) {
          this.#inThinking = true;
          if (!this.#atLineStart) this.#write("\n");
          this.#write(this.#options.color ? "\x1b[2mthinking: " : "thinking: ");
        }
        this.#write(event.delta);
        break;
      case "tool-call":
        this.#endThinking();
        if (this.#options.showTools)
          this.#line(`→ ${event.toolCall.name}(${JSON.stringify(event.toolCall.input)})`);
        break;
      case "tool-result":
        if (this.#options.showTools) {
          const shown = event.toolResult.error
            ? `error: ${event.toolResult.error}`
            : JSON.stringify(event.toolResult.result);
          this.#line(`← ${event.toolResult.name ?? event.toolResult.id}: ${shown}`);
        }
        break;
      case "final":
      case "interrupt":
        this.#endThinking();
        if (!this.#atLineStart) this.#write("\n");
        break;
      default:
        break;
    }
  }
}

/** Output formats of the structured printer. */
export type PrinterFormat = "text" | "json" | "yaml";

/** Options of the structured printer. */
export interface StructuredPrinterOptions {
  format?: PrinterFormat;
  /** Include each event's metadata. Default false. */
  includeMetadata?: boolean;
  /** Print every event; by default `partial`-like events are left out of `text` output. */
  full?: boolean;
}

/**
 * Prints one record per event: a JSON line, a YAML document, or a `type: summary` text line.
 *
 * @example
 * ctx.withSinks(new StructuredPrinter(process.stdout, { format: "json", includeMetadata: true }))
 */
export class StructuredPrinter implements EventSink {
  readonly #output: TextOutput;
  readonly #options: Required<StructuredPrinterOptions>;

  constructor(output: TextOutput, options: StructuredPrinterOptions = {}) {
    this.#output = output;
    this.#options = { format: "text", includeMetadata: false, full: false, ...options };
  }

  publish(event: GeppettoEvent): void {
    const { format, includeMetadata, full } = this.#options;
    const record: Record<string, JsonValue> = { ...eventToJson(event) };
    if (!includeMetadata) delete record.meta;
    if (format === "json") {
      this.#output.write(`${JSON.stringify(record)}\n`);
    } else if (format === "yaml") {
      this.#output.write(`---\n${loadYaml().stringify(record, { lineWidth: 0 })}`);
    } else {
      if (!full && STREAMING_EVENT_TYPES.has(event.type)) return;
      const { type, meta, ...fields } = record;
      const summary = Object.keys(fields).length > 0 ? ` ${JSON.stringify(fields)}` : "";
      const metaText = includeMetadata && meta ? ` ${JSON.stringify(meta)}` : "";
      this.#output.write(`${String(type)}:${summary}${metaText}\n`);
    }
  }
}
