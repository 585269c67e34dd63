/**
 * Every `geppetto run` is kept in the session store (like `llm logs`), `--no-log` to skip: a new session per
 * run, or with `-c/--continue` the most recent session, or with `--session ID` (any unique prefix) a given one,
 * continued and saved back.
 */
import { CorruptTurnError } from "../session/turn-store.ts";
import { appendBlock, cloneTurn, newId, newTurn } from "../turns/builders.ts";
import type { Block, Turn } from "../turns/types.ts";
import type { CliIO } from "./main.ts";
import {
  type CliSessionStore,
  type ConfiguredStore,
  openSessionDb,
  resolveSessionId,
  sessionStoreLocation,
} from "./session-db.ts";
import { UsageError } from "./usage.ts";

/** The session a run is logged to. */
export interface RunSession {
  sessionId: string;
  /** True when the run continues a stored conversation (`--continue`, `--session`). */
  continued: boolean;
  /** The next input: the stored history with `blocks` appended (a new Turn with a new id), or `blocks` alone. */
  continueWith(blocks: Block[]): Turn;
  /** The store, as messages name it (a PostgreSQL URL without its credentials). */
  where: string;
  /** Saves the answer (final, partial or failed) as the session's latest turn. */
  save(turn: Turn): Promise<void>;
  close(): Promise<void>;
}

/** Which session a run goes to. */
export interface RunSessionChoice {
  /** `--session ID` (or a unique prefix of it). */
  sessionId?: string;
  /** `-c/--continue`: the most recently updated session. */
  continueLast?: boolean;
  /** `--db PATH|URL`. */
  db?: string;
  /** The settings' `store`, read when neither `--db` nor `GEPPETTO_DB` is set. */
  configured?: () => Promise<ConfiguredStore>;
}

/**
 * Opens the session a run is logged to (an unknown or ambiguous id, or nothing to continue, is a UsageError
 * naming the store).
 *
 * @example
 * const session = await openRunSession({ continueLast: true }, io);
 * const input = session.continueWith([newUserTextBlock("And then?")]);
 */
export async function openRunSession(choice: RunSessionChoice, io: CliIO): Promise<RunSession> {
  const location = await sessionStoreLocation(
    choice.db,
    io.env,
    choice.configured ?? (async () => undefined),
  );
  const dbPath = location.label;
  let store: CliSessionStore;
  try {
    store = await openSessionDb(location);
  } catch (error) {
    // A session that exists but does not load (a corrupt row) is a failure (exit 1), not bad usage (exit 2).
    if (error instanceof CorruptTurnError) throw error;
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
  try {
    let sessionId: string | undefined;
    if (choice.continueLast) {
      const [last] = await store.listSessions();
      if (!last) throw new UsageError(`--continue: no session to continue in ${dbPath}`);
      sessionId = last.sessionId;
    } else if (choice.sessionId !== undefined) {
      sessionId = await resolveSessionId(store, choice.sessionId, dbPath);
    }
    const history = sessionId === undefined ? undefined : await store.loadLatest(sessionId);
    if (sessionId !== undefined && !history) {
      throw new UsageError(`no session "${sessionId}" in ${dbPath} (see \`geppetto sessions list\`)`);
    }
    const id = sessionId ?? newId();
    return {
      sessionId: id,
      where: dbPath,
      continued: history !== undefined,
      continueWith(blocks) {
        if (!history) return newTurn(blocks);
        let turn = cloneTurn(history, { id: newId() });
        for (const block of blocks) turn = appendBlock(turn, block);
        return turn;
      },
      save: (turn) => store.saveTurn(id, turn),
      close: () => store.close(),
    };
  } catch (error) {
    await store.close();
    throw error;
  }
}
