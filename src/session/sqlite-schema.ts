/**
 * The SQLite store's schema, its version (`PRAGMA user_version`) and the migrations run on open.
 *
 * Version 3 (this one) adds the search index: `geppetto_search`, an FTS5 table with the trigram tokenizer over the
 * text of each block row (`payload.text`, read through the view `geppetto_search_text`; external content, so the
 * text is not stored twice, and `detail=none`, the smallest index that still finds substrings through `LIKE`), kept
 * in step with `geppetto_blocks` by triggers. A version-2 file gets it on open, built from the rows it holds.
 *
 * Version 2 keeps each block once: `geppetto_blocks` holds, per session and block position, the
 * versions that turns wrote there (a turn's block at position p is the latest version written by that turn or an
 * earlier one), and `geppetto_turns` holds per turn its order, phase, block count, metadata and data. A turn
 * writes what it adds or changes, not the conversation. Version 1 (geppetto ≤ 0.1, `user_version` 0) stored
 * every turn's whole JSON in one row; it is migrated on open, inside one transaction.
 */
import type { DatabaseSync } from "node:sqlite";
import { GeppettoError } from "../engine/errors.ts";

/** The schema version this geppetto writes and reads. */
export const STORE_SCHEMA_VERSION = 3;

/** The text of a block row that search looks at (a row that is not JSON has none). */
const ROW_TEXT = (row: string) =>
  `CASE WHEN json_valid(${row}.block_json) THEN json_extract(${row}.block_json, '$.payload.text') END`;

/** Version 3's additions: the trigram index over each block row's text, kept in step by triggers. */
const SEARCH_SCHEMA = `
CREATE VIEW geppetto_search_text AS
  SELECT rowid, ${ROW_TEXT("geppetto_blocks")} AS text FROM geppetto_blocks;
CREATE VIRTUAL TABLE geppetto_search USING fts5(
  text, content = 'geppetto_search_text', content_rowid = 'rowid', tokenize = 'trigram', detail = none
);
CREATE TRIGGER geppetto_search_insert AFTER INSERT ON geppetto_blocks BEGIN
  INSERT INTO geppetto_search (rowid, text) VALUES (new.rowid, ${ROW_TEXT("new")});
END;
CREATE TRIGGER geppetto_search_delete AFTER DELETE ON geppetto_blocks BEGIN
  INSERT INTO geppetto_search (geppetto_search, rowid, text) VALUES ('delete', old.rowid, ${ROW_TEXT("old")});
END;
CREATE TRIGGER geppetto_search_update AFTER UPDATE OF block_json ON geppetto_blocks BEGIN
  INSERT INTO geppetto_search (geppetto_search, rowid, text) VALUES ('delete', old.rowid, ${ROW_TEXT("old")});
  INSERT INTO geppetto_search (rowid, text) VALUES (new.rowid, ${ROW_TEXT("new")});
END;
`;

/**
 * Builds the search index again from the block rows (after a VACUUM, which may renumber the rows it points to).
 *
 * @example
 * rebuildSearchIndex(database);
 */
export function rebuildSearchIndex(database: DatabaseSync): void {
  database.exec("INSERT INTO geppetto_search (geppetto_search) VALUES ('rebuild')");
}

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
 * file at once create it once). `migrateV1` copies version-1 rows into the new tables; a failure rolls everything
 * back and the file is left as it was.
 */
export function ensureSchema(
  database: DatabaseSync,
  file: string,
  migrateV1: (database: DatabaseSync) => void,
): { migratedFrom?: number } {
  const found = refuseNewer(database, file);
  if (found === STORE_SCHEMA_VERSION) return {};
  database.exec("BEGIN IMMEDIATE");
  try {
    const now = schemaVersion(database); // another process may have created or migrated it meanwhile
    if (now === STORE_SCHEMA_VERSION) {
      database.exec("COMMIT");
      return {};
    }
    if (now === 1) database.exec("ALTER TABLE geppetto_turns RENAME TO geppetto_turns_v1");
    if (now <= 1) database.exec(SCHEMA);
    database.exec(SEARCH_SCHEMA);
    if (now === 2) rebuildSearchIndex(database);
    if (now === 1) {
      migrateV1(database);
      database.exec("DROP TABLE geppetto_turns_v1");
    }
    database.exec(`PRAGMA user_version = ${STORE_SCHEMA_VERSION}`);
    database.exec("COMMIT");
    return now === 0 ? {} : { migratedFrom: now };
  } catch (error) {
    database.exec("ROLLBACK");
    if (error instanceof StoreSchemaError) throw error;
    const reason = error instanceof Error ? error.message : String(error);
    throw new StoreSchemaError(
      `cannot migrate ${file} from store schema version ${found} to ${STORE_SCHEMA_VERSION} (nothing was changed): ${reason}`,
      error,
    );
  }
}
