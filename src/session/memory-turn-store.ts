/**
 * The TurnStore in memory: each block kept once (a {@link TurnHistory} per session), a save storing what the turn
 * added or changed, and search through trigram postings (memory-search-index.ts).
 */

import type { StreamProgress } from "../engine/checkpoint.ts";
import { CallerError } from "../engine/errors.ts";
import type { SnapshotPhase } from "../toolloop/snapshot.ts";
import { TurnHistory } from "../turns/history.ts";
import { KeyTurnMetaSessionId } from "../turns/keys.ts";
import type { Block, Turn } from "../turns/types.ts";
import { SessionSearchIndex } from "./memory-search-index.ts";
import { searchableText, searchExcerpt, searchNeedle } from "./search-text.ts";
import {
  decodeStoredTurn,
  type SavedTurnInfo,
  type SessionSearchHit,
  type SessionSearchOptions,
  type SessionSummary,
  type StoreStats,
  sessionTitle,
  type TurnStore,
} from "./turn-store.ts";

interface MemorySession {
  history: TurnHistory;
  /** Per turn (by position): the phase and time (ms) of its latest save. */
  phases: SnapshotPhase[];
  savedAt: number[];
  /** The latest save (ms), and the order the session was created in (ties list the newer first). */
  updatedAt: number;
  order: number;
  createdAt: string;
  title: string;
  /** Turns replaced by a raw document (corruptForTesting), by id. */
  raw: Map<string, string>;
}

/**
 * A store in memory (tests, short-lived tools). Saved turns share their blocks with the caller (frozen in place
 * on save, so a later edit throws instead of changing the store), each block is kept once, and a save stores
 * what the turn added or changed.
 *
 * @example
 * const session = new Session({ runner: new EngineBuilder({ base: engine, persister: new MemoryTurnStore() }).build() });
 */
export class MemoryTurnStore implements TurnStore {
  readonly #sessions = new Map<string, MemorySession>();
  readonly #index = new SessionSearchIndex();
  #created = 0;
  readonly #stats: StoreStats = { saves: 0, rowsWritten: 0, bytesWritten: 0 };

  #session(sessionId: string): MemorySession {
    let session = this.#sessions.get(sessionId);
    if (!session) {
      session = {
        history: new TurnHistory(),
        phases: [],
        savedAt: [],
        updatedAt: 0,
        order: this.#created++,
        createdAt: new Date().toISOString(),
        title: "",
        raw: new Map(),
      };
      this.#sessions.set(sessionId, session);
    }
    return session;
  }

  async save(sessionId: string, turn: Turn, phase: SnapshotPhase): Promise<void> {
    const session = this.#session(sessionId);
    const stamped =
      KeyTurnMetaSessionId.get(turn) === sessionId ? turn : KeyTurnMetaSessionId.set(turn, sessionId);
    session.history.record(stamped, (block) => {
      this.#index.add(sessionId, searchableText(block));
      this.#stats.rowsWritten++;
      this.#stats.bytesWritten += JSON.stringify(block).length;
    });
    this.#stats.saves++;
    this.#stats.rowsWritten++;
    this.#stats.bytesWritten += JSON.stringify(stamped.metadata).length + JSON.stringify(stamped.data).length;
    session.raw.delete(turn.id);
    const index = session.history.indexOf(turn.id);
    session.phases[index] = phase;
    session.savedAt[index] = Date.now();
    session.updatedAt = Math.max(session.updatedAt, session.savedAt[index]!);
    if (session.title === "") session.title = sessionTitle(turn);
  }

  /**
   * Saves a checkpoint of an answer being streamed. After the inference's first checkpoint (a whole save), the
   * blocks it changed are stored as they are and each block text was appended to becomes a new block whose text
   * is the old one joined with the new (a rope): nothing the answer streamed before is copied or serialized.
   */
  async checkpoint(sessionId: string, progress: StreamProgress): Promise<void> {
    const session = this.#sessions.get(sessionId);
    const index = session?.history.indexOf(progress.turnId) ?? -1;
    if (
      progress.full ||
      session === undefined ||
      index !== session.history.length - 1 ||
      session.phases[index] !== "streaming"
    ) {
      await this.save(sessionId, progress.turn, "streaming");
      return;
    }
    const blocks = session.history.at(index).blocks.slice(0, progress.blockCount);
    const changed = new Set<number>();
    for (const { index: position, block } of progress.changed) {
      blocks[position] = block;
      this.#index.add(sessionId, searchableText(block));
      changed.add(position);
      this.#stats.bytesWritten += JSON.stringify(block).length;
    }
    for (const { index: position, text } of progress.appended) {
      const block = blocks[position]!;
      const before = (block.payload as { text?: string }).text ?? "";
      blocks[position] = { ...block, payload: { ...block.payload, text: before + text } } as Block;
      this.#index.add(sessionId, text, before);
      changed.add(position);
      this.#stats.bytesWritten += text.length;
    }
    const metadata =
      progress.metadata[KeyTurnMetaSessionId.id] === sessionId
        ? progress.metadata
        : { ...progress.metadata, [KeyTurnMetaSessionId.id]: sessionId };
    session.history.record(
      { id: progress.turnId, blocks, metadata, data: progress.data },
      undefined,
      changed,
    );
    this.#stats.saves++;
    this.#stats.rowsWritten += changed.size + 1;
    session.savedAt[index] = Date.now();
    session.updatedAt = Math.max(session.updatedAt, session.savedAt[index]!);
  }

  #info(sessionId: string, session: MemorySession, index: number): SavedTurnInfo {
    return {
      sessionId,
      turnId: session.history.idAt(index),
      position: index + 1,
      phase: session.phases[index]!,
      savedAt: new Date(session.savedAt[index]!).toISOString(),
    };
  }

  #turn(sessionId: string, session: MemorySession, index: number): Turn {
    const info = this.#info(sessionId, session, index);
    const raw = session.raw.get(info.turnId);
    if (raw !== undefined) return decodeStoredTurn(raw, info);
    return session.history.at(index);
  }

  async load(sessionId: string, turnId: string): Promise<Turn | undefined> {
    const session = this.#sessions.get(sessionId);
    const index = session?.history.indexOf(turnId) ?? -1;
    return session && index >= 0 ? this.#turn(sessionId, session, index) : undefined;
  }

  async loadLatest(sessionId: string): Promise<Turn | undefined> {
    const session = this.#sessions.get(sessionId);
    return session && session.history.length > 0
      ? this.#turn(sessionId, session, session.history.length - 1)
      : undefined;
  }

  async loadSession(sessionId: string): Promise<Turn[]> {
    const session = this.#sessions.get(sessionId);
    if (!session) return [];
    return session.phases.map((_phase, index) => this.#turn(sessionId, session, index));
  }

  async listSessions(): Promise<string[]> {
    return [...this.#sessions.keys()];
  }

  #summary(sessionId: string, session: MemorySession): SessionSummary {
    return {
      sessionId,
      turnCount: session.history.length,
      createdAt: session.createdAt,
      updatedAt: new Date(session.updatedAt).toISOString(),
      title: session.title,
    };
  }

  /** Most recently updated first; sessions saved in the same millisecond, the newer first. */
  #newestFirst(sessionIds: Iterable<string>): [string, MemorySession][] {
    const sessions: [string, MemorySession][] = [];
    for (const sessionId of sessionIds) {
      const session = this.#sessions.get(sessionId);
      if (session) sessions.push([sessionId, session]);
    }
    return sessions.sort(
      ([, left], [, right]) => right.updatedAt - left.updatedAt || right.order - left.order,
    );
  }

  async listSessionSummaries(): Promise<SessionSummary[]> {
    return this.#newestFirst(this.#sessions.keys()).map(([sessionId, session]) =>
      this.#summary(sessionId, session),
    );
  }

  async listTurns(sessionId: string): Promise<SavedTurnInfo[]> {
    const session = this.#sessions.get(sessionId);
    return session ? session.phases.map((_phase, index) => this.#info(sessionId, session, index)) : [];
  }

  /**
   * Checks the sessions the trigram index names (every session for a text of one or two characters), newest
   * first, against their saved block versions.
   */
  async searchSessions(text: string, options: SessionSearchOptions = {}): Promise<SessionSearchHit[]> {
    const needle = searchNeedle(text);
    const hits: SessionSearchHit[] = [];
    for (const [sessionId, session] of this.#newestFirst(
      this.#index.candidates(needle) ?? this.#sessions.keys(),
    )) {
      const excerpt = this.#excerpt(session, needle);
      if (excerpt === undefined) continue;
      hits.push({ ...this.#summary(sessionId, session), excerpt });
      if (hits.length >= (options.limit ?? 50)) break;
    }
    return hits;
  }

  #excerpt(session: MemorySession, needle: string): string | undefined {
    for (const block of session.history.storedBlocks()) {
      const excerpt = searchExcerpt(searchableText(block), needle);
      if (excerpt !== undefined) return excerpt;
    }
    return undefined;
  }

  async fork(sessionId: string, newSessionId: string = crypto.randomUUID()): Promise<string> {
    if (this.#sessions.has(newSessionId))
      throw new CallerError(`session ${newSessionId} already exists`, { code: "session_exists" });
    const source = this.#sessions.get(sessionId);
    const copy = this.#session(newSessionId);
    for (let index = 0; index < (source?.history.length ?? 0); index++) {
      const turn = this.#turn(sessionId, source!, index);
      copy.history.record(KeyTurnMetaSessionId.set(turn, newSessionId), (block) =>
        this.#index.add(newSessionId, searchableText(block)),
      );
      copy.phases.push(source!.phases[index]!);
      copy.savedAt.push(source!.savedAt[index]!);
    }
    copy.title = source?.title ?? "";
    copy.updatedAt = source?.updatedAt ?? 0;
    return newSessionId;
  }

  async delete(sessionId: string): Promise<boolean> {
    const session = this.#sessions.get(sessionId);
    if (!session) return false;
    for (const block of session.history.storedBlocks()) this.#index.remove(sessionId, searchableText(block));
    return this.#sessions.delete(sessionId);
  }

  stats(): StoreStats {
    return { ...this.#stats };
  }

  /** Test helper: replaces a turn's stored state with a raw document (to simulate corruption). */
  corruptForTesting(sessionId: string, turnId: string, json: string): void {
    this.#sessions.get(sessionId)?.raw.set(turnId, json);
  }
}
