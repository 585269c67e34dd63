/**
 * The SQLite store's schema, its version (`PRAGMA user_version`) and the migrations run on open.
 *
 * Version 5 (this one) replaces the search index with one over case-folded text that the store writes itself
 * (see sqlite-search.ts), so that search ignores case in every script, not only ASCII's.
 *
 * Version 4 adds `geppetto_pieces`: the text a streaming checkpoint appended to a block version, in
 * order (`seq`), read as part of that block until the block is written again (so a checkpoint writes only what
 * streamed since the last one).
 *
 * Version 3 adds the search index: `geppetto_search`, an FTS5 table with the trigram tokenizer over the
 * text of each block row (`payload.text`, read through the view `geppetto_search_text`; external content, so the
 * text is not stored twice, and `detail=none`, the smallest index that still finds substrings through `LIKE`), kept
 * in step with `geppetto_blocks` by triggers. A version-2 file gets it on open, built from the rows it holds. Text
 * still in checkpoint pieces (an answer being streamed) is found once its block is written whole.
 *
 * Version 2 keeps each block once: `geppetto_blocks` holds, per session and block position, the
 * versions that turns wrote there (a turn's block at position p is the latest version written by that turn or an
 * earlier one), and `geppetto_turns` holds per turn its order, phase, block count, metadata and data. A turn
 * writes what it adds or changes, not the conversation. Version 1 (geppetto ≤ 0.1, `user_version` 0) stored
 * every turn's whole JSON in one row. Older versions are migrated on open, inside one transaction.
 */
import type { DatabaseSync } from "node:sqlite";
import { GeppettoError } from "../engine/errors.ts";
import { immediateTransaction } from "./sqlite-busy.ts";
import { OLD_SEARCH_SCHEMA_DROP, rebuildSearchIndex, SEARCH_SCHEMA } from "./sqlite-search.ts";

export { rebuildSearchIndex } from "./sqlite-search.ts";

/** The schema version this geppetto writes and reads. */
export const STORE_SCHEMA_VERSION = 5;

/** Version 4's addition: text appended to a block by streaming checkpoints (see stored-pieces.ts). */
const PIECES = `
CREATE TABLE geppetto_pieces (
  seq           INTEGER PRIMARY KEY,
  session_ref   INTEGER NOT NULL,
  block_index   INTEGER NOT NULL,
  turn_position INTEGER NOT NULL,
  text          TEXT NOT NULL
);
CREATE INDEX geppetto_pieces_by_turn ON geppetto_pieces (session_ref, turn_position, block_index);
`;

const SCHEMA = `
CREATE TABLE geppetto_sessions (
  ref        INTEGER PRIMARY KEY,
  session_id TEXT NOT NULL UNIQUE,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  turn_count INTEGER NOT NULL DEFAULT 0,
  title      TEXT NOT NULL DEFAULT ''
);
CREATE INDEX geppetto_sessions_recent ON geppetto_sessions (updated_at);
CREATE TABLE geppetto_turns (
  session_ref   INTEGER NOT NULL,
  position      INTEGER NOT NULL,
  turn_id       TEXT NOT NULL,
  phase         TEXT NOT NULL,
  saved_at      TEXT NOT NULL,
  block_count   INTEGER NOT NULL,
  metadata_json TEXT NOT NULL,
  data_json     TEXT NOT NULL,
  legacy_json   TEXT,
  PRIMARY KEY (session_ref, position)
);
CREATE UNIQUE INDEX geppetto_turns_id ON geppetto_turns (session_ref, turn_id);
CREATE TABLE geppetto_blocks (
  session_ref   INTEGER NOT NULL,
  block_index   INTEGER NOT NULL,
  turn_position INTEGER NOT NULL,
  block_json    TEXT NOT NULL,
  PRIMARY KEY (session_ref, block_index, turn_position)
);
CREATE INDEX geppetto_blocks_by_turn ON geppetto_blocks (session_ref, turn_position);
`;

/**
 * The database is of a schema this geppetto cannot read (written by a newer version), or a migration failed.
 *
 * @example
 * catch (error) { if (error instanceof StoreSchemaError) console.error(error.message) }
 */
export class StoreSchemaError extends GeppettoError {
  override name = "StoreSchemaError";
  constructor(message: string, cause?: unknown) {
    super(message, { code: "store_schema", fault: "caller", cause });
  }
}

function tableExists(database: DatabaseSync, name: string): boolean {
  return (
    database.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?").get(name) !== undefined
  );
}

function userVersion(database: DatabaseSync): number {
  return Number((database.prepare("PRAGMA user_version").get() as { user_version: number }).user_version);
}

/** The schema version of an opened database: 0 for an empty one, 1 for geppetto ≤ 0.1's layout. */
export function schemaVersion(database: DatabaseSync): number {
  const version = userVersion(database);
  if (version !== 0) return version;
  return tableExists(database, "geppetto_turns") ? 1 : 0;
}

/**
 * Reads the schema version and refuses one newer than this geppetto's, before anything is written to the file.
 * Returns the version found.
 */
export function refuseNewer(database: DatabaseSync, file: string): number {
  const found = schemaVersion(database);
  if (found > STORE_SCHEMA_VERSION) {
    throw new StoreSchemaError(
      `${file} was written by a newer geppetto (store schema version ${found}); this geppetto reads versions up to ${STORE_SCHEMA_VERSION}: upgrade geppetto to open it`,
    );
  }
  return found;
}

/**
 * Creates the schema or migrates to it, in one `BEGIN IMMEDIATE` transaction (so two processes opening one new
 * file at once create it once). `migrateV1` copies version-1 rows into the new tables; each later version adds
 * its tables. A failure rolls everything back and the file is left as it was.
 */
export function ensureSchema(
  database: DatabaseSync,
  file: string,
  migrateV1: (database: DatabaseSync) => void,
): { migratedFrom?: number } {
  const found = refuseNewer(database, file);
  if (found === STORE_SCHEMA_VERSION) return {};
  try {
    return immediateTransaction(database, () => {
      const now = schemaVersion(database); // another process may have created or migrated it meanwhile
      if (now === STORE_SCHEMA_VERSION) return {};
      if (now === 1) database.exec("ALTER TABLE geppetto_turns RENAME TO geppetto_turns_v1");
      if (now <= 1) database.exec(SCHEMA);
      if (now >= 3) database.exec(OLD_SEARCH_SCHEMA_DROP);
      database.exec(SEARCH_SCHEMA);
      if (now >= 2) rebuildSearchIndex(database);
      if (now <= 3) database.exec(PIECES);
      if (now === 1) {
        migrateV1(database);
        database.exec("DROP TABLE geppetto_turns_v1");
      }
      database.exec(`PRAGMA user_version = ${STORE_SCHEMA_VERSION}`);
      return now === 0 ? {} : { migratedFrom: now };
    });
  } catch (error) {
    if (error instanceof StoreSchemaError) throw error;
    const reason = error instanceof Error ? error.message : String(error);
    throw new StoreSchemaError(
      `cannot migrate ${file} from store schema version ${found} to ${STORE_SCHEMA_VERSION} (nothing was changed): ${reason}`,
      error,
    );
  }
}
