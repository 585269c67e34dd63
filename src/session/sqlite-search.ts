/**
 * The SQLite store's search (schema version 5): `geppetto_search`, a contentless FTS5 table with the trigram
 * tokenizer (`detail = none`, the smallest index; `contentless_delete = 1`, so a row can be replaced or taken
 * out) over each block row's text folded by {@link foldCase}, keyed by the row's rowid. The store writes it beside
 * the block rows: SQLite's `lower()` and `LIKE` fold ASCII only, so the folding is done in JavaScript, the same
 * as the memory and PostgreSQL stores' (and the file needs no custom SQL function, which other clients lack). A search asks the index for the rows holding every trigram of the folded text and checks each.
 *
 * Version 3 and 4 kept an external-content index over the raw text, kept in step by triggers; version 5 drops
 * them and builds this one from the rows.
 */
import type { DatabaseSync, StatementSync } from "node:sqlite";
import { foldCase, searchExcerpt, textTrigrams } from "./search-text.ts";
import type { SessionSearchHit } from "./turn-store.ts";

/** Version 5's search table. */
export const SEARCH_SCHEMA = `
CREATE VIRTUAL TABLE geppetto_search USING fts5(
  text, content = '', contentless_delete = 1, tokenize = 'trigram', detail = none
);
`;

/** Version 3 and 4's search objects, dropped by the migration to 5. */
export const OLD_SEARCH_SCHEMA_DROP = `
DROP TRIGGER IF EXISTS geppetto_search_insert;
DROP TRIGGER IF EXISTS geppetto_search_delete;
DROP TRIGGER IF EXISTS geppetto_search_update;
DROP TABLE IF EXISTS geppetto_search;
DROP VIEW IF EXISTS geppetto_search_text;
`;

/** The `payload.text` of a stored block document ("" when it has none or is not JSON). */
function documentText(json: string): string {
  try {
    const text = (JSON.parse(json) as { payload?: { text?: unknown } }).payload?.text;
    return typeof text === "string" ? text : "";
  } catch {
    return "";
  }
}

/** Prepared statements by SQL text (the store's cache). */
export type Statements = (sql: string) => StatementSync;

/**
 * Indexes (or re-indexes) one block row by its rowid: its text, or nothing when it has none.
 *
 * @example
 * indexBlockRow(statement, rowid, block.payload.text);
 */
export function indexBlockRow(statement: Statements, rowid: number | bigint, text: string): void {
  statement("INSERT OR REPLACE INTO geppetto_search (rowid, text) VALUES (?, ?)").run(rowid, foldCase(text));
}

/** Indexes block rows a statement copied (each as `{ rowid, block_json }`, from `RETURNING`). */
export function indexCopiedRows(statement: Statements, rows: readonly unknown[]): void {
  for (const row of rows as { rowid: number; block_json: string }[]) {
    indexBlockRow(statement, row.rowid, documentText(row.block_json));
  }
}

/** Takes block rows out of the index (each as `{ rowid }`, from `RETURNING`). */
export function unindexRows(statement: Statements, rows: readonly unknown[]): void {
  const remove = statement("DELETE FROM geppetto_search WHERE rowid = ?");
  for (const row of rows as { rowid: number }[]) remove.run(row.rowid);
}

/**
 * Builds the search index again from every block row (on migration, and after a VACUUM, which may renumber the
 * rows it points to).
 *
 * @example
 * rebuildSearchIndex(database);
 */
export function rebuildSearchIndex(database: DatabaseSync): void {
  database.exec("DELETE FROM geppetto_search");
  const insert = database.prepare("INSERT INTO geppetto_search (rowid, text) VALUES (?, ?)");
  const rows = database.prepare("SELECT rowid, block_json FROM geppetto_blocks").iterate() as Iterable<{
    rowid: number;
    block_json: string;
  }>;
  for (const row of rows) {
    const text = documentText(row.block_json);
    if (text !== "") insert.run(row.rowid, foldCase(text));
  }
}

interface HitRow {
  ref: number;
  session_id: string;
  turn_count: number;
  created_at: string;
  updated_at: string;
  title: string;
  text: unknown;
}

const HIT_COLUMNS = `s.ref, s.session_id, s.turn_count, s.created_at, s.updated_at, s.title,
  CASE WHEN json_valid(b.block_json) THEN json_extract(b.block_json, '$.payload.text') END AS text`;
const HIT_ORDER = "ORDER BY s.updated_at DESC, s.ref DESC, b.turn_position DESC, b.block_index";

/** An FTS5 query for rows holding every trigram of `needle` (each a quoted string). */
function trigramQuery(needle: string): string | undefined {
  const grams = textTrigrams(needle);
  return grams.length === 0
    ? undefined
    : grams.map((gram) => `"${gram.replaceAll('"', '""')}"`).join(" AND ");
}

/**
 * The sessions holding `needle` (folded), newest first, at most `limit`: the rows the index returns for its
 * trigrams (every row for a needle of one or two characters), each checked.
 */
export function searchBlocks(statement: Statements, needle: string, limit: number): SessionSearchHit[] {
  const query = trigramQuery(needle);
  const rows = (
    query === undefined
      ? statement(
          `SELECT ${HIT_COLUMNS} FROM geppetto_blocks b JOIN geppetto_sessions s ON s.ref = b.session_ref
           WHERE s.turn_count > 0 ${HIT_ORDER}`,
        ).iterate()
      : statement(
          `SELECT ${HIT_COLUMNS} FROM geppetto_search f JOIN geppetto_blocks b ON b.rowid = f.rowid
           JOIN geppetto_sessions s ON s.ref = b.session_ref
           WHERE geppetto_search MATCH ? AND s.turn_count > 0 ${HIT_ORDER}`,
        ).iterate(query)
  ) as Iterable<HitRow>;
  const hits = new Map<number, SessionSearchHit>();
  for (const row of rows) {
    if (hits.has(row.ref) || typeof row.text !== "string") continue;
    const excerpt = searchExcerpt(row.text, needle);
    if (excerpt === undefined) continue;
    hits.set(row.ref, {
      sessionId: row.session_id,
      turnCount: row.turn_count,
      createdAt: row.created_at,
      updatedAt: row.updated_at,
      title: row.title,
      excerpt,
    });
    if (hits.size >= limit) break;
  }
  return [...hits.values()];
}
