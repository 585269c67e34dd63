/**
 * The timeline projector: folds each conversation's frames into entities and keeps them in SQLite (node:sqlite),
 * so a reloaded page hydrates from the current state of every entity, not from a replay of every delta.
 *
 * Frames are applied in memory at once (hydration always sees them) and written in one transaction shortly
 * after (`flushMs`), or at once when an entity reaches a final status; a write costs what changed, not the
 * conversation's length. The schema is versioned with `PRAGMA user_version`; a file from a newer geppetto is
 * refused with a clear error instead of being misread.
 */
import { dirname } from "node:path";
import type { DatabaseSync } from "node:sqlite";
import { CallerError } from "../engine/errors.ts";
import { immediateTransaction, setBusyTimeout, switchToWal } from "../session/sqlite-busy.ts";
import {
  type ConversationSummary,
  type Entity,
  type Frame,
  type FrameDraft,
  foldFrame,
  type TimelineSnapshot,
} from "./frames.ts";
import { entityFromRow } from "./timeline-rows.ts";

/** `node:fs` as Node holds it: an `import` of it would load its promise API and streams (about 34 of Node's modules). */
const fs = process.getBuiltinModule("node:fs");

/** The schema version this code writes (`PRAGMA user_version`). */
export const TIMELINE_SCHEMA_VERSION = 1;

const SCHEMA_V1 = `
CREATE TABLE IF NOT EXISTS webchat_conversations (
  conv_id TEXT PRIMARY KEY,
  title TEXT NOT NULL,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  version INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS webchat_entities (
  conv_id TEXT NOT NULL,
  entity_id TEXT NOT NULL,
  kind TEXT NOT NULL,
  ord INTEGER NOT NULL,
  version INTEGER NOT NULL,
  status TEXT NOT NULL,
  text TEXT NOT NULL,
  data TEXT NOT NULL,
  PRIMARY KEY (conv_id, entity_id)
);
CREATE INDEX IF NOT EXISTS webchat_entities_by_version ON webchat_entities (conv_id, version);
`;

interface EntityRow {
  entity_id: string;
  kind: string;
  ord: number;
  version: number;
  status: string;
  text: string;
  data: string;
}

interface ConversationRow {
  conv_id: string;
  title: string;
  created_at: string;
  updated_at: string;
  version: number;
}

interface LiveConversation {
  summary: ConversationSummary;
  /** Entities changed since the last write, by id. */
  dirty: Map<string, Entity>;
  /** Entities still streaming (kept in memory until they end), by id. */
  open: Map<string, Entity>;
  /** When a frame last changed it (ms since the epoch); `summary.updatedAt` is set from it on write. */
  changedAt: number;
}

/** Options of {@link TimelineStore.open}. */
export interface TimelineStoreOptions {
  /** Milliseconds between writes of streamed changes (default 100). */
  flushMs?: number;
}

/**
 * Conversations and their entities, on SQLite.
 *
 * @example
 * const timeline = await TimelineStore.open("./webchat.db");
 * timeline.createConversation("c1", "Hello");
 * timeline.apply("c1", { type: "user.message", id: "user:1", kind: "user", status: "done", text: "Hello" });
 * timeline.snapshot("c1", 0).entities[0]?.text; // "Hello"
 */
export class TimelineStore {
  readonly #database: DatabaseSync;
  /** The file (for errors). */
  readonly #where: string;
  readonly #flushMs: number;
  readonly #live = new Map<string, LiveConversation>();
  readonly #statements;
  #timer: NodeJS.Timeout | undefined;

  private constructor(database: DatabaseSync, where: string, options: TimelineStoreOptions) {
    this.#database = database;
    this.#where = where;
    this.#flushMs = options.flushMs ?? 100;
    this.#statements = {
      selectEntity: database.prepare("SELECT * FROM webchat_entities WHERE conv_id = ? AND entity_id = ?"),
      upsert: database.prepare(
        `INSERT INTO webchat_entities (conv_id, entity_id, kind, ord, version, status, text, data)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (conv_id, entity_id) DO UPDATE SET
           version = excluded.version, status = excluded.status, text = excluded.text, data = excluded.data
         WHERE webchat_entities.version < excluded.version`,
      ),
      touch: database.prepare(
        // Another process may have written the conversation further: never move it back.
        "UPDATE webchat_conversations SET version = MAX(version, ?), updated_at = MAX(updated_at, ?) WHERE conv_id = ?",
      ),
    };
  }

  /** Opens (creating it, its folder and its schema if needed) the timeline at `path` (or `:memory:`). */
  static async open(path: string, options: TimelineStoreOptions = {}): Promise<TimelineStore> {
    const { DatabaseSync } = await import("node:sqlite");
    if (path !== ":memory:") fs.mkdirSync(dirname(path), { recursive: true });
    const database = new DatabaseSync(path);
    try {
      // A second process may be opening the same new file: the busy timeout first, the WAL switch retried, and
      // the schema created inside an immediate transaction that looks at the version again.
      setBusyTimeout(database);
      switchToWal(database);
      const { user_version: found } = database.prepare("PRAGMA user_version").get() as {
        user_version: number;
      };
      if (found > TIMELINE_SCHEMA_VERSION) {
        throw new CallerError(
          `the web chat timeline ${path} has schema version ${found}, newer than this geppetto's ` +
            `${TIMELINE_SCHEMA_VERSION}: upgrade geppetto or use another --timeline-db`,
          { code: "timeline_schema_too_new" },
        );
      }
      if (found < 1) {
        immediateTransaction(database, () => {
          const { user_version: now } = database.prepare("PRAGMA user_version").get() as {
            user_version: number;
          };
          if (now < 1) database.exec(`${SCHEMA_V1} PRAGMA user_version = 1;`);
        });
      }
    } catch (error) {
      database.close();
      throw error;
    }
    return new TimelineStore(database, path, options);
  }

  /** Records a new conversation (its title is shown in the list). */
  createConversation(convId: string, title: string): ConversationSummary {
    const now = new Date().toISOString();
    const summary = { convId, title: title.slice(0, 120), createdAt: now, updatedAt: now, version: 0 };
    this.#database
      .prepare(
        "INSERT INTO webchat_conversations (conv_id, title, created_at, updated_at, version) VALUES (?, ?, ?, ?, 0)",
      )
      .run(convId, summary.title, now, now);
    this.#live.set(convId, { summary, dirty: new Map(), open: new Map(), changedAt: Date.now() });
    return summary;
  }

  /** A conversation's summary, or `undefined` when unknown. */
  conversation(convId: string): ConversationSummary | undefined {
    const live = this.#live.get(convId);
    if (live) return { ...live.summary };
    const row = this.#database.prepare("SELECT * FROM webchat_conversations WHERE conv_id = ?").get(convId) as
      | ConversationRow
      | undefined;
    return row ? toSummary(row) : undefined;
  }

  /** Every conversation, most recently updated first. */
  listConversations(): ConversationSummary[] {
    this.flush();
    const rows = this.#database
      .prepare("SELECT * FROM webchat_conversations ORDER BY updated_at DESC, rowid DESC")
      .all() as unknown as ConversationRow[];
    return rows.map(toSummary);
  }

  #liveConversation(convId: string): LiveConversation {
    let live = this.#live.get(convId);
    if (!live) {
      const summary = this.conversation(convId);
      if (!summary)
        throw new CallerError(`no web chat conversation "${convId}"`, { code: "no_conversation" });
      live = { summary, dirty: new Map(), open: new Map(), changedAt: Date.parse(summary.updatedAt) };
      this.#live.set(convId, live);
    }
    return live;
  }

  /** The current state of one entity. */
  entity(convId: string, entityId: string): Entity | undefined {
    const live = this.#live.get(convId);
    return live?.dirty.get(entityId) ?? live?.open.get(entityId) ?? this.#load(convId, entityId);
  }

  #load(convId: string, entityId: string): Entity | undefined {
    const row = this.#statements.selectEntity.get(convId, entityId) as EntityRow | undefined;
    return row ? entityFromRow(this.#where, convId, row) : undefined;
  }

  /**
   * Entities the timeline holds as streaming, on disk too: when no answer runs (the conversation was just
   * opened), these were cut off by a server that stopped without ending them.
   */
  unfinished(convId: string): Entity[] {
    this.flush();
    const rows = this.#database
      .prepare("SELECT * FROM webchat_entities WHERE conv_id = ? AND status = 'streaming' ORDER BY ord")
      .all(convId) as unknown as EntityRow[];
    return rows.map((row) => entityFromRow(this.#where, convId, row));
  }

  /** Entities of a conversation that are still streaming. */
  streaming(convId: string): Entity[] {
    return [...(this.#live.get(convId)?.open.values() ?? [])];
  }

  /**
   * Applies a frame: gives it the conversation's next seq, folds it into its entity (the timeline's own copy,
   * changed in place: the entities {@link TimelineStore.entity} returns are live), and returns the frame.
   */
  apply(convId: string, draft: FrameDraft): Frame {
    const live = this.#liveConversation(convId);
    const frame: Frame = { ...draft, seq: live.summary.version + 1, convId };
    const current = live.dirty.get(draft.id) ?? live.open.get(draft.id) ?? this.#load(convId, draft.id);
    const entity = foldFrame(current, frame);
    live.summary.version = frame.seq;
    live.changedAt = Date.now();
    live.dirty.set(entity.id, entity);
    if (entity.status === "streaming") live.open.set(entity.id, entity);
    else live.open.delete(entity.id);
    if (entity.status !== "streaming") this.flush();
    else this.#timer ??= setTimeout(() => this.flush(), this.#flushMs).unref();
    return frame;
  }

  /** Every entity changed after `sinceVersion` (all of them for 0), in display order, with the version. */
  snapshot(convId: string, sinceVersion = 0): TimelineSnapshot {
    this.flush();
    const summary = this.conversation(convId);
    if (!summary) throw new CallerError(`no web chat conversation "${convId}"`, { code: "no_conversation" });
    const rows = this.#database
      .prepare("SELECT * FROM webchat_entities WHERE conv_id = ? AND version > ? ORDER BY ord")
      .all(convId, sinceVersion) as unknown as EntityRow[];
    return {
      convId,
      version: summary.version,
      entities: rows.map((row) => entityFromRow(this.#where, convId, row)),
    };
  }

  /** Writes the pending changes in one transaction. */
  flush(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    const pending = [...this.#live.values()].filter((live) => live.dirty.size > 0);
    if (pending.length === 0) return;
    const { upsert, touch } = this.#statements;
    this.#database.exec("BEGIN");
    try {
      for (const live of pending) {
        for (const entity of live.dirty.values()) {
          upsert.run(
            live.summary.convId,
            entity.id,
            entity.kind,
            entity.order,
            entity.version,
            entity.status,
            entity.text,
            JSON.stringify(entity.data),
          );
        }
        live.summary.updatedAt = new Date(live.changedAt).toISOString();
        touch.run(live.summary.version, live.summary.updatedAt, live.summary.convId);
        live.dirty.clear();
      }
      this.#database.exec("COMMIT");
    } catch (error) {
      this.#database.exec("ROLLBACK");
      throw error;
    }
  }

  /** Forgets a conversation's in-memory state (after writing it); its timeline stays on disk. */
  release(convId: string): void {
    this.flush();
    this.#live.delete(convId);
  }

  /** Writes what is pending and closes the database. */
  close(): void {
    this.flush();
    this.#live.clear();
    this.#database.close();
  }
}

function toSummary(row: ConversationRow): ConversationSummary {
  return {
    convId: row.conv_id,
    title: row.title,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    version: row.version,
  };
}
