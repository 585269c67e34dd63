/**
 * The chat's scrollback as terminal text: each scroll item becomes its rows (wrapped at the screen's width where
 * Ink would wrap them, styled with SGR codes unless colors are off), written once above Ink's live frame.
 *
 * Writing finished rows ourselves (through Ink's `write`, which erases and restores the live frame around it)
 * instead of rendering them with `<Static>` spares Ink's per-cell layout of every character of the answer: a
 * streamed token costs its bytes. Everything from the model (answer text, reasoning, tool calls and results) is
 * made inert first: control characters and escape sequences are removed, so an answer can never move the
 * cursor, retitle the window, set the clipboard or color the screen.
 */
import { stripVTControlCharacters } from "node:util";
import { formatAnswerFooter, formatToolCall, formatToolResult } from "./format.ts";
import { type MarkdownRenderer, newMarkdownRenderer } from "./markdown.ts";
import { rowsOf, type ScrollItem } from "./scrollback.ts";
import { paint, type Style } from "./style.ts";
import type { AnswerMessage, AnswerPart, ChatMessage } from "./view-model.ts";

/** Control characters other than newline and tab (C0, DEL, C1). */
// biome-ignore lint/suspicious/noControlCharactersInRegex: these are the characters it removes
const CONTROLS = /[\u0000-\u0008\u000B-\u001F\u007F-\u009F]/g;

/**
 * `text` safe to print: escape sequences (CSI, OSC, …) and control characters removed, CR LF and lone CRs as
 * newlines, tabs as four spaces.
 *
 * @example
 * inert("red \x1b[31mtext\x1b]52;c;aGk=\x07") // "red text"
 */
export function inert(text: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point
  if (!/[\u0000-\u001F\u007F-\u009F]/.test(text)) return text;
  return stripVTControlCharacters(text).replace(/\r\n?/g, "\n").replace(/\t/g, "    ").replace(CONTROLS, "");
}

/** How the scrollback is printed. */
export interface PrintOptions {
  /** SGR colors and styles (off with NO_COLOR). */
  color: boolean;
  /** Answers rendered as Markdown (headings, emphasis, code blocks highlighted, tables aligned); off: as written. */
  markdown: boolean;
}

/**
 * Turns scroll items into terminal text, in order; keeps the Markdown state of the answer being printed (a code
 * block or a table spans several items).
 *
 * @example
 * const printer = new ScrollPrinter({ color: true, markdown: true });
 * write(printer.print(state.scroll.slice(printed), 120));
 */
export class ScrollPrinter {
  readonly #options: PrintOptions;
  #markdown: MarkdownRenderer;

  constructor(options: PrintOptions) {
    this.#options = options;
    this.#markdown = newMarkdownRenderer(options.color);
  }

  /** The rows of `items` at `columns`, each ending with a newline. */
  print(items: readonly ScrollItem[], columns: number): string {
    const out: string[] = [];
    for (const item of items) this.#item(item, columns, out);
    return out.join("");
  }

  #rows(text: string, style: Style, columns: number, out: string[]): void {
    for (const row of rowsOf(text, columns)) out.push(`${paint(row, style, this.#options.color)}\n`);
  }

  #answerText(text: string, continued: boolean, columns: number, out: string[]): void {
    if (!this.#options.markdown) this.#rows(text, [], columns, out);
    else for (const row of this.#markdown.feed(text, continued, columns)) out.push(`${row}\n`);
  }

  #closeAnswerText(out: string[], columns: number): void {
    for (const row of this.#markdown.end(columns)) out.push(`${row}\n`);
  }

  #part(part: AnswerPart, columns: number, out: string[]): void {
    if (part.kind === "text") {
      this.#answerText(inert(part.text), false, columns, out);
      return;
    }
    this.#closeAnswerText(out, columns);
    if (part.kind === "thinking") this.#rows(inert(part.text), ["dim", "italic"], columns, out);
    else if (part.kind === "tool-call") this.#rows(inert(formatToolCall(part)), ["cyan"], columns, out);
    else
      this.#rows(inert(formatToolResult(part)), [part.error === undefined ? "green" : "red"], columns, out);
  }

  #end(answer: AnswerMessage, columns: number, out: string[]): void {
    this.#closeAnswerText(out, columns);
    const footer = formatAnswerFooter(answer);
    if (footer !== undefined) {
      const style: Style =
        answer.outcome === "error" ? ["red"] : answer.outcome === "interrupted" ? ["yellow"] : ["dim"];
      this.#rows(inert(footer), style, columns, out);
    }
    out.push("\n");
    this.#markdown = newMarkdownRenderer(this.#options.color);
  }

  #message(message: ChatMessage, columns: number, out: string[]): void {
    if (message.kind === "user") this.#rows(`› ${inert(message.text)}`, ["bold", "blue"], columns, out);
    else if (message.kind === "notice") {
      this.#rows(inert(message.text), message.tone === "error" ? ["red"] : ["dim"], columns, out);
    } else {
      for (const part of message.parts) this.#part(part, columns, out);
      this.#end(message, columns, out);
    }
  }

  #item(item: ScrollItem, columns: number, out: string[]): void {
    if (item.kind === "message") this.#message(item.message, columns, out);
    else if (item.kind === "part") this.#part(item.part, columns, out);
    else if (item.kind === "end") this.#end(item.answer, columns, out);
    else if (item.style === "text") this.#answerText(inert(item.text), item.continued === true, columns, out);
    else {
      this.#closeAnswerText(out, columns);
      this.#rows(inert(item.text), ["dim", "italic"], columns, out);
    }
  }
}
