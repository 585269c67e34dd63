/**
 * What every TurnStore's search compares: block texts and the text looked for, both folded by {@link foldCase}
 * in JavaScript (so memory, SQLite and PostgreSQL find the same sessions whatever the database's collation or
 * build), and the excerpt around a match, cut from the original text.
 *
 * The fold ignores case in every script and keeps accents: "ÉCOLE" finds "école" (and "ΣΊΣΥΦΟΣ" finds
 * "σίσυφος", "ПРИВЕТ" finds "привет", "STRASSE" finds "Straße"), but "ecole" does not find "école": dropping
 * diacritics would make "año" find "ano" and "schön" find "schon".
 */
import { CallerError } from "../engine/errors.ts";
import type { Block } from "../turns/types.ts";

/** The text a block is searched by: the `payload.text` of prompts, answers, system prompts and reasoning. */
export function searchableText(block: Block): string {
  const text = (block.payload as { text?: unknown }).text;
  return typeof text === "string" ? text : "";
}

const NON_ASCII = /[\u0080-\uffff]/;
const folded = new Map<string, string>();

/** One code point folded: lower, upper, lower again (so "ß" and "ẞ" become "ss", "ς" and "Σ" become "σ"). */
function foldCharacter(character: string): string {
  if (character < "\x80") return character.toLowerCase();
  let fold = folded.get(character);
  if (fold === undefined) {
    fold = character.toLowerCase().toUpperCase().toLowerCase();
    if (folded.size < 65_536) folded.set(character, fold);
  }
  return fold;
}

/**
 * `text` with case folded in every script, code point by code point, after NFC normalization (so a composed and
 * a decomposed "é" match). Accents are kept. Text of ASCII only is just lower-cased.
 *
 * @example
 * foldCase("Straße ÉTÉ"); // "strasse été"
 */
export function foldCase(text: string): string {
  if (!NON_ASCII.test(text)) return text.toLowerCase();
  let result = "";
  for (const character of text.normalize("NFC")) result += foldCharacter(character);
  return result;
}

/**
 * The search text, checked (a blank one is a CallerError) and folded with {@link foldCase}.
 *
 * @example
 * const needle = searchNeedle("Invoice"); // "invoice"
 */
export function searchNeedle(text: string): string {
  if (typeof text !== "string" || text.trim() === "") {
    throw new CallerError("searchSessions needs a text to look for (got a blank one)");
  }
  return foldCase(text);
}

/** Where, in `text` (NFC), the folded offsets `from` and `to` fall (a folded character may be longer). */
function originalRange(text: string, from: number, to: number): [number, number] {
  let foldedAt = 0;
  let start = -1;
  let at = 0;
  for (const character of text) {
    if (start < 0 && foldedAt >= from) start = at;
    if (foldedAt >= to) return [start, at];
    foldedAt += foldCharacter(character).length;
    at += character.length;
  }
  return [start < 0 ? at : start, at];
}

/**
 * The excerpt (about 30 characters either side, on one line) around the first place `text` holds `needle`
 * (folded by {@link searchNeedle}); undefined when it does not hold it.
 *
 * @example
 * searchExcerpt("Where is my INVOICE?", "invoice") // "Where is my INVOICE?"
 */
export function searchExcerpt(text: string, needle: string): string | undefined {
  const foldedText = foldCase(text);
  const at = foldedText.indexOf(needle);
  if (at < 0) return undefined;
  let shown = text;
  let matchStart = at;
  let matchEnd = at + needle.length;
  if (foldedText.length !== text.length || NON_ASCII.test(text)) {
    shown = text.normalize("NFC");
    [matchStart, matchEnd] = originalRange(shown, matchStart, matchEnd);
  }
  const start = Math.max(0, matchStart - 30);
  const end = Math.min(shown.length, matchEnd + 30);
  return `${start > 0 ? "…" : ""}${shown.slice(start, end).replace(/\s+/g, " ").trim()}${end < shown.length ? "…" : ""}`;
}

/**
 * The distinct three-code-point pieces of a folded text (what the trigram indexes hold); none for a text shorter
 * than three code points.
 *
 * @example
 * textTrigrams("abcd"); // ["abc", "bcd"]
 */
export function textTrigrams(text: string): string[] {
  const points = Array.from(text);
  const found = new Set<string>();
  for (let at = 0; at + 3 <= points.length; at++) found.add(points[at]! + points[at + 1]! + points[at + 2]!);
  return [...found];
}
