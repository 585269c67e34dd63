/**
 * Streaming checkpoints in the SQL stores: the text a checkpoint appends to a block being streamed is a row of
 * `geppetto_pieces` (keyed like the block version it extends: session, block position, turn position, then its
 * order), so a checkpoint writes what streamed since the previous one instead of the whole block. A block
 * version is read as its stored JSON with its pieces' text appended to `payload.text` in order; the next save of
 * the turn writes the block whole and drops its pieces (the fold).
 */
import { deepFreeze } from "../turns/immutable.ts";
import type { Block } from "../turns/types.ts";

/** One row of `geppetto_pieces`, as read (in order of appending). */
export interface PieceRow {
  block_index: number;
  turn_position: number;
  text: string;
}

/** The appended text of a session's block versions, by `pieceKey`, each list in the order it was appended. */
export type PieceTexts = Map<string, string[]>;

/** The key of a block version: its block position and the turn position that wrote it. */
export function pieceKey(blockIndex: number, turnPosition: number): string {
  return `${blockIndex}:${turnPosition}`;
}

/** Groups piece rows (read in the order they were appended) by the block version they extend. */
export function groupPieces(rows: readonly PieceRow[]): PieceTexts {
  const pieces: PieceTexts = new Map();
  for (const row of rows) {
    const key = pieceKey(row.block_index, row.turn_position);
    const texts = pieces.get(key);
    if (texts) texts.push(row.text);
    else pieces.set(key, [row.text]);
  }
  return pieces;
}

/**
 * The block version with the text its pieces appended (frozen); the block itself when it has none. Nearly always
 * none: pieces live while an answer streams, or after a crash until that turn is saved again.
 */
export function foldPieces(
  block: Block,
  pieces: PieceTexts,
  blockIndex: number,
  turnPosition: number,
): Block {
  if (pieces.size === 0) return block;
  const texts = pieces.get(pieceKey(blockIndex, turnPosition));
  if (texts === undefined) return block;
  const payload = block.payload as { text?: unknown };
  const before = typeof payload.text === "string" ? payload.text : "";
  return deepFreeze({ ...block, payload: { ...block.payload, text: before + texts.join("") } } as Block);
}
