/**
 * What the chat screen needs from a conversation: start an answer to a prompt, cancel it, and see its events.
 * The screen is written against this small interface; `engineSessionBackend` implements it on a Session.
 */
import type { Engine } from "../../engine/engine.ts";
import type { GeppettoEvent } from "../../events/types.ts";
import type { Turn } from "../../turns/types.ts";
import type { Attachments } from "../attachments.ts";

/** One answer being produced. */
export interface ChatRun {
  /** Cancels the answer; the partial answer is kept. Harmless when called twice or after the end. */
  cancel(): void;
  /**
   * Settles when the answer has ended: resolves with the conversation's latest Turn (also when cancelled: its
   * inference result then has finish class `interrupted`); rejects with the error (a GeppettoError carries the
   * partial Turn in `turn`).
   */
  done: Promise<Turn>;
}

/** A conversation the chat screen drives. */
export interface ChatBackend {
  /** The session's id (shown to the user so they can `--session` it later). */
  readonly sessionId: string;
  /** The conversation's turns so far, oldest first (each holds the whole history up to it). */
  turns(): readonly Turn[];
  /**
   * Appends `prompt` (with `attachments`: `chat --attach`, `/attach`) as a user message and starts the answer; its
   * events go to `onEvent` as they happen.
   */
  start(prompt: string, onEvent: (event: GeppettoEvent) => void, attachments?: Attachments): ChatRun;
  /** Starts a new conversation (`/clear`): a new session id, the system prompt kept. Returns the new id. */
  clear?(): string;
  /** The conversation's system prompt, if any (`/system`). */
  systemPrompt?(): string | undefined;
  /** Replaces the system prompt for the next turns; `""` removes it (`/system TEXT`). */
  setSystemPrompt?(text: string): void;
  /** Runs the next turns on `engine`, the conversation continuing (`/model`, `/profile`). */
  setEngine?(engine: Engine, stamp?: (turn: Turn) => Turn): void;
  /** Releases what the backend holds (the store, the engine). */
  close(): Promise<void>;
}
