/**
 * Best-so-far parsing of JSON that is still being written.
 */

/** The result of {@link parsePartialJson}. */
export type PartialJsonResult =
  /** `complete`: the text was a whole JSON document. */
  { ok: true; value: unknown; complete: boolean } | { ok: false; error: Error };

/**
 * Parses the longest usable prefix of a JSON document that is still streaming: the text is cut back to the last
 * complete value (an unfinished string, number, literal or key is left out) and the open arrays and objects are
 * closed. One pass over the text plus one `JSON.parse`: linear in the text.
 *
 * @example
 * parsePartialJson('{"citations": [{"title": "GPT-4"}, {"title": "Att')
 * // { ok: true, value: { citations: [{ title: "GPT-4" }, {}] }, complete: false }
 */
export function parsePartialJson(text: string): PartialJsonResult {
  try {
    return { ok: true, value: JSON.parse(text), complete: true };
  } catch (error) {
    const candidate = completablePrefix(text);
    if (candidate === undefined) return { ok: false, error: error as Error };
    try {
      return { ok: true, value: JSON.parse(candidate), complete: false };
    } catch {
      return { ok: false, error: error as Error };
    }
  }
}

interface Frame {
  closer: "}" | "]";
  /** In an object: true while a key is expected (after `{` or `,`). */
  expectingKey: boolean;
}

/**
 * The text cut at the last point where every open container can be closed, with the closers appended; undefined
 * when no such point exists yet.
 */
function completablePrefix(text: string): string | undefined {
  const stack: Frame[] = [];
  let inString = false;
  let escaped = false;
  let stringIsKey = false;
  let safeEnd = -1;
  let safeClosers = "";
  let started = false;
  const markSafe = (end: number) => {
    safeEnd = end;
    let closers = "";
    for (let index = stack.length - 1; index >= 0; index--) closers += stack[index]!.closer;
    safeClosers = closers;
  };
  for (let index = 0; index < text.length; index++) {
    const character = text[index]!;
    if (inString) {
      if (escaped) escaped = false;
      else if (character === "\\") escaped = true;
      else if (character === '"') {
        inString = false;
        if (!stringIsKey) markSafe(index + 1);
      }
      continue;
    }
    const top = stack[stack.length - 1];
    switch (character) {
      case '"':
        inString = true;
        stringIsKey = top !== undefined && top.closer === "}" && top.expectingKey;
        if (stringIsKey) top!.expectingKey = false;
        started = true;
        break;
      case "{":
      case "[":
        stack.push({ closer: character === "{" ? "}" : "]", expectingKey: character === "{" });
        started = true;
        markSafe(index + 1);
        break;
      case "}":
      case "]":
        stack.pop();
        markSafe(index + 1);
        if (stack.length === 0) return text.slice(0, index + 1);
        break;
      case ",":
        if (top?.closer === "}") top.expectingKey = true;
        break;
      default:
        // Numbers and literals: complete once a delimiter follows, which marks nothing by itself; the value is
        // kept when the next `,` `}` `]` arrives (a `,` is not a safe end, but the value before it is).
        if (/[\d.eE+\-truefalsn]/.test(character) && top !== undefined) {
          const next = text[index + 1];
          if (next !== undefined && /[\s,\]}]/.test(next)) markSafe(index + 1);
        }
        break;
    }
  }
  if (!started || safeEnd < 0) return undefined;
  return text.slice(0, safeEnd) + safeClosers;
}
