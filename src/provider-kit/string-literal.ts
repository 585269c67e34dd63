/**
 * Reading one JSON string literal out of a provider event's source, for the engines' short paths (a text or
 * arguments delta read without parsing the whole event).
 */

/** A string shorter than this is copied by `slice` (V8 shares the source of longer slices, keeping it alive). */
const COPIED_SLICE = 13;

/**
 * True when `data` starts with `prefix` and goes on after it (a literal follows). A slice compared with `===` is about twice as fast as `startsWith`
 * when `data` holds text beyond Latin-1 (a two-byte string) and `prefix` does not.
 *
 * @example
 * startsWithPrefix('{"type":"x","text":"日本"}', '{"type":"x",') // true
 */
export function startsWithPrefix(data: string, prefix: string): boolean {
  return data.length > prefix.length && data.slice(0, prefix.length) === prefix;
}

/**
 * The value of the JSON string literal of `data` from `open` to `close` (the indexes of its quotes), or undefined
 * when that is not exactly one valid literal (what `JSON.parse` of it would reject). A short literal without
 * escapes is sliced, not parsed.
 *
 * @example
 * stringLiteral('{"text":"Hi"}', 8, 11) // "Hi"
 */
export function stringLiteral(data: string, open: number, close: number): string | undefined {
  if (close - open - 1 < COPIED_SLICE && data.indexOf('"', open + 1) === close) {
    let plain = true;
    for (let index = open + 1; index < close; index++) {
      const code = data.charCodeAt(index);
      if (code === 92 || code < 32) {
        plain = false;
        break;
      }
    }
    if (plain) return data.slice(open + 1, close);
  }
  try {
    const value: unknown = JSON.parse(data.slice(open, close + 1));
    return typeof value === "string" ? value : undefined;
  } catch {
    return undefined;
  }
}
