/**
 * The short path of an Anthropic text delta: the text read from the event's source without parsing the event.
 */

/** True for the whitespace JSON allows on one SSE line (space, tab). */
function isBlank(code: number): boolean {
  return code === 32 || code === 9;
}

/**
 * The text of a text delta whose JSON up to its text is `prefixLength` characters long: the rest must be one
 * string literal, then `}`, then `}` (spaces allowed around them: Anthropic pads its events). Parsing only the
 * literal costs about 60% of parsing the whole event, for the same string: once the literal parses alone, the
 * event is exactly `{…,"text":<literal>}}`. Undefined when the rest has another shape (the caller parses it all).
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
  try {
    return JSON.parse(data.slice(prefixLength, end + 1)) as string;
  } catch {
    return undefined;
  }
}
