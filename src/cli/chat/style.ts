/**
 * Terminal styles as SGR codes, for the text the chat prints itself (the scrollback, Markdown).
 */

/** SGR styles by name. */
const SGR = {
  bold: "1",
  dim: "2",
  italic: "3",
  underline: "4",
  inverse: "7",
  red: "31",
  green: "32",
  yellow: "33",
  blue: "34",
  magenta: "35",
  cyan: "36",
} as const;

/** A style: the names of its SGR codes. */
export type Style = readonly (keyof typeof SGR)[];

/**
 * `text` in `style` (nothing added when colors are off or there is no style).
 *
 * @example
 * paint("done", ["dim"], true) // "\x1b[2mdone\x1b[0m"
 */
export function paint(text: string, style: Style, color: boolean): string {
  if (!color || style.length === 0 || text === "") return text;
  return `\x1b[${style.map((name) => SGR[name]).join(";")}m${text}\x1b[0m`;
}
