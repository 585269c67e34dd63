/**
 * Debounced incremental parsers: feed a block's payload as it streams and get best-so-far values now and then,
 * then the final value when the block closes.
 *
 * Cost: each attempt re-parses the buffered text (YAML and JSON have no cheap resumable parser), so attempts are
 * debounced. An attempt needs at least `max(everyBytes, growthRatio × buffered)` new bytes (at a newline with
 * `onNewline`: `max(newlineMinBytes, growthRatio × buffered)`). The gap grows with the buffer, so the buffered
 * lengths parsed form a geometric series: for a payload of n bytes the attempts number
 * O(min(n / newlineMinBytes, log(n) / log(1 + growthRatio))) and re-parse at most about n × (1 + 1 / growthRatio)
 * bytes in total (5n with the default 0.25) — linear. With `growthRatio: 0` attempts come every fixed gap and
 * the total is O(n² / gap). {@link DebouncedParser.stats} reports the figures.
 */
import { loadYaml } from "../../turns/lazy-modules.ts";
import { stripCodeFence } from "./code-fence.ts";
import { parsePartialJson } from "./partial-json.ts";
import { sanitizeYaml } from "./sanitize-yaml.ts";

/** How often a debounced parser tries to parse, and what it accepts. */
export interface DebounceOptions<T> {
  /** Try after this many new characters (default 256). */
  everyBytes?: number;
  /** Also try when a newline arrives (default true) … */
  onNewline?: boolean;
  /** … provided this many new characters arrived since the last try (default 16). */
  newlineMinBytes?: number;
  /** The gap between tries is at least this fraction of the buffered text (default 0.25; 0 disables). */
  growthRatio?: number;
  /** Largest payload in characters (default 64 KiB); beyond it snapshots stop and `finish` fails. */
  maxBytes?: number;
  /** Repair model-written YAML before parsing (default true; YAML only). */
  sanitize?: boolean;
  /** Checks and converts a parsed value (a zod schema's `parse`, say); throw to reject it. */
  validate?: (value: unknown) => T;
}

/** The outcome of {@link DebouncedParser.finish}. */
export type ParseOutcome<T> = { ok: true; value: T } | { ok: false; error: Error };

/** Work done so far, to check the debouncing. */
export interface ParseStats {
  /** Characters fed. */
  fedBytes: number;
  /** Parse attempts. */
  attempts: number;
  /** Characters handed to the parser over all attempts. */
  parsedBytes: number;
}

type ParseFunction = (text: string, partial: boolean) => { ok: true; value: unknown } | { ok: false };

/**
 * Accumulates a payload and parses it on a debounced cadence. Create one per block with {@link debouncedYaml}
 * or {@link debouncedJson}.
 *
 * @example
 * const parser = debouncedYaml({ validate: (value) => CitationsSchema.parse(value) });
 * const snapshot = parser.feed(chunk); // a new best-so-far value, or undefined
 * const outcome = parser.finish(raw);  // { ok: true, value } or { ok: false, error }
 */
export class DebouncedParser<T> {
  readonly #parse: ParseFunction;
  readonly #everyBytes: number;
  readonly #onNewline: boolean;
  readonly #newlineMinBytes: number;
  readonly #growthRatio: number;
  readonly #maxBytes: number;
  readonly #validate: (value: unknown) => T;
  #chunks: string[] = [];
  #length = 0;
  #sinceAttempt = 0;
  #overflowed = false;
  #lastSnapshot: string | undefined;
  readonly #stats: ParseStats = { fedBytes: 0, attempts: 0, parsedBytes: 0 };

  constructor(parse: ParseFunction, options: DebounceOptions<T> = {}) {
    this.#parse = parse;
    this.#everyBytes = Math.max(1, options.everyBytes ?? 256);
    this.#onNewline = options.onNewline ?? true;
    this.#newlineMinBytes = Math.max(1, options.newlineMinBytes ?? 16);
    this.#growthRatio = Math.max(0, options.growthRatio ?? 0.25);
    this.#maxBytes = options.maxBytes ?? 64 * 1024;
    this.#validate = options.validate ?? ((value) => value as T);
  }

  /** Work done so far. */
  get stats(): Readonly<ParseStats> {
    return this.#stats;
  }

  /** The text fed so far. */
  get text(): string {
    if (this.#chunks.length > 1) this.#chunks = [this.#chunks.join("")];
    return this.#chunks[0] ?? "";
  }

  /**
   * Adds a piece of the payload. Returns a best-so-far value when this piece triggered a parse that succeeded,
   * passed `validate` and differs from the previous snapshot; otherwise undefined. Never throws.
   */
  feed(chunk: string): T | undefined {
    if (chunk.length === 0 || this.#overflowed) return undefined;
    this.#stats.fedBytes += chunk.length;
    if (this.#length + chunk.length > this.#maxBytes) {
      this.#overflowed = true;
      this.#chunks = [];
      return undefined;
    }
    this.#chunks.push(chunk);
    this.#length += chunk.length;
    this.#sinceAttempt += chunk.length;
    const growthGap = Math.ceil(this.#growthRatio * this.#length);
    const due =
      this.#sinceAttempt >= Math.max(this.#everyBytes, growthGap) ||
      (this.#onNewline &&
        this.#sinceAttempt >= Math.max(this.#newlineMinBytes, growthGap) &&
        chunk.includes("\n"));
    if (!due) return undefined;
    this.#sinceAttempt = 0;
    const value = this.#attempt(this.text, true);
    if (value === undefined) return undefined;
    const fingerprint = JSON.stringify(value.value);
    if (fingerprint === this.#lastSnapshot) return undefined;
    this.#lastSnapshot = fingerprint;
    return value.value;
  }

  /** Parses the whole payload: `raw` when given (the block's payload), else what was fed. Never throws. */
  finish(raw?: string): ParseOutcome<T> {
    const text = raw ?? this.text;
    if (this.#overflowed || text.length > this.#maxBytes) {
      return { ok: false, error: new Error(`payload is larger than maxBytes (${this.#maxBytes})`) };
    }
    let failure: Error = new Error("payload is empty or not parseable");
    const outcome = this.#attempt(text, false, (error) => {
      failure = error;
    });
    return outcome === undefined ? { ok: false, error: failure } : { ok: true, value: outcome.value };
  }

  #attempt(text: string, partial: boolean, onError?: (error: Error) => void): { value: T } | undefined {
    this.#stats.attempts++;
    this.#stats.parsedBytes += text.length;
    try {
      const parsed = this.#parse(text, partial);
      if (!parsed.ok) return undefined;
      return { value: this.#validate(parsed.value) };
    } catch (error) {
      onError?.(error instanceof Error ? error : new Error(String(error)));
      return undefined;
    }
  }
}

/**
 * A debounced YAML parser. Code fences are stripped; while streaming only complete lines are parsed (a
 * half-written line would give a truncated key or value); `sanitize` (default true) repairs model mistakes.
 *
 * @example
 * const parser = debouncedYaml<{ citations: { title: string }[] }>({ everyBytes: 128 });
 * for (const chunk of chunks) {
 *   const best = parser.feed(chunk);
 *   if (best) render(best.citations);
 * }
 */
export function debouncedYaml<T = unknown>(options: DebounceOptions<T> = {}): DebouncedParser<T> {
  const sanitize = options.sanitize ?? true;
  return new DebouncedParser<T>((text, partial) => {
    let body = stripCodeFence(text).body;
    if (partial) body = body.slice(0, body.lastIndexOf("\n") + 1);
    if (body.trim() === "") {
      if (partial) return { ok: false };
      throw new Error("payload is empty");
    }
    const value: unknown = loadYaml().parse(sanitize ? sanitizeYaml(body) : body);
    if (value === null || value === undefined) return { ok: false };
    return { ok: true, value };
  }, options);
}

/**
 * A debounced JSON parser. Code fences are stripped; while streaming, the text is cut back to its last complete
 * value and open arrays and objects are closed (see {@link parsePartialJson}).
 *
 * @example
 * const parser = debouncedJson<{ items: string[] }>({ everyBytes: 8 });
 * parser.feed('{"items": ["a", "b"'); // { items: ["a"] }: "b" may still grow
 */
export function debouncedJson<T = unknown>(options: DebounceOptions<T> = {}): DebouncedParser<T> {
  return new DebouncedParser<T>((text, partial) => {
    const body = stripCodeFence(text).body;
    if (!partial) return { ok: true, value: JSON.parse(body) as unknown };
    const result = parsePartialJson(body);
    return result.ok ? { ok: true, value: result.value } : { ok: false };
  }, options);
}
