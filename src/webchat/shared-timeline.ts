/**
 * What the web chat server needs of a timeline, so that it runs on the SQLite {@link TimelineStore} (one
 * instance) or on a database several instances share (`PostgresTimelineStore` in `geppetto/stores/postgres`).
 *
 * The write side is synchronous and in memory (a frame is applied at once and written shortly after); reads that
 * may go to the database return promises. A shared timeline also holds the run leases that let one instance run a
 * conversation's answer at a time, and that tell the others when an instance died mid-answer.
 */
import type { ConversationSummary, Entity, Frame, FrameDraft, TimelineSnapshot } from "./frames.ts";

/**
 * A conversation store the web chat server can use.
 *
 * @example
 * const timeline: WebChatTimeline = await TimelineStore.open("./webchat.db");
 */
export interface WebChatTimeline {
  createConversation(convId: string, title: string): ConversationSummary | Promise<ConversationSummary>;
  conversation(convId: string): ConversationSummary | undefined | Promise<ConversationSummary | undefined>;
  listConversations(): ConversationSummary[] | Promise<ConversationSummary[]>;
  /**
   * Loads what `apply`, `entity` and `streaming` need of a conversation into memory; `refresh` reloads it from the
   * database (another instance may have written it since). Absent when nothing needs loading.
   */
  prepare?(convId: string, options?: { refresh?: boolean }): Promise<void>;
  /** The current state of one entity (in memory). */
  entity(convId: string, entityId: string): Entity | undefined;
  /** Entities stored as streaming: when no answer runs, cut off by a server that stopped without ending them. */
  unfinished(convId: string): Entity[] | Promise<Entity[]>;
  /** Entities of a conversation that are streaming now. */
  streaming(convId: string): Entity[];
  /** Numbers a frame (the conversation's next seq), folds it into its entity and queues the write. */
  apply(convId: string, draft: FrameDraft): Frame;
  /** Folds a frame another instance applied (and writes) into this instance's memory, without writing it. */
  observe?(frame: Frame): void;
  /** Every entity changed after `sinceVersion`, in display order, with the version. */
  snapshot(convId: string, sinceVersion?: number): TimelineSnapshot | Promise<TimelineSnapshot>;
  flush(): void | Promise<void>;
  release(convId: string): void | Promise<void>;
  close(): void | Promise<void>;
  /** Run leases, for a timeline several instances share. */
  readonly runs?: RunLeases;
}

/**
 * Which instance runs a conversation's answer. A lease lasts `ttlMs` unless renewed; a lease that ran out belongs
 * to an instance that died mid-answer.
 *
 * @example
 * if (!(await runs.claim("c1", instanceId, 10_000))) throw new Error("busy on another instance");
 */
export interface RunLeases {
  /** Takes the conversation's lease unless another instance holds one that has not run out. */
  claim(convId: string, instanceId: string, ttlMs: number): Promise<boolean>;
  /** Extends the leases this instance holds. */
  renew(instanceId: string, ttlMs: number): Promise<void>;
  /** Gives a lease back. */
  end(convId: string, instanceId: string): Promise<void>;
  /** Whether another instance holds a live lease on the conversation. */
  heldElsewhere(convId: string, instanceId: string): Promise<boolean>;
  /** Removes the leases that ran out and returns their conversations (each returned to one caller only). */
  takeExpired(): Promise<string[]>;
}
