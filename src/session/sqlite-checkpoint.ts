/**
 * The SQLite store's streaming checkpoints: after an inference's first checkpoint (a whole save), one writes the
 * blocks added or changed since the previous one, the text streamed onto the others as rows of `geppetto_pieces`,
 * and the turn's row: what streamed since the previous checkpoint, not the answer so far.
 */
import type { StreamProgress } from "../engine/checkpoint.ts";
import { deepFreeze } from "../turns/immutable.ts";
import { KeyTurnMetaSessionId } from "../turns/keys.ts";
import type { Block } from "../turns/types.ts";
import type { SqliteRows } from "./sqlite-rows.ts";

/** What the store remembers of a session's last save, to diff the next one against. */
export interface Mirror {
  position: number;
  turnId: string;
  phase: string;
  /** The turn was the session's newest when saved (a checkpoint of an older turn is saved whole). */
  newest: boolean;
  blocks: Block[];
  metadataJson: string;
  dataJson: string;
}

/**
 * Appends one checkpoint of the session's newest turn (the `mirror` of its last save), updating the mirror.
 *
 * @example
 * rows.transaction(() => appendCheckpoint(rows, "s1", mirror, progress));
 */
export function appendCheckpoint(
  rows: SqliteRows,
  sessionId: string,
  mirror: Mirror,
  progress: StreamProgress,
): void {
  const ref = rows.ref(sessionId, true)!;
  const position = mirror.position;
  for (const { index, block } of progress.changed) {
    // Written whole: any text appended to this version before is in it now.
    rows
      .statement(
        "DELETE FROM geppetto_pieces WHERE session_ref = ? AND turn_position = ? AND block_index = ?",
      )
      .run(ref, position, index);
    rows.writeBlock(ref, index, position, block, JSON.stringify(block));
    mirror.blocks[index] = deepFreeze(block);
  }
  for (const { index, text } of progress.appended) {
    rows.write(
      "INSERT INTO geppetto_pieces (session_ref, block_index, turn_position, text) VALUES (?, ?, ?, ?)",
      ref,
      index,
      position,
      text,
    );
  }
  const metadataJson = JSON.stringify({ ...progress.metadata, [KeyTurnMetaSessionId.id]: sessionId });
  const dataJson = JSON.stringify(progress.data);
  const changed: [string, string][] = [];
  if (metadataJson !== mirror.metadataJson) changed.push(["metadata_json", metadataJson]);
  if (dataJson !== mirror.dataJson) changed.push(["data_json", dataJson]);
  const savedAt = new Date().toISOString();
  rows.write(
    `UPDATE geppetto_turns SET phase = 'streaming', saved_at = ?, block_count = ?${changed
      .map(([column]) => `, ${column} = ?`)
      .join("")} WHERE session_ref = ? AND position = ?`,
    savedAt,
    progress.blockCount,
    ...changed.map(([, value]) => value),
    ref,
    position,
  );
  rows.write("UPDATE geppetto_sessions SET updated_at = ? WHERE ref = ?", savedAt, ref);
  mirror.metadataJson = metadataJson;
  mirror.dataJson = dataJson;
}
