/**
 * The SQLite store's migration from geppetto ≤ 0.1 (schema version 1: a whole turn's JSON per row, in
 * `geppetto_turns_v1` during the migration): each turn is saved into the block layout session by session, its
 * save times kept; a row that does not decode is kept as it was (`legacy_json`), named as corrupt when loaded.
 */
import type { DatabaseSync } from "node:sqlite";
import type { SnapshotPhase } from "../toolloop/snapshot.ts";
import { turnFromJson } from "../turns/serialization.ts";
import type { Turn } from "../turns/types.ts";
import type { SqliteRows } from "./sqlite-rows.ts";

/**
 * Copies the version-1 rows: `save` stores a decoded turn through the store (or, with no turn, forgets what the
 * store remembers of the session after a row kept as it was).
 *
 * @example
 * migrateV1Rows(database, rows, (sessionId, turn, phase) => store.saveNow(sessionId, turn, phase));
 */
export function migrateV1Rows(
  database: DatabaseSync,
  rows: SqliteRows,
  save: (sessionId: string, turn: Turn | undefined, phase: SnapshotPhase) => void,
): void {
  const sessions = database
    .prepare("SELECT session_id FROM geppetto_turns_v1 GROUP BY session_id ORDER BY MIN(rowid)")
    .all() as unknown as { session_id: string }[];
  const oldRows = database.prepare(
    "SELECT turn_id, phase, saved_at, turn_json FROM geppetto_turns_v1 WHERE session_id = ? ORDER BY position",
  );
  for (const { session_id: sessionId } of sessions) {
    for (const row of oldRows.all(sessionId) as unknown as {
      turn_id: string;
      phase: string;
      saved_at: string;
      turn_json: string;
    }[]) {
      let turn: Turn | undefined;
      try {
        turn = turnFromJson(row.turn_json);
      } catch {
        turn = undefined;
      }
      if (turn && turn.id === row.turn_id) {
        save(sessionId, turn, row.phase as SnapshotPhase);
      } else {
        // Kept as it was: loading this turn names it as corrupt; the session's other turns stay readable.
        const ref = rows.ref(sessionId, true)!;
        const position = turnCount(rows, ref) + 1;
        rows
          .statement(
            `INSERT INTO geppetto_turns (session_ref, position, turn_id, phase, saved_at, block_count, metadata_json, data_json, legacy_json)
             VALUES (?, ?, ?, ?, ?, 0, '{}', '{}', ?)`,
          )
          .run(ref, position, row.turn_id, row.phase, row.saved_at, row.turn_json);
        rows.statement("UPDATE geppetto_sessions SET turn_count = ? WHERE ref = ?").run(position, ref);
        save(sessionId, undefined, row.phase as SnapshotPhase);
      }
      rows
        .statement("UPDATE geppetto_turns SET saved_at = ? WHERE session_ref = ? AND turn_id = ?")
        .run(row.saved_at, rows.ref(sessionId, false)!, row.turn_id);
    }
    rows
      .statement(
        "UPDATE geppetto_sessions SET updated_at = (SELECT MAX(saved_at) FROM geppetto_turns WHERE session_ref = ref), created_at = (SELECT MIN(saved_at) FROM geppetto_turns WHERE session_ref = ref) WHERE session_id = ?",
      )
      .run(sessionId);
  }
}

function turnCount(rows: SqliteRows, ref: number): number {
  const row = rows.statement("SELECT turn_count FROM geppetto_sessions WHERE ref = ?").get(ref) as {
    turn_count: number;
  };
  return row.turn_count;
}
