/**
 * Where the CLI keeps its sessions: one SQLite file, `$XDG_DATA_HOME/geppetto/sessions.db`
 * (`~/.local/share/geppetto/sessions.db` when XDG_DATA_HOME is unset), or what the settings' `store` names (a
 * SQLite file, or a PostgreSQL database several machines share), overridden by `GEPPETTO_DB` and `--db` (a path,
 * or a `postgres://` URL).
 */
import { mkdirSync } from "node:fs";
import { homedir } from "node:os";
import { dirname, join } from "node:path";
import { GeppettoError } from "../engine/errors.ts";
import type { SessionSummary, TurnStore } from "../session/turn-store.ts";
import { redactURL } from "../settings/secrets.ts";
import type { Turn } from "../turns/types.ts";

/** The `--db` help line shared by the commands that use the session store. */
export const DB_FLAG_HELP =
  "--db PATH|URL        The session store: a SQLite file or a postgres:// URL (default: GEPPETTO_DB, the\n" +
  "                       settings' store, else $XDG_DATA_HOME/geppetto/sessions.db)";

/** Where the sessions are: a SQLite file or a PostgreSQL database. */
export interface SessionStoreLocation {
  kind: "sqlite" | "postgres";
  /** The file path, or the `postgres://` URL (with its credentials: never print it, print `label`). */
  url: string;
  /** What messages name the store by: the path, or the URL with its credentials redacted. */
  label: string;
}

/** The settings' `store` (`{ kind, url }`), as the command loaded it. */
export type ConfiguredStore = { kind: "sqlite" | "postgres"; url: string } | undefined;

const POSTGRES_URL = /^postgres(ql)?:\/\//i;

/**
 * The session store a command uses: `--db`, else `GEPPETTO_DB`, else the settings' `store` (read only when the
 * first two are unset), else the XDG data directory. A `postgres://` URL is a PostgreSQL database.
 *
 * @example
 * await sessionStoreLocation("postgres://app:pw@db/app", io.env, async () => undefined)
 * // { kind: "postgres", url: "postgres://app:pw@db/app", label: "postgres://<redacted>@db/app" }
 */
export async function sessionStoreLocation(
  flag: string | undefined,
  env: NodeJS.ProcessEnv,
  configured: () => Promise<ConfiguredStore>,
): Promise<SessionStoreLocation> {
  let url = flag !== undefined && flag !== "" ? flag : env.GEPPETTO_DB || undefined;
  if (url === undefined) {
    const store = await configured();
    url = store?.url ?? sessionDbPath(undefined, env);
  }
  if (POSTGRES_URL.test(url)) return { kind: "postgres", url, label: redactURL(url) };
  return { kind: "sqlite", url, label: url };
}

/**
 * The session store's path: `--db`, else `GEPPETTO_DB`, else the XDG data directory.
 *
 * @example
 * sessionDbPath(undefined, { XDG_DATA_HOME: "/data" }) // "/data/geppetto/sessions.db"
 */
export function sessionDbPath(flag: string | undefined, env: NodeJS.ProcessEnv): string {
  if (flag !== undefined && flag !== "") return flag;
  if (env.GEPPETTO_DB) return env.GEPPETTO_DB;
  const dataHome = env.XDG_DATA_HOME || join(env.HOME || homedir(), ".local", "share");
  return join(dataHome, "geppetto", "sessions.db");
}

/** One stored session, as `geppetto sessions list` shows it (read without decoding its turns). */
export type StoredSessionSummary = SessionSummary;

/** The session store as the CLI uses it: the SQLite TurnStore plus summaries in recency order. */
export interface CliSessionStore {
  /** The TurnStore (a Session's persister). */
  readonly turns: TurnStore;
  /** Sessions, most recently updated first. */
  listSessions(): Promise<StoredSessionSummary[]>;
  /** A session's turns, oldest first; empty when the session is unknown. */
  listTurns(sessionId: string): Promise<Turn[]>;
  /** Saves a turn of a session (again: replaces it), as a final snapshot. */
  saveTurn(sessionId: string, turn: Turn): Promise<void>;
  /** A session's latest turn (the whole conversation), if any. */
  loadLatest(sessionId: string): Promise<Turn | undefined>;
  /** Deletes a session; false when there was none. */
  deleteSession(sessionId: string): Promise<boolean>;
  close(): Promise<void>;
}

/** Opens the TurnStore at a location (PostgreSQL's client is loaded only for a `postgres://` URL). */
async function openTurns(
  location: SessionStoreLocation,
): Promise<Required<Pick<TurnStore, "loadLatest" | "listSessionSummaries">> & TurnStore> {
  if (location.kind === "postgres") {
    const { openPostgresTurnStore } = await import("../stores/postgres/turn-store.ts");
    return openPostgresTurnStore({ url: location.url });
  }
  const { openSqliteTurnStore } = await import("../session/sqlite-turn-store.ts");
  if (location.url !== ":memory:") mkdirSync(dirname(location.url), { recursive: true });
  return openSqliteTurnStore(location.url);
}

/**
 * Opens (creating it, and a SQLite file's folder, if needed) the session store at `path` (a SQLite file) or at
 * a location from {@link sessionStoreLocation}.
 *
 * @example
 * const store = await openSessionDb(sessionDbPath(values.db, io.env));
 * const [latest] = await store.listSessions();
 */
export async function openSessionDb(path: string | SessionStoreLocation): Promise<CliSessionStore> {
  const location = typeof path === "string" ? { kind: "sqlite" as const, url: path, label: path } : path;
  let turns: Awaited<ReturnType<typeof openTurns>>;
  try {
    turns = await openTurns(location);
  } catch (error) {
    const message = `cannot open the session store ${location.label}: ${error instanceof Error ? error.message : error}`;
    throw GeppettoError.is(error)
      ? new GeppettoError(message, {
          code: error.code,
          fault: error.fault,
          retryable: error.retryable,
          cause: error,
        })
      : new GeppettoError(message, { code: "store_unreachable", fault: "provider", cause: error });
  }
  return {
    turns,
    // The sessions table only: no turn is read, so listing costs the same whatever the sessions hold.
    listSessions: () => turns.listSessionSummaries(),
    listTurns: (sessionId) => turns.loadSession(sessionId),
    saveTurn: (sessionId, turn) => turns.save(sessionId, turn, "final"),
    loadLatest: (sessionId) => turns.loadLatest(sessionId),
    deleteSession: (sessionId) => turns.delete(sessionId),
    async close() {
      await turns.close?.();
    },
  };
}

/**
 * The session a typed id names: the exact id, or the one session whose id starts with it. None, or several,
 * is a UsageError naming the store (and the candidates).
 *
 * @example
 * await resolveSessionId(store, "3f2c", dbPath) // "3f2c9a1e-…"
 */
export async function resolveSessionId(
  store: CliSessionStore,
  typed: string,
  dbPath: string,
): Promise<string> {
  const { UsageError } = await import("./usage.ts");
  const ids = (await store.listSessions()).map((session) => session.sessionId);
  if (ids.includes(typed)) return typed;
  const matches = typed === "" ? [] : ids.filter((id) => id.startsWith(typed));
  if (matches.length === 1) return matches[0]!;
  if (matches.length > 1) {
    const shown = matches.slice(0, 5).join(", ");
    throw new UsageError(
      `session id "${typed}" is ambiguous in ${dbPath}: ${shown}${matches.length > 5 ? ", …" : ""}`,
    );
  }
  throw new UsageError(`no session "${typed}" in ${dbPath} (see \`geppetto sessions list\`)`);
}

/**
 * `typed` itself when it is a stored session id or no id starts with it; otherwise the one id it is a prefix of
 * (several is a UsageError listing them). For commands that report an unknown session themselves.
 *
 * @example
 * await expandSessionId(store, "3f2c", dbPath) // "3f2c9a1e-…"
 */
export async function expandSessionId(
  store: CliSessionStore,
  typed: string,
  dbPath: string,
): Promise<string> {
  try {
    return await resolveSessionId(store, typed, dbPath);
  } catch (error) {
    if (error instanceof Error && error.message.includes("ambiguous")) throw error;
    return typed;
  }
}
