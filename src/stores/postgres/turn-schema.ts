/**
 * The PostgreSQL turn store's schema, as migrations (recorded in `geppetto_schema` as component `turns`).
 *
 * Version 1 has the SQLite store's layout: `geppetto_sessions` (a `revision` counted up by every save, so a writer
 * knows whether anyone else saved the session since its last save), `geppetto_turns` (per turn its order, phase,
 * block count, metadata and data) and `geppetto_blocks` (the versions of each block position, with the text a
 * session is searched by). A turn's block at position p is the latest version written by that turn or an earlier
 * one. Rows of a session go with it (`ON DELETE CASCADE`).
 *
 * Version 2 indexes `search_text` with trigrams (`pg_trgm`, a GIN index), so that a search (`ILIKE '%text%'`)
 * reads the rows that hold the text rather than every block (`fastupdate = off`: a GIN index's pending list would
 * be read whole by every search until a vacuum merges it). `pg_trgm` ships with PostgreSQL; when the role may
 * not create it (and it is not there already), the migration leaves the index out with a notice and search scans.
 *
 * Version 3 adds `geppetto_pieces`: the text a streaming checkpoint appended to a block version, in order (`seq`),
 * read as part of that block until the block is written again (see session/stored-pieces.ts).
 *
 * Version 4 folds `search_text` with the stores' own case fold (JavaScript, every script; see turn-search.ts), so
 * that a search is a `LIKE` on it and ignores case beyond ASCII whatever the cluster's collation.
 */
import type { Migration } from "./connection.ts";
import { foldSearchTexts } from "./turn-search.ts";

/** `migrations[n]` takes the turns schema from version n to n + 1. */
export const TURNS_MIGRATIONS: readonly Migration[] = [
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
  `DO $migration$
   DECLARE trigram_schema TEXT;
   BEGIN
     BEGIN
       CREATE EXTENSION IF NOT EXISTS pg_trgm;
     EXCEPTION WHEN OTHERS THEN
       RAISE NOTICE 'geppetto: pg_trgm is not available (%): sessions are searched without an index', SQLERRM;
     END;
     SELECT n.nspname INTO trigram_schema FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace
       WHERE e.extname = 'pg_trgm';
     IF trigram_schema IS NOT NULL THEN
       EXECUTE format('CREATE INDEX geppetto_blocks_search ON geppetto_blocks USING gin (search_text %I.gin_trgm_ops)'
         ' WITH (fastupdate = off)', trigram_schema);
     END IF;
   END $migration$;`,
  `CREATE TABLE geppetto_pieces (
     seq           BIGSERIAL PRIMARY KEY,
     session_ref   BIGINT NOT NULL REFERENCES geppetto_sessions (ref) ON DELETE CASCADE,
     block_index   INTEGER NOT NULL,
     turn_position INTEGER NOT NULL,
     text          TEXT NOT NULL
   );
   CREATE INDEX geppetto_pieces_by_turn ON geppetto_pieces (session_ref, turn_position, block_index);`,
  foldSearchTexts,
];
