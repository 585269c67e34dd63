/**
 * The short path of an OpenAI Chat content delta: the text read from the chunk's source without parsing the chunk.
 *
 * Nearly every chunk of an answer is `{…same fields…,"choices":[{"index":0,"delta":{"content":<literal>},
 * "logprobs":null,"finish_reason":null}],"usage":null,"obfuscation":"…"}` (about 270 bytes), whose fields before
 * the content are the same bytes in every chunk. Once one such chunk has been parsed whole, the next ones that
 * start with the same bytes only need their literal parsed: the rest of the chunk holds nothing the reader uses.
 */
import type { ChatChunk } from "./wire.ts";

/** Where the content literal starts: the JSON before it, from `"choices"` on. */
const CONTENT_AT = '"choices":[{"index":0,"delta":{"content":';
/** What follows the literal, from its closing quote on. */
const CONTENT_END = '"},"logprobs":null,"finish_reason":null}]';
/**
 * The end of a chunk after its choices: `usage` null (sent with `stream_options.include_usage`) and OpenAI's
 * `obfuscation` padding (letters, digits, base64 signs), each optional, then the closing brace (spaces allowed). Sticky: matched where it stands.
 */
const TAIL = /(?:,"usage":null)?(?:,"obfuscation":"[\w+/=-]*")?[ \t]*\}[ \t]*$/y;
/** The top-level fields a content-only chunk may have. */
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

/** True when every own key of `value` is in `allowed`. */
function onlyFields(value: object, allowed: Set<string>): boolean {
  for (const key in value) if (!allowed.has(key)) return false;
  return true;
}

/**
 * The source of `chunk` up to its content literal when `chunk` is a content-only delta of choice 0 written
 * compactly in OpenAI's field order (what later chunks of the same answer start with); undefined otherwise.
 *
 * @example
 * const data = '{"id":"c1","model":"m","choices":[{"index":0,"delta":{"content":"Hi"},"logprobs":null,"finish_reason":null}]}';
 * contentPrefix(data, JSON.parse(data)) // '{"id":"c1","model":"m","choices":[{"index":0,"delta":{"content":'
 */
export function contentPrefix(data: string, chunk: ChatChunk): string | undefined {
  const choices = chunk.choices;
  if (choices?.length !== 1 || (chunk.usage !== undefined && chunk.usage !== null)) return undefined;
  const choice = choices[0]!;
  const delta = choice.delta as Record<string, unknown> | undefined;
  if (
    choice.index !== 0 ||
    choice.finish_reason !== null ||
    (choice as { logprobs?: unknown }).logprobs !== null
  )
    return undefined;
  if (delta === undefined || typeof delta.content !== "string" || Object.keys(delta).length !== 1)
    return undefined;
  if (!onlyFields(chunk, CHUNK_FIELDS) || !onlyFields(choice, CHOICE_FIELDS)) return undefined;
  const at = data.indexOf(CONTENT_AT);
  return at === -1 ? undefined : data.slice(0, at + CONTENT_AT.length);
}

/**
 * The content of a chunk that starts with a prefix of `contentPrefix`, `prefixLength` characters long: the rest
 * must be one string literal, then the choice's fixed end, then the tail above. Parsing only the literal costs a
 * fraction of parsing the chunk (no objects, no strings for the id, model and padding). Undefined when the rest
 * has another shape (the caller parses the chunk whole).
 *
 * @example
 * contentText(`${prefix}"Hi"},"logprobs":null,"finish_reason":null}]}`, prefix.length) // "Hi"
 */
export function contentText(data: string, prefixLength: number): string | undefined {
  if (data.charCodeAt(prefixLength) !== 34) return undefined;
  const end = data.indexOf(CONTENT_END, prefixLength + 1);
  if (end === -1) return undefined;
  TAIL.lastIndex = end + CONTENT_END.length;
  if (!TAIL.test(data)) return undefined;
  try {
    return JSON.parse(data.slice(prefixLength, end + 1)) as string;
  } catch {
    return undefined;
  }
}
