/**
 * `geppetto run --session ID`: continue a conversation stored by `geppetto chat` (the CLI session store), and
 * save the answer back to it.
 */
import { CorruptTurnError } from "../session/turn-store.ts";
import { appendBlock, cloneTurn, newId } from "../turns/builders.ts";
import type { Block, Turn } from "../turns/types.ts";
import type { CliIO } from "./main.ts";
import { sessionDbPath } from "./session-db.ts";
import { UsageError } from "./usage.ts";

/** A stored conversation `run` continues. */
export interface RunSession {
  sessionId: string;
  /** The next input: the stored history with `blocks` appended (a new Turn with a new id). */
  continueWith(blocks: Block[]): Turn;
  /** Saves the answer (final, partial or failed) as the session's latest turn. */
  save(turn: Turn): Promise<void>;
  close(): Promise<void>;
}

/**
 * Opens the stored session `sessionId` (an unknown one is a UsageError naming the store).
 *
 * @example
 * const session = await openRunSession("3f2c…", undefined, io);
 * const input = session.continueWith([newUserTextBlock("And then?")]);
 */
export async function openRunSession(
  sessionId: string,
  dbFlag: string | undefined,
  io: CliIO,
): Promise<RunSession> {
  const { openChatConversation } = await import("./chat/session-backend.ts");
  const dbPath = sessionDbPath(dbFlag, io.env);
  let conversation: Awaited<ReturnType<typeof openChatConversation>>;
  try {
    conversation = await openChatConversation({ dbPath, resume: false, sessionId });
  } catch (error) {
    // A session that exists but does not load (a corrupt row) is a failure (exit 1), not bad usage (exit 2).
    if (error instanceof CorruptTurnError) throw error;
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
  const { store } = conversation;
  return {
    sessionId,
    continueWith(blocks) {
      let turn = cloneTurn(conversation.history!, { id: newId() });
      for (const block of blocks) turn = appendBlock(turn, block);
      return turn;
    },
    save: (turn) => store.saveTurn(sessionId, turn),
    close: () => store.close(),
  };
}
