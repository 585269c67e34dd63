/**
 * The short path of an OpenAI Chat delta: a content or tool-call arguments delta read from the chunk's source
 * without parsing the chunk.
 *
 * Nearly every chunk of an answer is `{…same fields…,"choices":[{"index":0,"delta":{"content":<literal>},
 * "logprobs":null,"finish_reason":null}],"usage":null,"obfuscation":"…"}` (about 270 bytes), or the same with
 * `"delta":{"tool_calls":[{"index":N,"function":{"arguments":<literal>}}]}` while a tool call streams; the fields
 * before the delta are the same bytes in every chunk. Once one such chunk has been parsed whole, the next ones
 * that start with the same bytes only need their literal parsed: the rest of the chunk holds nothing the reader
 * uses.
 */
import { startsWithPrefix, stringLiteral } from "../../provider-kit/string-literal.ts";
import type { ChatChunk, ChatToolCallDelta } from "./wire.ts";

/** What the chunks of one short path carry: the answer's text, or the arguments of the tool call `call`. */
export interface ShortDelta {
  /** The source of such a chunk up to its literal. */
  prefix: string;
  /** What follows the literal, from its closing quote to the end of the choices. */
  end: string;
  /** The tool call's index for an arguments delta; undefined for content. */
  call: number | undefined;
}

/** Where a delta's JSON starts, from `"choices"` on. */
const DELTA_AT = '"choices":[{"index":0,"delta":{';
/** The end of the choice after a delta. */
const CHOICE_END = '},"logprobs":null,"finish_reason":null}]';
const CONTENT_END = `"${CHOICE_END}`;
const ARGUMENTS_END = `"}}]${CHOICE_END}`;
/**
 * The end of a chunk after its choices: `usage` null (sent with `stream_options.include_usage`) and OpenAI's
 * `obfuscation` padding (letters, digits, base64 signs), each optional, then the closing brace (spaces allowed).
 * Sticky: matched where it stands.
 */
const TAIL = /(?:,"usage":null)?(?:,"obfuscation":"[\w+/=-]*")?[ \t]*\}[ \t]*$/y;
/** The top-level fields a chunk on the short path may have. */
const CHUNK_FIELDS = new Set([
  "id",
  "object",
  "created",
  "model",
  "service_tier",
  "system_fingerprint",
  "choices",
  "usage",
  "obfuscation",
]);
/** The fields of its one choice. */
const CHOICE_FIELDS = new Set(["index", "delta", "logprobs", "finish_reason"]);

/** True when `value` is an object whose own keys are exactly `keys`. */
function hasExactly(value: unknown, ...keys: string[]): boolean {
  if (typeof value !== "object" || value === null) return false;
  let count = 0;
  for (const key in value) {
    if (!keys.includes(key)) return false;
    count++;
  }
  return count === keys.length;
}

/** True when every own key of `value` is in `allowed`. */
function onlyFields(value: object, allowed: Set<string>): boolean {
  for (const key in value) if (!allowed.has(key)) return false;
  return true;
}

/** The index of the one tool call of an arguments-only delta; undefined for any other delta. */
function argumentsCall(calls: ChatToolCallDelta[] | undefined): number | undefined {
  if (calls?.length !== 1) return undefined;
  const call = calls[0]!;
  if (!hasExactly(call, "index", "function") || !Number.isInteger(call.index)) return undefined;
  const fn = call.function;
  return hasExactly(fn, "arguments") && typeof fn?.arguments === "string" ? call.index : undefined;
}

/**
 * The short path of the chunks like `chunk` when `chunk` is a content-only or arguments-only delta of choice 0
 * written compactly in OpenAI's field order; undefined otherwise.
 *
 * @example
 * const data = '{"id":"c1","model":"m","choices":[{"index":0,"delta":{"content":"Hi"},"logprobs":null,"finish_reason":null}]}';
 * shortDeltaOf(data, JSON.parse(data))?.prefix // '{"id":"c1","model":"m","choices":[{"index":0,"delta":{"content":'
 */
export function shortDeltaOf(data: string, chunk: ChatChunk): ShortDelta | undefined {
  const choices = chunk.choices;
  if (choices?.length !== 1 || (chunk.usage !== undefined && chunk.usage !== null)) return undefined;
  const choice = choices[0]!;
  if (
    choice.index !== 0 ||
    choice.finish_reason !== null ||
    (choice as { logprobs?: unknown }).logprobs !== null
  )
    return undefined;
  if (!onlyFields(chunk, CHUNK_FIELDS) || !onlyFields(choice, CHOICE_FIELDS)) return undefined;
  const delta = choice.delta;
  let fields: string;
  let end: string;
  let call: number | undefined;
  if (hasExactly(delta, "content") && typeof delta?.content === "string") {
    fields = '"content":';
    end = CONTENT_END;
  } else {
    call = argumentsCall(delta?.tool_calls);
    if (call === undefined) return undefined;
    fields = `"tool_calls":[{"index":${call},"function":{"arguments":`;
    end = ARGUMENTS_END;
  }
  const at = data.indexOf(DELTA_AT + fields);
  if (at === -1) return undefined;
  return { prefix: data.slice(0, at + DELTA_AT.length + fields.length), end, call };
}

/**
 * The literal of a chunk that starts like `short.prefix` (checked here): the rest must be one string literal,
 * then `short.end`, then the tail above. Reading only the literal costs a fraction of parsing the chunk (no
 * objects, no strings for the id, model and padding). Undefined when the chunk has another shape (the caller
 * parses it whole).
 *
 * @example
 * shortDeltaText(`${short.prefix}"Hi"},"logprobs":null,"finish_reason":null}]}`, short) // "Hi"
 */
export function shortDeltaText(data: string, short: ShortDelta): string | undefined {
  const prefix = short.prefix;
  const start = prefix.length;
  if (data.charCodeAt(start) !== 34 || !startsWithPrefix(data, prefix)) return undefined;
  const end = data.indexOf(short.end, start + 1);
  if (end === -1) return undefined;
  TAIL.lastIndex = end + short.end.length;
  if (!TAIL.test(data)) return undefined;
  return stringLiteral(data, start, end);
}
