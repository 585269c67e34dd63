/**
 * Markdown for the terminal, streamed: an answer arrives line by line (a long line row by row), so the renderer
 * keeps what spans lines (a fenced code block, a table, emphasis open at a row break) and prints each line as
 * soon as it is final. Headings bold, emphasis and inline code styled, lists with bullets, quotes with a bar,
 * code blocks highlighted (keywords, strings, comments, numbers), tables aligned once their last row arrived.
 *
 * Hand-written, not a Markdown library: the libraries of the field (markdown-it, marked and marked-terminal)
 * render a whole document, while the chat must print a line the moment it is complete and never again (the
 * scrollback is written once). The input is already inert (see `print.ts`); the output adds only SGR codes.
 */
import { stripVTControlCharacters } from "node:util";
import { displayWidth, rowsOf } from "./scrollback.ts";
import { paint, type Style } from "./style.ts";

/** Feeds an answer's text to the renderer; returns the rows to print (without newlines). */
export interface MarkdownRenderer {
  /**
   * Renders `text`: whole lines, or with `continued` a first piece of a line whose rest comes with the next
   * call. Returns the rows that are final (a table's rows wait for the table's end).
   */
  feed(text: string, continued: boolean, columns: number): string[];
  /** The end of the answer text (or of a run of it): what was held back (a table). */
  end(columns: number): string[];
}

interface Emphasis {
  bold: boolean;
  italic: boolean;
  code: boolean;
}

const KEYWORDS = new Set(
  (
    "as async await break case catch class const continue def default defer del delete do elif else enum export " +
    "extends false fi fn for from func function go if impl import in interface is lambda let loop match mod mut " +
    "new nil none not null or pass package pub raise return self static struct super switch then this throw " +
    "trait true try type typeof undefined use var void while with yield"
  ).split(" "),
);

/** One line of code, highlighted: comments dim, strings green, numbers yellow, keywords magenta. */
export function highlightCode(line: string, language: string, color: boolean): string {
  if (!color) return line;
  const hashComments = /^(py|python|sh|bash|shell|zsh|rb|ruby|yaml|yml|toml|r|perl|make|dockerfile)$/i.test(
    language,
  );
  const token = hashComments
    ? /(#.*$)|("(?:\\.|[^"\\])*"?|'(?:\\.|[^'\\])*'?)|(\b\d[\w.]*\b)|([A-Za-z_]\w*)/g
    : /(\/\/.*$|\/\*.*?(?:\*\/|$))|("(?:\\.|[^"\\])*"?|'(?:\\.|[^'\\])*'?|`(?:\\.|[^`\\])*`?)|(\b\d[\w.]*\b)|([A-Za-z_$][\w$]*)/g;
  return line.replace(token, (match, comment, string, number, word) => {
    if (comment) return paint(match, ["dim"], color);
    if (string) return paint(match, ["green"], color);
    if (number) return paint(match, ["yellow"], color);
    if (word && KEYWORDS.has(match)) return paint(match, ["magenta"], color);
    return match;
  });
}

function sgrOf(emphasis: Emphasis): Style {
  const style: (Style[number] | undefined)[] = [
    emphasis.bold ? "bold" : undefined,
    emphasis.italic ? "italic" : undefined,
    emphasis.code ? "cyan" : undefined,
  ];
  return style.filter((name) => name !== undefined);
}

/** Inline Markdown of one row (`**bold**`, `*italic*`, `` `code` ``, links), emphasis carried across rows. */
function inline(row: string, emphasis: Emphasis, base: Style, color: boolean): string {
  const pieces: string[] = [];
  let text = "";
  const flush = () => {
    if (text !== "") pieces.push(paint(text, [...base, ...sgrOf(emphasis)], color));
    text = "";
  };
  // Plain runs are copied as slices; only the characters that may be syntax are looked at one by one.
  const syntax = /[`*_[]/g;
  let from = 0;
  for (let match = syntax.exec(row); match !== null; match = syntax.exec(row)) {
    const index = match.index;
    const char = row[index]!;
    text += row.slice(from, index);
    from = index + 1;
    const before = row[index - 1] ?? " ";
    const after = row[index + 1] ?? " ";
    if (char === "`") {
      flush();
      emphasis.code = !emphasis.code;
      continue;
    }
    if (emphasis.code) {
      text += char;
      continue;
    }
    if (char === "[") {
      const link = /^\[([^\]]+)\]\(([^)\s]+)\)/.exec(row.slice(index));
      if (link) {
        flush();
        pieces.push(paint(link[1]!, [...base, ...sgrOf(emphasis), "underline"], color));
        pieces.push(paint(` (${link[2]})`, ["dim"], color));
        from = index + link[0].length;
        syntax.lastIndex = from;
      } else text += char;
      continue;
    }
    const double = after === char;
    const next = row[index + (double ? 2 : 1)] ?? " ";
    const opens = !/\s/.test(next) && (char === "*" || !/\w/.test(before));
    const closes = !/\s/.test(before) && (char === "*" || !/\w/.test(next));
    if ((double ? emphasis.bold : emphasis.italic) ? closes : opens) {
      flush();
      if (double) {
        emphasis.bold = !emphasis.bold;
        from = index + 2;
        syntax.lastIndex = from;
      } else emphasis.italic = !emphasis.italic;
    } else text += char;
  }
  text += row.slice(from);
  flush();
  return pieces.join("");
}

/** Cells of a table row (`| a | b |`). */
function cells(line: string): string[] {
  return line
    .trim()
    .replace(/^\|/, "")
    .replace(/\|$/, "")
    .split("|")
    .map((cell) => cell.trim());
}

const SEPARATOR_CELL = /^:?-{2,}:?$/;

/** Visible width of a cell once its inline Markdown is rendered (markers take no columns). */
function cellWidth(cell: string): number {
  return displayWidth(cell.replace(/\*\*|__|`/g, "").replace(/\[([^\]]+)\]\(([^)\s]+)\)/g, "$1 ($2)"));
}

/** A table, aligned: columns padded to their widest cell, the header bold, alignment from the separator row. */
export function renderTable(lines: readonly string[], color: boolean): string[] {
  const rows = lines.map(cells);
  const separator = rows.findIndex((row) => row.length > 0 && row.every((cell) => SEPARATOR_CELL.test(cell)));
  const aligns = separator >= 0 ? rows[separator]! : [];
  const body = rows.filter((_, index) => index !== separator);
  const count = Math.max(...body.map((row) => row.length));
  const widths = Array.from({ length: count }, (_, column) =>
    Math.max(1, ...body.map((row) => cellWidth(row[column] ?? ""))),
  );
  const line = (row: string[], header: boolean) =>
    widths
      .map((width, column) => {
        const cell = row[column] ?? "";
        const pad = width - cellWidth(cell);
        const align = aligns[column] ?? "";
        const left = align.endsWith(":") ? (align.startsWith(":") ? Math.floor(pad / 2) : pad) : 0;
        const rendered = inline(
          cell,
          { bold: false, italic: false, code: false },
          header ? ["bold"] : [],
          color,
        );
        return `${" ".repeat(left)}${rendered}${" ".repeat(pad - left)}`;
      })
      .join(paint(" │ ", ["dim"], color))
      .replace(/ +$/, "");
  const out: string[] = [];
  body.forEach((row, index) => {
    out.push(line(row, separator === 1 && index === 0));
    if (separator === 1 && index === 0) {
      out.push(paint(widths.map((width) => "─".repeat(width)).join("─┼─"), ["dim"], color));
    }
  });
  return out;
}

/**
 * A new renderer for one answer.
 *
 * @example
 * const markdown = newMarkdownRenderer(true);
 * markdown.feed("# Title\nSome **bold** text", false, 80); // two styled rows
 */
export function newMarkdownRenderer(color: boolean): MarkdownRenderer {
  let fence: { marker: string; language: string } | undefined;
  let table: string[] = [];
  /** How the last line started (its rest may come with the next feed, when `pending`). */
  let open:
    | { kind: "text"; base: Style }
    | { kind: "code"; language: string }
    | { kind: "table" }
    | undefined;
  let pending = false;
  const emphasis: Emphasis = { bold: false, italic: false, code: false };

  const endTable = () => {
    const rows = table.length > 0 ? renderTable(table, color) : [];
    table = [];
    return rows;
  };

  /** A line's first piece: block syntax decides its style; returns the rows. */
  const startLine = (line: string, columns: number, out: string[]): void => {
    if (fence) {
      const closing = line.trim();
      if (closing.startsWith(fence.marker) && /^(`+|~+)$/.test(closing)) {
        out.push(paint(line, ["dim"], color));
        fence = undefined;
        return;
      }
      open = { kind: "code", language: fence.language };
      for (const row of rowsOf(line, columns)) out.push(highlightCode(row, fence.language, color));
      return;
    }
    const fenceOpen = /^\s*(`{3,}|~{3,})\s*([\w+#.-]*)/.exec(line);
    open = undefined;
    if (fenceOpen) {
      out.push(...endTable());
      fence = { marker: fenceOpen[1]!, language: fenceOpen[2] ?? "" };
      out.push(paint(line, ["dim"], color));
      return;
    }
    if (/^\s*\|/.test(line)) {
      table.push(line);
      open = { kind: "table" };
      return;
    }
    out.push(...endTable());
    if (/^\s*([-*_])(\s*\1){2,}\s*$/.test(line)) {
      out.push(paint("─".repeat(Math.min(columns, 40)), ["dim"], color));
      return;
    }
    let base: Style = [];
    let prefix = "";
    let body = line;
    const heading = /^(#{1,6})\s+(.*)$/.exec(line);
    const quote = /^\s*>\s?(.*)$/.exec(line);
    const bullet = /^(\s*)[-*+]\s+(.*)$/.exec(line);
    if (heading) {
      base = heading[1] === "#" ? ["bold", "underline"] : ["bold"];
      body = heading[2]!;
    } else if (quote) {
      prefix = paint("│ ", ["dim"], color);
      base = ["dim"];
      body = quote[1]!;
    } else if (bullet) {
      prefix = `${bullet[1]}• `;
      body = bullet[2]!;
    }
    open = { kind: "text", base };
    emphasis.bold = emphasis.italic = emphasis.code = false;
    const indent = displayWidth(stripVTControlCharacters(prefix));
    const width = Math.max(10, columns - indent);
    rowsOf(body, width).forEach((row, index) => {
      const lead = index === 0 ? prefix : " ".repeat(indent);
      out.push(lead + inline(row, emphasis, base, color));
    });
  };

  /** The rest of a line that was continued. */
  const continueLine = (piece: string, columns: number, out: string[]): void => {
    if (open?.kind === "table") {
      table[table.length - 1] += piece;
      return;
    }
    for (const row of rowsOf(piece, columns)) {
      if (open?.kind === "code") out.push(highlightCode(row, open.language, color));
      else out.push(inline(row, emphasis, open?.base ?? [], color));
    }
  };

  return {
    feed(text, continued, columns) {
      const out: string[] = [];
      const lines = text.split("\n");
      lines.forEach((line, index) => {
        if (index === 0 && pending) continueLine(line, columns, out);
        else startLine(line, columns, out);
      });
      pending = continued;
      return out;
    },
    end() {
      fence = undefined;
      open = undefined;
      pending = false;
      return endTable();
    },
  };
}
