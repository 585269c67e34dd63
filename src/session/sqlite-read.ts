/**
 * Reading the SQLite store: a turn's blocks (per block position, the latest version written at or before it, with
 * the text its streaming-checkpoint pieces appended), whole sessions in one pass over their rows, and turns
 * assembled from their rows, each row validated and named when it is corrupt.
 */
import type { Block, Turn } from "../turns/types.ts";
import type { SqliteRows } from "./sqlite-rows.ts";
import { foldPieces, groupPieces, type PieceRow, type PieceTexts } from "./stored-pieces.ts";
import { assembleTurn, decodeStoredBlock, decodeStoredObject, decodeStoredTurn } from "./turn-store.ts";

/** One row of `geppetto_turns` (`legacy_json`: a v1 row kept as it was, named as corrupt when read). */
export interface TurnRow {
  position: number;
  turn_id: string;
  phase: string;
  saved_at: string;
  block_count: number;
  metadata_json: string;
  data_json: string;
  legacy_json: string | null;
}

interface BlockRow {
  block_index: number;
  turn_position: number;
  block_json: string;
}

/** The blocks of the turn at `position` (0 when none), decoded from the rows; `count` caps the positions. */
export function readBlocksAt(
  rows: SqliteRows,
  sessionId: string,
  ref: number,
  position: number,
  count: number,
  turnId: string,
): Block[] {
  const found = rows
    .statement(
      `SELECT block_index, turn_position, block_json FROM geppetto_blocks
     WHERE session_ref = ? AND turn_position <= ? AND block_index < ? ORDER BY block_index, turn_position`,
    )
    .all(ref, position, count) as unknown as BlockRow[];
  const pieces = readPieces(rows, ref, position);
  const blocks: Block[] = [];
  for (let at = 0; at < found.length; at++) {
    const row = found[at]!;
    if (found[at + 1]?.block_index === row.block_index) continue; // a later version of this block follows
    blocks[row.block_index] = decodeBlockRow(sessionId, turnId, row, pieces);
  }
  return blocks;
}

/** A stored block version with the text its pieces appended (streaming checkpoints). */
function decodeBlockRow(sessionId: string, turnId: string, row: BlockRow, pieces: PieceTexts): Block {
  const block = decodeStoredBlock(row.block_json, {
    sessionId,
    turnId,
    column: `block_json (block ${row.block_index}, written by turn ${row.turn_position})`,
  });
  return foldPieces(block, pieces, row.block_index, row.turn_position);
}

/** The pieces (streaming checkpoints) of the session's block versions written by turns up to `position`. */
export function readPieces(rows: SqliteRows, ref: number, position: number): PieceTexts {
  return groupPieces(
    rows
      .statement(
        "SELECT block_index, turn_position, text FROM geppetto_pieces WHERE session_ref = ? AND turn_position <= ? ORDER BY seq",
      )
      .all(ref, position) as unknown as PieceRow[],
  );
}

function turnRows(rows: SqliteRows, ref: number): TurnRow[] {
  return rows
    .statement("SELECT * FROM geppetto_turns WHERE session_ref = ? ORDER BY position")
    .all(ref) as unknown as TurnRow[];
}

export function assembleTurnRow(sessionId: string, row: TurnRow, blocks: readonly Block[]): Turn {
  const where = { sessionId, turnId: row.turn_id, phase: row.phase };
  if (row.legacy_json !== null) return decodeStoredTurn(row.legacy_json, where);
  const metadata = decodeStoredObject(row.metadata_json, { ...where, column: "metadata_json" });
  const data = decodeStoredObject(row.data_json, { ...where, column: "data_json" });
  return assembleTurn(row.turn_id, blocks.slice(0, row.block_count), metadata, data, where);
}

/**
 * Every turn of a session (its rows too, to remember the last), in one pass over its block rows.
 *
 * @example
 * const { turns } = readSessionTurns(rows, "s1", ref);
 */
export function readSessionTurns(
  rows: SqliteRows,
  sessionId: string,
  ref: number,
): { rows: TurnRow[]; turns: Turn[] } {
  const turnRowsRead = turnRows(rows, ref);
  const blockRows = rows
    .statement(
      "SELECT block_index, turn_position, block_json FROM geppetto_blocks WHERE session_ref = ? ORDER BY turn_position, block_index",
    )
    .all(ref) as unknown as BlockRow[];
  const pieces = readPieces(rows, ref, Number.MAX_SAFE_INTEGER);
  const current: Block[] = [];
  const turns: Turn[] = [];
  let next = 0;
  for (const row of turnRowsRead) {
    for (; next < blockRows.length && blockRows[next]!.turn_position <= row.position; next++) {
      const blockRow = blockRows[next]!;
      current[blockRow.block_index] = decodeBlockRow(sessionId, row.turn_id, blockRow, pieces);
    }
    turns.push(assembleTurnRow(sessionId, row, current));
  }
  return { rows: turnRowsRead, turns };
}
