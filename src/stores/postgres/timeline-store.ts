/**
 * The web chat's timeline on PostgreSQL, shared by several web chat instances, with the run leases that let one
 * instance at a time answer in a conversation.
 *
 * Like the SQLite timeline, frames are applied in memory at once and written shortly after (`flushMs`) or at once
 * when an entity ends; a write costs the entities that changed. A conversation is loaded into memory when it is
 * first used ({@link PostgresTimelineStore.prepare}); frames that another instance applied arrive over the
 * transport and are folded into memory without being written again ({@link PostgresTimelineStore.observe}).
 */
import { CallerError } from "../../engine/errors.ts";
import {
  type ConversationSummary,
  type Entity,
  type Frame,
  type FrameDraft,
  foldFrame,
  type TimelineSnapshot,
} from "../../webchat/frames.ts";
import type { RunLeases, WebChatTimeline } from "../../webchat/shared-timeline.ts";
import { entityFromRow } from "../../webchat/timeline-rows.ts";
import {
  connectPostgres,
  migrateSchema,
  type PostgresConnection,
  type PostgresTarget,
  type Sql,
} from "./connection.ts";

/** `migrations[n]` takes the timeline schema from version n to n + 1. */
export const TIMELINE_MIGRATIONS: readonly string[] = [
  `CREATE TABLE webchat_conversations (
     conv_id    TEXT PRIMARY KEY,
     title      TEXT NOT NULL,
     created_at TIMESTAMPTZ NOT NULL,
     updated_at TIMESTAMPTZ NOT NULL,
     version    BIGINT NOT NULL
   );
   CREATE INDEX webchat_conversations_recent ON webchat_conversations (updated_at DESC);
   CREATE TABLE webchat_entities (
     conv_id   TEXT NOT NULL REFERENCES webchat_conversations (conv_id) ON DELETE CASCADE,
     entity_id TEXT NOT NULL,
     kind      TEXT NOT NULL,
     ord       BIGINT NOT NULL,
     version   BIGINT NOT NULL,
     status    TEXT NOT NULL,
     text      TEXT NOT NULL,
     data      TEXT NOT NULL,
     PRIMARY KEY (conv_id, entity_id)
   );
   CREATE INDEX webchat_entities_by_version ON webchat_entities (conv_id, version);
   CREATE TABLE webchat_runs (
     conv_id     TEXT PRIMARY KEY,
     instance_id TEXT NOT NULL,
     expires_at  TIMESTAMPTZ NOT NULL
   );`,
];

interface ConversationRow {
  conv_id: string;
  title: string;
  created_at: Date;
  updated_at: Date;
  version: string;
}

interface EntityRow {
  entity_id: string;
  kind: string;
  ord: string;
  version: string;
  status: string;
  text: string;
  data: string;
}

interface LiveConversation {
  summary: ConversationSummary;
  entities: Map<string, Entity>;
  dirty: Map<string, Entity>;
  open: Map<string, Entity>;
  changedAt: number;
}

const toSummary = (row: ConversationRow): ConversationSummary => ({
  convId: row.conv_id,
  title: row.title,
  createdAt: row.created_at.toISOString(),
  updatedAt: row.updated_at.toISOString(),
  version: Number(row.version),
});

const noConversation = (convId: string) =>
  new CallerError(`no web chat conversation "${convId}"`, { code: "no_conversation" });

/** Options of {@link openPostgresTimelineStore}. */
export interface PostgresTimelineOptions {
  /** Milliseconds between writes of streamed changes (default 100). */
  flushMs?: number;
}

/**
 * Conversations and their entities, on PostgreSQL. Create it with {@link openPostgresTimelineStore}.
 *
 * @example
 * const timeline = await openPostgresTimelineStore({ url: process.env.DATABASE_URL! });
 * const server = await startWebChatServer({ engine: { engine }, timeline, relay: { transport } });
 */
export class PostgresTimelineStore implements WebChatTimeline {
  readonly #connection: PostgresConnection;
  readonly #sql: Sql;
  readonly #flushMs: number;
  readonly #live = new Map<string, LiveConversation>();
  #timer: NodeJS.Timeout | undefined;
  #writing: Promise<void> = Promise.resolve();
  readonly runs: RunLeases;

  /** Use {@link openPostgresTimelineStore}. */
  constructor(connection: PostgresConnection, options: PostgresTimelineOptions = {}) {
    this.#connection = connection;
    this.#sql = connection.sql;
    this.#flushMs = options.flushMs ?? 100;
    this.runs = leasesOn(connection.sql);
  }

  async createConversation(convId: string, title: string): Promise<ConversationSummary> {
    const now = new Date();
    const summary = {
      convId,
      title: title.slice(0, 120),
      createdAt: now.toISOString(),
      updatedAt: now.toISOString(),
      version: 0,
    };
    await this.#sql`INSERT INTO webchat_conversations (conv_id, title, created_at, updated_at, version)
      VALUES (${convId}, ${summary.title}, ${now}, ${now}, 0)`;
    this.#live.set(convId, {
      summary,
      entities: new Map(),
      dirty: new Map(),
      open: new Map(),
      changedAt: Date.now(),
    });
    return summary;
  }

  async conversation(convId: string): Promise<ConversationSummary | undefined> {
    const live = this.#live.get(convId);
    if (live) return { ...live.summary };
    const [row] = await this.#sql<
      ConversationRow[]
    >`SELECT * FROM webchat_conversations WHERE conv_id = ${convId}`;
    return row ? toSummary(row) : undefined;
  }

  async listConversations(): Promise<ConversationSummary[]> {
    await this.flush();
    const rows = await this.#sql<ConversationRow[]>`
      SELECT * FROM webchat_conversations ORDER BY updated_at DESC, conv_id DESC LIMIT 500`;
    return rows.map((row) => {
      const live = this.#live.get(row.conv_id);
      return live && live.summary.version > Number(row.version) ? { ...live.summary } : toSummary(row);
    });
  }

  async prepare(convId: string, options: { refresh?: boolean } = {}): Promise<void> {
    const known = this.#live.get(convId);
    if (known && !options.refresh) return;
    if (known) await this.flush();
    const [[row], rows] = await this.#sql.begin("ISOLATION LEVEL REPEATABLE READ READ ONLY", (sql) => [
      sql<ConversationRow[]>`SELECT * FROM webchat_conversations WHERE conv_id = ${convId}`,
      sql<EntityRow[]>`SELECT * FROM webchat_entities WHERE conv_id = ${convId}`,
    ]);
    if (!row) throw noConversation(convId);
    const live: LiveConversation = {
      summary: toSummary(row),
      entities: new Map(),
      dirty: new Map(),
      open: new Map(),
      changedAt: row.updated_at.getTime(),
    };
    if (known && known.summary.version > live.summary.version) return; // memory is ahead (frames observed)
    for (const entityRow of rows) {
      const entity = entityFromRow(this.#connection.where, convId, entityRow);
      live.entities.set(entity.id, entity);
      if (entity.status === "streaming") live.open.set(entity.id, entity);
    }
    this.#live.set(convId, live);
  }

  #liveConversation(convId: string): LiveConversation {
    const live = this.#live.get(convId);
    if (!live)
      throw new CallerError(`web chat timeline: conversation "${convId}" was not prepared`, {
        code: "no_conversation",
      });
    return live;
  }

  entity(convId: string, entityId: string): Entity | undefined {
    return this.#live.get(convId)?.entities.get(entityId);
  }

  async unfinished(convId: string): Promise<Entity[]> {
    await this.flush();
    const rows = await this.#sql<EntityRow[]>`
      SELECT * FROM webchat_entities WHERE conv_id = ${convId} AND status = 'streaming' ORDER BY ord`;
    const live = this.#live.get(convId);
    return rows.map(
      (row) => live?.entities.get(row.entity_id) ?? entityFromRow(this.#connection.where, convId, row),
    );
  }

  streaming(convId: string): Entity[] {
    return [...(this.#live.get(convId)?.open.values() ?? [])];
  }

  apply(convId: string, draft: FrameDraft): Frame {
    const live = this.#liveConversation(convId);
    const frame: Frame = { ...draft, seq: live.summary.version + 1, convId };
    this.#fold(live, frame);
    live.dirty.set(frame.id, live.entities.get(frame.id)!);
    const entity = live.entities.get(frame.id)!;
    if (entity.status !== "streaming") void this.flush().catch(() => {});
    else this.#timer ??= setTimeout(() => void this.flush().catch(() => {}), this.#flushMs).unref();
    return frame;
  }

  observe(frame: Frame): void {
    const live = this.#live.get(frame.convId);
    if (!live || frame.seq <= live.summary.version) return;
    this.#fold(live, frame);
  }

  #fold(live: LiveConversation, frame: Frame): void {
    const entity = foldFrame(live.entities.get(frame.id), frame);
    live.entities.set(entity.id, entity);
    live.summary.version = frame.seq;
    live.changedAt = Date.now();
    if (entity.status === "streaming") live.open.set(entity.id, entity);
    else live.open.delete(entity.id);
  }

  async snapshot(convId: string, sinceVersion = 0): Promise<TimelineSnapshot> {
    await this.flush();
    const [[row], rows] = await this.#sql.begin("ISOLATION LEVEL REPEATABLE READ READ ONLY", (sql) => [
      sql<ConversationRow[]>`SELECT * FROM webchat_conversations WHERE conv_id = ${convId}`,
      sql<EntityRow[]>`SELECT * FROM webchat_entities WHERE conv_id = ${convId} AND version > ${sinceVersion}
        ORDER BY ord`,
    ]);
    if (!row) throw noConversation(convId);
    return {
      convId,
      version: Number(row.version),
      entities: rows.map((entityRow) => entityFromRow(this.#connection.where, convId, entityRow)),
    };
  }

  /** Writes the pending changes in one transaction (writes run one after the other). */
  flush(): Promise<void> {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    const pending = [...this.#live.values()].filter((live) => live.dirty.size > 0);
    if (pending.length === 0) return this.#writing;
    const batches = pending.map((live) => {
      const entities = [...live.dirty.values()].map((entity) => ({ ...entity }));
      live.dirty.clear();
      live.summary.updatedAt = new Date(live.changedAt).toISOString();
      return { summary: { ...live.summary }, entities };
    });
    this.#writing = this.#writing.then(() => this.#write(batches));
    return this.#writing;
  }

  async #write(batches: { summary: ConversationSummary; entities: Entity[] }[]): Promise<void> {
    await this.#sql.begin((sql) =>
      batches.flatMap(({ summary, entities }) => [
        sql`INSERT INTO webchat_entities (conv_id, entity_id, kind, ord, version, status, text, data)
          SELECT ${summary.convId}, * FROM unnest(${sql.array(entities.map((entity) => entity.id))}::text[],
            ${sql.array(entities.map((entity) => entity.kind))}::text[],
            ${sql.array(entities.map((entity) => entity.order))}::bigint[],
            ${sql.array(entities.map((entity) => entity.version))}::bigint[],
            ${sql.array(entities.map((entity) => entity.status))}::text[],
            ${sql.array(entities.map((entity) => entity.text))}::text[],
            ${sql.array(entities.map((entity) => JSON.stringify(entity.data)))}::text[])
          ON CONFLICT (conv_id, entity_id) DO UPDATE SET version = excluded.version, status = excluded.status,
            text = excluded.text, data = excluded.data WHERE webchat_entities.version < excluded.version`,
        sql`UPDATE webchat_conversations SET version = GREATEST(version, ${summary.version}),
          updated_at = GREATEST(updated_at, ${new Date(summary.updatedAt)}) WHERE conv_id = ${summary.convId}`,
      ]),
    );
  }

  async release(convId: string): Promise<void> {
    await this.flush();
    if (!this.#live.get(convId)?.dirty.size) this.#live.delete(convId);
  }

  /** Writes what is pending and ends the connection pool (when the store opened it). */
  async close(): Promise<void> {
    await this.flush();
    this.#live.clear();
    await this.#connection.end();
  }
}

function leasesOn(sql: Sql): RunLeases {
  return {
    async claim(convId, instanceId, ttlMs) {
      const rows = await sql`INSERT INTO webchat_runs (conv_id, instance_id, expires_at)
        VALUES (${convId}, ${instanceId}, now() + ${ttlMs} * interval '1 millisecond')
        ON CONFLICT (conv_id) DO UPDATE SET instance_id = excluded.instance_id, expires_at = excluded.expires_at
        WHERE webchat_runs.expires_at < now() OR webchat_runs.instance_id = excluded.instance_id
        RETURNING conv_id`;
      return rows.length === 1;
    },
    async renew(instanceId, ttlMs) {
      await sql`UPDATE webchat_runs SET expires_at = now() + ${ttlMs} * interval '1 millisecond'
        WHERE instance_id = ${instanceId}`;
    },
    async end(convId, instanceId) {
      await sql`DELETE FROM webchat_runs WHERE conv_id = ${convId} AND instance_id = ${instanceId}`;
    },
    async heldElsewhere(convId, instanceId) {
      const rows = await sql`SELECT 1 FROM webchat_runs
        WHERE conv_id = ${convId} AND instance_id <> ${instanceId} AND expires_at >= now()`;
      return rows.length > 0;
    },
    async takeExpired() {
      const rows = await sql<{ conv_id: string }[]>`
        DELETE FROM webchat_runs WHERE expires_at < now() RETURNING conv_id`;
      return rows.map((row) => row.conv_id);
    },
  };
}

/**
 * Opens the web chat timeline on PostgreSQL, creating or migrating its tables on open (under the advisory lock
 * the turn store uses too).
 *
 * @example
 * const timeline = await openPostgresTimelineStore({ url: "postgres://app@db:5432/app" });
 */
export async function openPostgresTimelineStore(
  target: PostgresTarget,
  options: PostgresTimelineOptions = {},
): Promise<PostgresTimelineStore> {
  const connection = await connectPostgres(target);
  try {
    await migrateSchema(connection.sql, "timeline", TIMELINE_MIGRATIONS, connection.where);
  } catch (error) {
    await connection.end();
    throw error;
  }
  return new PostgresTimelineStore(connection, options);
}
