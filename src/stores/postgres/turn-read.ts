/**
 * Reading the PostgreSQL turn store: a turn's blocks (per block position, the latest version written at or
 * before it, with the text its streaming-checkpoint pieces appended) and whole sessions in one snapshot, each row
 * validated and named when it is corrupt.
 */
import { foldPieces, groupPieces, type PieceRow, type PieceTexts } from "../../session/stored-pieces.ts";
import {
  assembleTurn,
  CorruptTurnError,
  decodeStoredBlock,
  decodeStoredObject,
} from "../../session/turn-store.ts";
import type { Block, Turn } from "../../turns/types.ts";
import type { Sql, TransactionSql } from "./connection.ts";

/** A client or a transaction: what the store's queries run on. */
export type Queries = Sql | TransactionSql;

/** One row of `geppetto_turns`. */
export interface TurnRow {
  position: number;
  turn_id: string;
  phase: string;
  saved_at: Date;
  block_count: number;
  metadata_json: string;
  data_json: string;
}

interface BlockRow {
  block_index: number;
  turn_position: number;
  block_json: string;
}

/** A stored block version with the text its pieces appended (streaming checkpoints). */
function decodeBlock(sessionId: string, turnId: string, row: BlockRow, pieces: PieceTexts): Block {
  const block = decodeStoredBlock(row.block_json, {
    sessionId,
    turnId,
    column: `block_json (block ${row.block_index}, written by turn ${row.turn_position})`,
  });
  return foldPieces(block, pieces, row.block_index, row.turn_position);
}

/**
 * The blocks of the turn at `position`: per block position, the latest version written at or before it.
 *
 * @example
 * const blocks = await readBlocksAt(sql, "s1", ref, 3, turnId);
 */
export async function readBlocksAt(
  sql: Queries,
  sessionId: string,
  ref: string,
  position: number,
  turnId: string,
): Promise<Block[]> {
  const [rows, pieceRows] = await Promise.all([
    sql<BlockRow[]>`SELECT DISTINCT ON (b.block_index) b.block_index, b.turn_position, b.block_json
      FROM geppetto_blocks b JOIN geppetto_turns t ON t.session_ref = b.session_ref AND t.position = ${position}
      WHERE b.session_ref = ${ref} AND b.turn_position <= ${position} AND b.block_index < t.block_count
      ORDER BY b.block_index, b.turn_position DESC`,
    sql<PieceRow[]>`SELECT block_index, turn_position, text FROM geppetto_pieces
      WHERE session_ref = ${ref} AND turn_position <= ${position} ORDER BY seq`,
  ]);
  const pieces = groupPieces(pieceRows);
  const blocks: Block[] = [];
  for (const row of rows) blocks[row.block_index] = decodeBlock(sessionId, turnId, row, pieces);
  return blocks;
}

/**
 * A frozen Turn from its row and blocks; a corrupt metadata, data or missing block is named.
 *
 * @example
 * const turn = assembleTurnRow("s1", row, blocks);
 */
export function assembleTurnRow(sessionId: string, row: TurnRow, blocks: readonly Block[]): Turn {
  const where = { sessionId, turnId: row.turn_id, phase: row.phase };
  const metadata = decodeStoredObject(row.metadata_json, { ...where, column: "metadata_json" });
  const data = decodeStoredObject(row.data_json, { ...where, column: "data_json" });
  if (blocks.length < row.block_count) throw new CorruptTurnError(where, `block ${blocks.length} is missing`);
  return assembleTurn(row.turn_id, blocks.slice(0, row.block_count), metadata, data, where);
}

/**
 * Every turn of a session, read in one snapshot (so a concurrent save cannot slip between the reads).
 *
 * @example
 * const turns = await readSession(sql, "s1");
 */
export async function readSession(sql: Sql, sessionId: string): Promise<Turn[]> {
  const [rows, blockRows, pieceRows] = await sql.begin(
    "ISOLATION LEVEL REPEATABLE READ READ ONLY",
    (read) => [
      read<TurnRow[]>`SELECT t.* FROM geppetto_turns t JOIN geppetto_sessions s ON s.ref = t.session_ref
      WHERE s.session_id = ${sessionId} ORDER BY t.position`,
      read<BlockRow[]>`SELECT b.block_index, b.turn_position, b.block_json
      FROM geppetto_blocks b JOIN geppetto_sessions s ON s.ref = b.session_ref
      WHERE s.session_id = ${sessionId} ORDER BY b.turn_position, b.block_index`,
      read<PieceRow[]>`SELECT p.block_index, p.turn_position, p.text
      FROM geppetto_pieces p JOIN geppetto_sessions s ON s.ref = p.session_ref
      WHERE s.session_id = ${sessionId} ORDER BY p.seq`,
    ],
  );
  const pieces = groupPieces(pieceRows);
  const current: Block[] = [];
  const turns: Turn[] = [];
  let next = 0;
  for (const row of rows) {
    for (; next < blockRows.length && blockRows[next]!.turn_position <= row.position; next++) {
      const blockRow = blockRows[next]!;
      current[blockRow.block_index] = decodeBlock(sessionId, row.turn_id, blockRow, pieces);
    }
    turns.push(assembleTurnRow(sessionId, row, current));
  }
  return turns;
}
