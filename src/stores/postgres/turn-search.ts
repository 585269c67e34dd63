/**
 * The PostgreSQL turn store's search: each block row's `search_text` holds its text folded by `foldCase` in
 * JavaScript (schema version 4), the same fold as the memory and SQLite stores', whatever the cluster's collation
 * (whose `lower()` folds only ASCII under `C`); a search is a `LIKE` on it, which the `pg_trgm` index answers, and
 * every row found is checked, its excerpt cut from the block's own text.
 */

import { foldCase } from "../../session/search-text.ts";
import { type SessionSearchHit, searchableText, searchExcerpt } from "../../session/turn-store.ts";
import { blockFromDocument } from "../../turns/serialization.ts";
import type { Sql, TransactionSql } from "./connection.ts";

/** The text a block row is searched by (folded). */
export const foldedSearchText = (block: Parameters<typeof searchableText>[0]): string =>
  foldCase(searchableText(block));

interface HitRow {
  ref: string;
  session_id: string;
  turn_count: number;
  created_at: Date;
  updated_at: Date;
  title: string;
  block_json: string;
}

/** The block text of a stored document, or undefined when it is not a block (a corrupt row is not a hit). */
function storedText(json: string): string | undefined {
  try {
    return searchableText(blockFromDocument(JSON.parse(json)));
  } catch {
    return undefined;
  }
}

/**
 * The sessions holding `needle` (folded), newest first, at most `limit`, read through a cursor.
 *
 * @example
 * const hits = await searchPostgresBlocks(sql, "invoice", 50);
 */
export async function searchPostgresBlocks(
  sql: Sql,
  needle: string,
  limit: number,
): Promise<SessionSearchHit[]> {
  const pattern = `%${needle.replace(/[\\%_]/g, (character) => `\\${character}`)}%`;
  const hits = new Map<string, SessionSearchHit>();
  await sql.begin("READ ONLY", async (transaction) => {
    // The matching blocks first (only the trigram index can find them), then their sessions. The planner takes
    // a scan of a young table for cheaper than the index, and goes on doing so as it grows: told not to, it
    // reads the matching rows only, at any size.
    await transaction`SET LOCAL enable_seqscan = off`;
    await transaction<HitRow[]>`
      WITH b AS MATERIALIZED (SELECT session_ref, turn_position, block_index, block_json FROM geppetto_blocks
        WHERE search_text LIKE ${pattern})
      SELECT s.ref, s.session_id, s.turn_count, s.created_at, s.updated_at, s.title, b.block_json
      FROM b JOIN geppetto_sessions s ON s.ref = b.session_ref WHERE s.turn_count > 0
      ORDER BY s.updated_at DESC, s.ref DESC, b.turn_position DESC, b.block_index`.cursor(64, (rows) => {
      for (const row of rows) {
        if (hits.has(row.ref)) continue;
        const text = storedText(row.block_json);
        const excerpt = text === undefined ? undefined : searchExcerpt(text, needle);
        if (excerpt === undefined) continue;
        hits.set(row.ref, {
          sessionId: row.session_id,
          turnCount: row.turn_count,
          createdAt: row.created_at.toISOString(),
          updatedAt: row.updated_at.toISOString(),
          title: row.title,
          excerpt,
        });
        if (hits.size >= limit) return sql.CLOSE;
      }
      return undefined;
    });
  });
  return [...hits.values()];
}

/**
 * Migration 4: folds the `search_text` of every block row (it held the raw text, searched with `ILIKE`), in
 * batches in key order.
 */
export async function foldSearchTexts(sql: TransactionSql): Promise<void> {
  let after: [string, number, number] = ["0", -1, -1];
  for (;;) {
    const rows = await sql<
      { session_ref: string; block_index: number; turn_position: number; search_text: string }[]
    >`
      SELECT session_ref, block_index, turn_position, search_text FROM geppetto_blocks
      WHERE (session_ref, block_index, turn_position) > (${after[0]}::bigint, ${after[1]}::int, ${after[2]}::int)
      ORDER BY session_ref, block_index, turn_position LIMIT 1000`;
    if (rows.length === 0) return;
    const changed = rows.filter((row) => foldCase(row.search_text) !== row.search_text);
    if (changed.length > 0) {
      await sql`UPDATE geppetto_blocks b SET search_text = f.search_text
        FROM unnest(${sql.array(changed.map((row) => row.session_ref))}::bigint[],
          ${sql.array(changed.map((row) => row.block_index))}::int[],
          ${sql.array(changed.map((row) => row.turn_position))}::int[],
          ${sql.array(changed.map((row) => foldCase(row.search_text)))}::text[])
          AS f (session_ref, block_index, turn_position, search_text)
        WHERE b.session_ref = f.session_ref AND b.block_index = f.block_index AND b.turn_position = f.turn_position`;
    }
    const last = rows.at(-1)!;
    after = [last.session_ref, last.block_index, last.turn_position];
  }
}
