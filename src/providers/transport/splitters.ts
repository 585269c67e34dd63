/**
 * Streaming body splitters: SSE events, NDJSON lines and the elements of a streamed JSON array (Gemini's
 * `streamGenerateContent` without `alt=sse`). Each takes decoded text chunks as they arrive and calls back
 * synchronously per complete item, so an engine pays no promise per event.
 *
 * The SSE splitter follows the WHATWG event-stream rules that providers use: `data:` lines joined with "\n",
 * `event:` names, comments and `id:`/`retry:` ignored, any of CRLF, LF or CR as line ends (a CR at the end of one
 * chunk and an LF at the start of the next count as one line end).
 */
import { holdEventTime, releaseEventTime } from "../../events/clock.ts";

/**
 * Receives one SSE event: its data (lines joined by "\n") and its `event:` name, when it had one. A handler
 * declared with one parameter (`(data) => …`) does not read names, so the splitter does not cut them out.
 */
export type SseHandler = (data: string, event: string | undefined) => void;

/**
 * Splits an event stream into events with a newline search (`indexOf`), the way the cheapest consumer would:
 * measured against `eventsource-parser` on the bench payloads it costs about the floor's framing instead of
 * 0.2 µs more per event. A chunk with a CR (CRLF or CR-only line ends) is normalized to LF first; a CR at the
 * very end of a chunk waits for the next one, so a CRLF split across chunks is one line end. Event names are
 * kept only for a handler that takes them (its second parameter): the providers' handlers read the event type
 * from the data, and skipping the `event:` lines saves a string per event.
 *
 * @example
 * const splitter = new SseSplitter((data) => console.log(JSON.parse(data)));
 * splitter.push('data: {"a":1}\n\n');
 * splitter.end();
 */
export class SseSplitter {
  readonly #onEvent: SseHandler;
  readonly #names: boolean;
  #rest = "";
  #data = "";
  #hasData = false;
  #event: string | undefined;
  #started = false;

  constructor(onEvent: SseHandler) {
    this.#onEvent = onEvent;
    this.#names = onEvent.length !== 1;
  }

  /** Feeds decoded text. */
  push(chunk: string): void {
    let text = this.#rest.length === 0 ? chunk : this.#rest + chunk;
    if (!this.#started && text.length > 0) {
      this.#started = true;
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    }
    let held = "";
    if (text.indexOf("\r") !== -1) {
      if (text.charCodeAt(text.length - 1) === 13) {
        held = "\r";
        text = text.slice(0, -1);
      }
      text = text.replace(/\r\n?/g, "\n");
    }
    // The events of this chunk arrived together: they share one reading of the clock.
    const previous = holdEventTime();
    let start: number;
    try {
      start = this.#lines(text);
    } finally {
      releaseEventTime(previous);
    }
    this.#rest = (start === 0 ? text : text.slice(start)) + held;
  }

  /** Handles the complete lines of `text`; returns where the incomplete last line starts. */
  #lines(text: string): number {
    let start = 0;
    let end = text.indexOf("\n");
    while (end !== -1) {
      if (start === end) this.#dispatch();
      else {
        const first = text.charCodeAt(start);
        if (first === 100 && text.startsWith("data:", start)) {
          const valueStart = text.charCodeAt(start + 5) === 32 ? start + 6 : start + 5;
          const value = text.slice(valueStart, end);
          if (!this.#hasData && text.charCodeAt(end + 1) === 10) {
            // A one-line event, what providers send: delivered at once, its blank line skipped.
            start = end + 2;
            end = text.indexOf("\n", start);
            this.#deliver(value);
            continue;
          }
          this.#data = this.#hasData ? `${this.#data}\n${value}` : value;
          this.#hasData = true;
        } else if (first === 100 || (first === 101 && this.#names)) this.#field(text, start, end);
        // Other lines are comments (":"), `id:`, `retry:` and unknown fields, all ignored, or a name nobody reads.
      }
      start = end + 1;
      end = text.indexOf("\n", start);
    }
    return start;
  }

  /** A line that may be a `data` or `event` field (`data` without a colon, `event: name`, …). */
  #field(text: string, start: number, end: number): void {
    const colon = text.indexOf(":", start);
    const hasColon = colon !== -1 && colon < end;
    const field = text.slice(start, hasColon ? colon : end);
    if (field !== "data" && field !== "event") return;
    let valueStart = hasColon ? colon + 1 : end;
    if (hasColon && text.charCodeAt(valueStart) === 32) valueStart++;
    const value = text.slice(valueStart, end);
    if (field === "event") this.#event = value;
    else {
      this.#data = this.#hasData ? `${this.#data}\n${value}` : value;
      this.#hasData = true;
    }
    // id, retry and unknown fields are ignored.
  }

  #dispatch(): void {
    if (!this.#hasData) {
      this.#event = undefined;
      return;
    }
    const data = this.#data;
    this.#data = "";
    this.#hasData = false;
    this.#deliver(data);
  }

  /** Hands one event's data to the handler, with the name read before it (if any). */
  #deliver(data: string): void {
    const event = this.#event;
    this.#event = undefined;
    this.#onEvent(data, event === "" ? undefined : event);
  }

  /** Ends the stream: an event not followed by a blank line is still delivered. */
  end(): void {
    if (this.#rest.length > 0) this.push("\n");
    this.#rest = "";
    this.#dispatch();
  }
}

/**
 * Splits newline-delimited JSON into lines (blank lines skipped; the last line may lack its newline).
 *
 * @example
 * const splitter = new LineSplitter((line) => handle(JSON.parse(line)));
 */
export class LineSplitter {
  readonly #onLine: (line: string) => void;
  #buffer = "";

  constructor(onLine: (line: string) => void) {
    this.#onLine = onLine;
  }

  /** Feeds decoded text. */
  push(chunk: string): void {
    const buffer = this.#buffer.length === 0 ? chunk : this.#buffer + chunk;
    let start = 0;
    let newline = buffer.indexOf("\n", start);
    while (newline !== -1) {
      this.#emit(buffer.slice(start, newline));
      start = newline + 1;
      newline = buffer.indexOf("\n", start);
    }
    this.#buffer = start === 0 ? buffer : buffer.slice(start);
  }

  #emit(line: string): void {
    const trimmed = line.charCodeAt(line.length - 1) === 13 ? line.slice(0, -1) : line;
    if (trimmed.trim().length > 0) this.#onLine(trimmed);
  }

  /** Ends the stream, delivering a last line without newline. */
  end(): void {
    const rest = this.#buffer;
    this.#buffer = "";
    if (rest.length > 0) this.#emit(rest);
  }
}

/**
 * Splits a streamed top-level JSON array (`[{...},\n{...}]`) into the source text of each element, as soon as the
 * element is complete. Whitespace and commas between elements are skipped; strings and escapes are respected.
 *
 * @example
 * const splitter = new JsonArraySplitter((element) => handle(JSON.parse(element)));
 * splitter.push('[{"a":1},'); splitter.push('{"a":2}]'); splitter.end();
 */
export class JsonArraySplitter {
  readonly #onElement: (element: string) => void;
  #buffer = "";
  /** Scan position in the buffer. */
  #position = 0;
  /** Start of the element being read, or -1 between elements. */
  #elementStart = -1;
  #depth = 0;
  #inString = false;
  #escaped = false;
  #scalar = false;
  #opened = false;
  #closed = false;

  constructor(onElement: (element: string) => void) {
    this.#onElement = onElement;
  }

  /** Feeds decoded text. Throws a SyntaxError naming the offset when the text is not a JSON array. */
  push(chunk: string): void {
    this.#buffer += chunk;
    const buffer = this.#buffer;
    let index = this.#position;
    for (; index < buffer.length; index++) {
      const code = buffer.charCodeAt(index);
      if (this.#inString) {
        if (this.#escaped) this.#escaped = false;
        else if (code === 92) this.#escaped = true;
        else if (code === 34) {
          this.#inString = false;
          if (this.#depth === 0) this.#complete(buffer, index + 1);
        }
        continue;
      }
      if (!this.#opened) {
        if (code === 91) this.#opened = true;
        else if (!isSpace(code))
          throw new SyntaxError(`streamed JSON array: expected "[" at offset ${index}`);
        continue;
      }
      if (this.#elementStart === -1) {
        if (isSpace(code) || code === 44) continue;
        if (code === 93) {
          this.#closed = true;
          continue;
        }
        this.#elementStart = index;
        this.#depth = 0;
        this.#scalar = code !== 123 && code !== 91 && code !== 34;
      }
      if (this.#scalar) {
        if (code === 44 || code === 93 || isSpace(code)) {
          this.#complete(buffer, index);
          if (code === 93) this.#closed = true;
        }
        continue;
      }
      if (code === 34) this.#inString = true;
      else if (code === 123 || code === 91) this.#depth++;
      else if (code === 125 || code === 93) {
        this.#depth--;
        if (this.#depth === 0) this.#complete(buffer, index + 1);
      }
    }
    // Keep only the unfinished element.
    if (this.#elementStart === -1) {
      this.#buffer = "";
      this.#position = 0;
    } else {
      this.#buffer = buffer.slice(this.#elementStart);
      this.#position = index - this.#elementStart;
      this.#elementStart = 0;
    }
  }

  #complete(buffer: string, end: number): void {
    const element = buffer.slice(this.#elementStart, end);
    this.#elementStart = -1;
    this.#onElement(element);
  }

  /**
   * Ends the stream; a scalar element left without a closing "]" is delivered. Throws a SyntaxError when the
   * text stopped inside an object, array or string element (the stream ended early).
   */
  end(): void {
    const unfinished = this.#elementStart !== -1 && !this.#scalar;
    if (this.#elementStart !== -1 && this.#scalar) {
      const rest = this.#buffer.slice(this.#elementStart).trim();
      if (rest.length > 0) this.#onElement(rest);
    }
    this.#elementStart = -1;
    this.#buffer = "";
    if (unfinished) throw new SyntaxError("streamed JSON array: the text ended inside an element");
  }

  /** True once the closing "]" was read. */
  get closed(): boolean {
    return this.#closed;
  }
}

function isSpace(code: number): boolean {
  return code === 32 || code === 10 || code === 13 || code === 9;
}
