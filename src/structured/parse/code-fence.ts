/**
 * Code fences: models often wrap a block's payload in ```yaml … ``` even when told not to.
 */

/** A payload with its code fence removed. */
export interface UnfencedText {
  /** The fence's language (lower case), "" when there was no fence or no language. */
  language: string;
  body: string;
  /** True when an opening fence was found. */
  fenced: boolean;
}

/**
 * Removes a Markdown code fence around `text`, if there is one. Works on partial text while it streams: an
 * opening fence whose line is not finished yet gives an empty body, and a missing closing fence is fine.
 * Only a fence at the start (after whitespace) counts. Linear in the text.
 *
 * @example
 * stripCodeFence("```yaml\ncitations: []\n```") // { language: "yaml", body: "citations: []\n", fenced: true }
 * stripCodeFence("citations: []") // { language: "", body: "citations: []", fenced: false }
 */
export function stripCodeFence(text: string): UnfencedText {
  const start = text.length - text.trimStart().length;
  const open = text.startsWith("```", start) ? start : -1;
  if (open < 0) {
    // A fence still being written ("`", "``", "```ya") at the very start: nothing usable yet.
    const trimmed = text.trimStart();
    if (trimmed.length > 0 && trimmed.length < 3 && /^`+$/.test(trimmed)) {
      return { language: "", body: "", fenced: true };
    }
    return { language: "", body: text, fenced: false };
  }
  const lineEnd = text.indexOf("\n", open + 3);
  if (lineEnd < 0)
    return {
      language: text
        .slice(open + 3)
        .trim()
        .toLowerCase(),
      body: "",
      fenced: true,
    };
  const language = text
    .slice(open + 3, lineEnd)
    .trim()
    .toLowerCase();
  let body = text.slice(lineEnd + 1);
  const close = body.lastIndexOf("```");
  if (close >= 0 && isFenceLine(body, close)) body = body.slice(0, close);
  return { language, body, fenced: true };
}

function isFenceLine(text: string, index: number): boolean {
  for (let position = index - 1; position >= 0; position--) {
    const character = text[position];
    if (character === "\n") return true;
    if (character !== " " && character !== "\t") return false;
  }
  return true;
}
