/**
 * A terminal made narrower rewraps the rows it shows: a frame row wider than the new width now takes two or
 * more rows. Ink then erases the frame by its old row count, which leaves the top of the reflowed frame on the
 * screen as a stale line (a second input line, say). Before Ink redraws, {@link eraseReflowedFrame} erases the
 * whole reflowed frame and leaves the cursor where Ink's own erase ends on the frame's first row.
 */
import { stripVTControlCharacters } from "node:util";
import { displayWidth } from "./scrollback.ts";

/**
 * The bytes that erase `frame` (the last frame drawn, ending with a newline, the cursor on the row below it)
 * once the terminal rewrapped it to `columns`, and put the cursor where an erase of the frame's old row count
 * ends: on its first row. Empty when the frame did not grow.
 *
 * @example
 * stdout.write(eraseReflowedFrame("> typed\n" + "x".repeat(90) + "\n", 60)); // the 90 columns now take 2 rows
 */
export function eraseReflowedFrame(frame: string, columns: number): string {
  if (columns <= 0 || frame === "") return "";
  const lines = frame.split("\n");
  if (lines.at(-1) === "") lines.pop();
  let rows = 0;
  for (const line of lines)
    rows += Math.max(1, Math.ceil(displayWidth(stripVTControlCharacters(line)) / columns));
  if (rows <= lines.length) return "";
  // Up to the frame's first row, erase to the end of the screen, then down to where the old frame's last row
  // was counted from: Ink's erase of `lines.length + 1` rows upward ends on the first row.
  return `\x1b[${rows}A\r\x1b[J${lines.length > 0 ? `\x1b[${lines.length}B` : ""}`;
}
