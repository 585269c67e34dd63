/**
 * The tag scanner: a per-stream state machine that finds `<package:type:version> … </package:type:version>`
 * blocks in text that arrives in arbitrary pieces. It knows nothing about events; it reports plain text, block
 * starts, block payload pieces and block ends to a {@link TagScannerHandler}.
 *
 * Cost: each `push(delta)` is O(delta + tag length). Outside a block the scanner jumps from `<` to `<`
 * (`indexOf`); a possible open tag is checked one character at a time with O(1) state and is never longer than
 * `maxTagLength`; inside a block the close tag is found with one `indexOf` over the held-back tail plus the delta,
 * and at most `close tag length - 1` characters are held back between deltas.
 *
 * The result does not depend on how the text is split: every decision is made on characters, never on where a
 * delta ends.
 */

/** A block's tag: `<package:type:version>`. */
export interface BlockTag {
  readonly package: string;
  readonly type: string;
  readonly version: string;
}

/** Why a block was abandoned. */
export type AbandonReason = "unclosed" | "too-large";

/** What the scanner reports, in text order. */
export interface TagScannerHandler {
  /** True when a block with this tag should be captured (an extractor is registered for it). */
  accepts(tag: BlockTag): boolean;
  /** Text outside any captured block (including tags that were not accepted). */
  text(text: string): void;
  /** A captured block opened. */
  blockStart(tag: BlockTag): void;
  /** A piece of the block's payload (the close tag is never part of it). */
  blockRaw(chunk: string): void;
  /** The block closed; `raw` is its whole payload. */
  blockEnd(raw: string): void;
  /**
   * The block is abandoned: the stream ended before its close tag, or its payload outgrew `maxCaptureBytes`.
   * `raw` is the payload captured so far. With `release`, the original text is reported through `text` right
   * after this call.
   */
  blockAbandoned(reason: AbandonReason, raw: string): void;
}

/** What the scanner does with an abandoned block's text. */
export type AbandonMode =
  /** Drop it (a too-large block is skipped up to its close tag). */
  | "drop"
  /** Give the original text back as plain text and go on scanning after the point of abandonment. */
  | "release";

/** TagScanner options. */
export interface TagScannerOptions {
  /** Largest payload, in UTF-8 bytes, a block may have. */
  maxCaptureBytes: number;
  /** Longest open tag, brackets included (longer candidates are plain text). */
  maxTagLength: number;
  abandon: AbandonMode;
}

type Mode = "idle" | "capturing" | "skipping";

/** True for `[A-Za-z0-9_.-]`. */
function isNameCharacter(code: number): boolean {
  return (
    (code >= 97 && code <= 122) || // a-z
    (code >= 65 && code <= 90) || // A-Z
    (code >= 48 && code <= 57) || // 0-9
    code === 95 || // _
    code === 45 || // -
    code === 46 // .
  );
}

/**
 * UTF-8 length of one UTF-16 code unit: surrogates count 2 each (4 for a pair), a lone surrogate is
 * counted as 2 rather than the 3 of its replacement character (close enough for a size cap).
 */
function utf8Length(code: number): number {
  if (code < 0x80) return 1;
  if (code < 0x800) return 2;
  if (code >= 0xd800 && code <= 0xdfff) return 2;
  return 3;
}

/**
 * UTF-8 byte length of a string, without allocating.
 *
 * @example
 * utf8ByteLength("é😀") // 6
 */
export function utf8ByteLength(text: string): number {
  let bytes = 0;
  for (let index = 0; index < text.length; index++) bytes += utf8Length(text.charCodeAt(index));
  return bytes;
}

function tagText(tag: BlockTag): string {
  return `${tag.package}:${tag.type}:${tag.version}`;
}

/**
 * Scans one stream. Feed it with `push(delta)`, end it with `end()`.
 *
 * @example
 * const scanner = new TagScanner(handler, { maxCaptureBytes: 1 << 20, maxTagLength: 256, abandon: "drop" });
 * scanner.push("Answer <app:note:v1>hel");
 * scanner.push("lo</app:note:v1> done");
 * scanner.end();
 */
export class TagScanner {
  readonly #handler: TagScannerHandler;
  readonly #options: TagScannerOptions;
  #mode: Mode = "idle";
  // Idle: a possible open tag in progress ("" when none).
  #pendingTag = "";
  #tagPart = 0;
  #tagPartLength = 0;
  // Capturing / skipping: the open tag (for reconstruction), the close tag, the held-back tail.
  #openTag = "";
  #closeTag = "";
  #heldBack = "";
  #payload: string[] = [];
  #payloadBytes = 0;

  constructor(handler: TagScannerHandler, options: TagScannerOptions) {
    this.#handler = handler;
    this.#options = options;
  }

  /** True when outside any block with no possible open tag pending: text without `<` passes straight through. */
  get idle(): boolean {
    return this.#mode === "idle" && this.#pendingTag === "";
  }

  /** True while inside a captured block. */
  get capturing(): boolean {
    return this.#mode === "capturing";
  }

  /** Scans the next piece of text. */
  push(delta: string): void {
    let input = delta;
    let position = 0;
    while (position < input.length) {
      if (this.#mode === "idle") {
        position = this.#scanIdle(input, position);
        continue;
      }
      // Inside a block: look for the close tag in the held-back tail plus the rest of the input.
      const chunk = position === 0 && this.#heldBack === "" ? input : this.#heldBack + input.slice(position);
      this.#heldBack = "";
      const resumeAt = this.#scanBlock(chunk);
      if (resumeAt < 0) return;
      input = chunk;
      position = resumeAt;
    }
  }

  /** Ends the stream: flushes a pending tag candidate and abandons an unclosed block. */
  end(): void {
    if (this.#mode === "idle") {
      if (this.#pendingTag !== "") {
        const pending = this.#pendingTag;
        this.#pendingTag = "";
        this.#handler.text(pending);
      }
      return;
    }
    if (this.#mode === "skipping") {
      this.#reset();
      return;
    }
    // The held-back tail was not the close tag after all: it is payload, and counts toward the cap.
    const tail = this.#heldBack;
    this.#heldBack = "";
    if (tail !== "") {
      const overflowAt = this.#overflowIndex(tail);
      if (overflowAt >= 0) {
        const resumeAt = this.#overflow(tail, tail, overflowAt);
        if (resumeAt >= 0) this.push(tail.slice(resumeAt));
        this.end();
        return;
      }
      this.#payload.push(tail);
      this.#handler.blockRaw(tail);
    }
    const raw = this.#payload.join("");
    const original = this.#openTag + raw;
    this.#reset();
    this.#handler.blockAbandoned("unclosed", raw);
    if (this.#options.abandon === "release") this.#handler.text(original);
  }

  #reset(): void {
    this.#mode = "idle";
    this.#openTag = "";
    this.#closeTag = "";
    this.#heldBack = "";
    this.#payload = [];
    this.#payloadBytes = 0;
  }

  /** Scans idle text from `position`; returns where to continue. */
  #scanIdle(input: string, position: number): number {
    if (this.#pendingTag === "") {
      const open = input.indexOf("<", position);
      if (open < 0) {
        this.#handler.text(position === 0 ? input : input.slice(position));
        return input.length;
      }
      if (open > position) this.#handler.text(input.slice(position, open));
      this.#pendingTag = "<";
      this.#tagPart = 0;
      this.#tagPartLength = 0;
      return open + 1;
    }
    // Continue a possible open tag, one character at a time.
    let index = position;
    for (; index < input.length; index++) {
      const code = input.charCodeAt(index);
      if (isNameCharacter(code)) {
        this.#tagPartLength++;
      } else if (code === 58 /* : */ && this.#tagPartLength > 0 && this.#tagPart < 2) {
        this.#tagPart++;
        this.#tagPartLength = 0;
      } else if (code === 62 /* > */ && this.#tagPart === 2 && this.#tagPartLength > 0) {
        this.#pendingTag += ">";
        this.#openTagComplete();
        return index + 1;
      } else {
        // Not a tag: the candidate is plain text; this character is scanned again as idle text.
        this.#flushPendingTag();
        return index;
      }
      this.#pendingTag += input[index];
      if (this.#pendingTag.length >= this.#options.maxTagLength) {
        this.#flushPendingTag();
        return index + 1;
      }
    }
    return index;
  }

  #flushPendingTag(): void {
    const pending = this.#pendingTag;
    this.#pendingTag = "";
    this.#handler.text(pending);
  }

  #openTagComplete(): void {
    const openTag = this.#pendingTag;
    this.#pendingTag = "";
    const [tagPackage = "", type = "", version = ""] = openTag.slice(1, -1).split(":");
    const tag: BlockTag = { package: tagPackage, type, version };
    if (!this.#handler.accepts(tag)) {
      this.#handler.text(openTag);
      return;
    }
    this.#mode = "capturing";
    this.#openTag = openTag;
    this.#closeTag = `</${tagText(tag)}>`;
    this.#payload = [];
    this.#payloadBytes = 0;
    this.#heldBack = "";
    this.#handler.blockStart(tag);
  }

  /**
   * Scans `chunk` inside a block (capturing or skipping). Returns where idle scanning resumes in `chunk`, or -1
   * when the whole chunk was consumed and the block is still open.
   */
  #scanBlock(chunk: string): number {
    const closeTag = this.#closeTag;
    const close = chunk.indexOf(closeTag);
    let payloadEnd: number;
    if (close >= 0) {
      payloadEnd = close;
    } else {
      // Hold back the longest tail that could begin the close tag (it starts at the last '<', if any).
      payloadEnd = chunk.length;
      const lastOpen = chunk.lastIndexOf("<");
      if (
        lastOpen >= 0 &&
        chunk.length - lastOpen < closeTag.length &&
        closeTag.startsWith(chunk.slice(lastOpen))
      ) {
        payloadEnd = lastOpen;
      }
    }
    if (this.#mode === "skipping") {
      if (close >= 0) {
        this.#reset();
        return close + closeTag.length;
      }
      this.#heldBack = chunk.slice(payloadEnd);
      return -1;
    }
    const piece = payloadEnd === chunk.length ? chunk : chunk.slice(0, payloadEnd);
    const overflowAt = this.#overflowIndex(piece);
    if (overflowAt >= 0) return this.#overflow(chunk, piece, overflowAt);
    if (piece.length > 0) {
      this.#payload.push(piece);
      this.#handler.blockRaw(piece);
    }
    if (close >= 0) {
      const raw = this.#payload.join("");
      this.#reset();
      this.#handler.blockEnd(raw);
      return close + closeTag.length;
    }
    this.#heldBack = chunk.slice(payloadEnd);
    return -1;
  }

  /** Index of the first character of `piece` that takes the payload over the cap, or -1. */
  #overflowIndex(piece: string): number {
    const limit = this.#options.maxCaptureBytes;
    let bytes = this.#payloadBytes;
    // Fast path: the whole piece fits (a piece is at most 3 bytes per code unit).
    if (bytes + piece.length * 3 <= limit) {
      this.#payloadBytes = bytes + utf8ByteLength(piece);
      return -1;
    }
    for (let index = 0; index < piece.length; index++) {
      bytes += utf8Length(piece.charCodeAt(index));
      if (bytes > limit) return index;
    }
    this.#payloadBytes = bytes;
    return -1;
  }

  /**
   * The payload outgrew the cap at `piece[overflowAt]`: the payload within the cap is reported, then the block
   * is abandoned. Returns where idle scanning resumes in `chunk` (release: at the overflowing character), or -1.
   */
  #overflow(chunk: string, piece: string, overflowAt: number): number {
    const kept = piece.slice(0, overflowAt);
    if (kept.length > 0) this.#handler.blockRaw(kept);
    const raw = this.#payload.join("") + kept;
    const original = this.#openTag + raw;
    const closeTag = this.#closeTag;
    this.#reset();
    this.#handler.blockAbandoned("too-large", raw);
    if (this.#options.abandon === "release") {
      this.#handler.text(original);
      return overflowAt;
    }
    // Drop the rest of the block: skip up to its close tag.
    this.#mode = "skipping";
    this.#closeTag = closeTag;
    const resumeAt = this.#scanBlock(chunk.slice(overflowAt));
    return resumeAt < 0 ? -1 : overflowAt + resumeAt;
  }
}
