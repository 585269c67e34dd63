/**
 * The PostgreSQL turn store's schema, as migrations (recorded in `geppetto_schema` as component `turns`).
 *
 * Version 1 has the SQLite store's layout: `geppetto_sessions` (a `revision` counted up by every save, so a writer
 * knows whether anyone else saved the session since its last save), `geppetto_turns` (per turn its order, phase,
 * block count, metadata and data) and `geppetto_blocks` (the versions of each block position, with the text a
 * session is searched by). A turn's block at position p is the latest version written by that turn or an earlier
 * one. Rows of a session go with it (`ON DELETE CASCADE`).
 *
 * Version 2 adds `geppetto_pieces`: the text a streaming checkpoint appended to a block version, in order (`seq`),
 * read as part of that block until the block is written again (see session/stored-pieces.ts).
 */

/** `migrations[n]` takes the turns schema from version n to n + 1. */
export const TURNS_MIGRATIONS: readonly string[] = [
  `CREATE TABLE geppetto_sessions (
     ref        BIGSERIAL PRIMARY KEY,
     session_id TEXT NOT NULL UNIQUE,
     created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
     updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
     turn_count INTEGER NOT NULL DEFAULT 0,
     title      TEXT NOT NULL DEFAULT '',
     revision   BIGINT NOT NULL DEFAULT 0
   );
   CREATE INDEX geppetto_sessions_recent ON geppetto_sessions (updated_at DESC, ref DESC);
   CREATE TABLE geppetto_turns (
     session_ref   BIGINT NOT NULL REFERENCES geppetto_sessions (ref) ON DELETE CASCADE,
     position      INTEGER NOT NULL,
     turn_id       TEXT NOT NULL,
     phase         TEXT NOT NULL,
     saved_at      TIMESTAMPTZ NOT NULL,
     block_count   INTEGER NOT NULL,
     metadata_json TEXT NOT NULL,
     data_json     TEXT NOT NULL,
     PRIMARY KEY (session_ref, position),
     UNIQUE (session_ref, turn_id)
   );
   CREATE TABLE geppetto_blocks (
     session_ref   BIGINT NOT NULL REFERENCES geppetto_sessions (ref) ON DELETE CASCADE,
     block_index   INTEGER NOT NULL,
     turn_position INTEGER NOT NULL,
     block_json    TEXT NOT NULL,
     search_text   TEXT NOT NULL DEFAULT '',
     PRIMARY KEY (session_ref, block_index, turn_position)
   );`,
  `CREATE TABLE geppetto_pieces (
     seq           BIGSERIAL PRIMARY KEY,
     session_ref   BIGINT NOT NULL REFERENCES geppetto_sessions (ref) ON DELETE CASCADE,
     block_index   INTEGER NOT NULL,
     turn_position INTEGER NOT NULL,
     text          TEXT NOT NULL
   );
   CREATE INDEX geppetto_pieces_by_turn ON geppetto_pieces (session_ref, turn_position, block_index);`,
];
