/**
 * The short path of an Anthropic text or tool-input delta: the literal read from the event's source without
 * parsing the event.
 */
import { stringLiteral } from "../../provider-kit/string-literal.ts";

/** True for the whitespace JSON allows on one SSE line (space, tab). */
function isBlank(code: number): boolean {
  return code === 32 || code === 9;
}

/**
 * The literal of a delta whose JSON up to its literal (`"text":` of a text delta, `"partial_json":` of a tool
 * input delta) is `prefixLength` characters long: the rest must be one string literal, then `}`, then `}`
 * (spaces allowed around them: Anthropic pads its events). Reading only the literal costs a fraction of parsing
 * the whole event, for the same string: once the literal reads alone, the event is exactly
 * `{…,"text":<literal>}}`. Undefined when the rest has another shape (the caller parses it all).
 *
 * @example
 * const prefix = '{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":';
 * literalText(`${prefix}"Hi"}  }`, prefix.length) // "Hi"
 */
export function literalText(data: string, prefixLength: number): string | undefined {
  let end = data.length - 1;
  while (isBlank(data.charCodeAt(end))) end--;
  if (data.charCodeAt(end) !== 125) return undefined;
  end--;
  while (isBlank(data.charCodeAt(end))) end--;
  if (data.charCodeAt(end) !== 125) return undefined;
  end--;
  while (isBlank(data.charCodeAt(end))) end--;
  if (end <= prefixLength || data.charCodeAt(end) !== 34 || data.charCodeAt(prefixLength) !== 34)
    return undefined;
  return stringLiteral(data, prefixLength, end);
}
