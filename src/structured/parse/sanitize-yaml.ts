/**
 * Repairs the slightly broken YAML that models write, line by line, before it is parsed.
 */

const KEY_VALUE = /^(\s*(?:-\s+)?)([A-Za-z_][\w .-]*?):[ \t]+(.*?)\s*$/;

/**
 * Fixes common mistakes in model-written YAML. Linear in the text; valid YAML of the shapes models write
 * (mappings, lists, plain and quoted scalars) comes out unchanged in meaning.
 * - tabs in indentation become two spaces each;
 * - a plain value that YAML would misread is quoted: one holding `: ` (`title: Attention: all you need`) or
 *   ` #`, one ending in `:`, or one starting with a character YAML reserves (`` ` ``, `@`, `%`);
 * - a quoted value with text after its closing quote (`title: "GPT-4" Technical Report`) is quoted whole.
 *
 * @example
 * sanitizeYaml("- title: Attention: all you need\n\tyear: 2017")
 * // '- title: "Attention: all you need"\n  year: 2017'
 */
export function sanitizeYaml(text: string): string {
  const lines = text.split("\n");
  for (let index = 0; index < lines.length; index++) {
    let line = lines[index]!;
    if (line.startsWith("\t") || line.startsWith(" \t")) line = untabIndentation(line);
    const match = KEY_VALUE.exec(line);
    if (match) {
      const [, prefix = "", key = "", value = ""] = match;
      if (needsQuotes(value)) line = `${prefix}${key}: ${JSON.stringify(value)}`;
    }
    lines[index] = line;
  }
  return lines.join("\n");
}

function untabIndentation(line: string): string {
  let end = 0;
  while (end < line.length && (line[end] === "\t" || line[end] === " ")) end++;
  return line.slice(0, end).replaceAll("\t", "  ") + line.slice(end);
}

function needsQuotes(value: string): boolean {
  if (value === "") return false;
  const first = value[0]!;
  if (first === '"' || first === "'") return !isWholeQuoted(value, first);
  // Flow collections, block scalars, anchors, aliases, tags and comments are left alone.
  if ("[{|>&*!#".includes(first)) return false;
  if ("`@%".includes(first)) return true;
  return value.includes(": ") || value.includes(" #") || value.endsWith(":");
}

/** True when `value` is one quoted scalar (possibly followed by a comment). */
function isWholeQuoted(value: string, quote: string): boolean {
  for (let index = 1; index < value.length; index++) {
    const character = value[index];
    if (quote === '"' && character === "\\") {
      index++;
      continue;
    }
    if (character !== quote) continue;
    if (quote === "'" && value[index + 1] === "'") {
      index++;
      continue;
    }
    const rest = value.slice(index + 1).trim();
    return rest === "" || rest.startsWith("#");
  }
  // An unterminated quote may continue on the next line (a multi-line scalar): leave it.
  return true;
}
