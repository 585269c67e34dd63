/**
 * Opening a SQLite file that another process may be opening at the same moment: the busy timeout comes first, so
 * that every later statement waits for the other process instead of failing with "database is locked", and the
 * switch to WAL (which SQLite does not retry through the busy handler) is retried here; writes that must see what
 * another process did go in an immediate transaction.
 */
import type { DatabaseSync } from "node:sqlite";

/** Runs `action`, retrying (up to 50 times, waiting longer each time) while the file is locked or busy. */
function retryWhileBusy(action: () => void): void {
  for (let attempt = 1; ; attempt++) {
    try {
      action();
      return;
    } catch (error) {
      const busy = /locked|busy/i.test(error instanceof Error ? error.message : String(error));
      if (!busy || attempt >= 50) throw error;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20 * attempt);
    }
  }
}

/** Sets the busy timeout (5 s) on a database just opened, before any other statement. */
export function setBusyTimeout(database: DatabaseSync): void {
  database.exec("PRAGMA busy_timeout = 5000");
}

/** Switches a database (its busy timeout set) to WAL with `synchronous = NORMAL`, retrying while locked. */
export function switchToWal(database: DatabaseSync): void {
  retryWhileBusy(() => database.exec("PRAGMA journal_mode = WAL"));
  database.exec("PRAGMA synchronous = NORMAL");
}

/**
 * Runs `action` in a `BEGIN IMMEDIATE` transaction (the write lock taken at once, so a second process waits rather
 * than reading a state about to change): committed when it returns, rolled back when it throws.
 *
 * @example
 * immediateTransaction(database, () => database.exec("UPDATE t SET n = n + 1"));
 */
export function immediateTransaction<T>(database: DatabaseSync, action: () => T): T {
  database.exec("BEGIN IMMEDIATE");
  try {
    const result = action();
    database.exec("COMMIT");
    return result;
  } catch (error) {
    database.exec("ROLLBACK");
    throw error;
  }
}
