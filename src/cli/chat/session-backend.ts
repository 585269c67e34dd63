/**
 * The chat's conversation: a geppetto {@link Session} whose turns are saved in the session store, opened as a
 * new session, the most recent one (`--resume`) or a given one (`--session`), and adapted to {@link ChatBackend}.
 */
import type { Engine } from "../../engine/engine.ts";
import { CallerError } from "../../engine/errors.ts";
import { sinkFrom } from "../../events/context.ts";
import type { GeppettoEvent } from "../../events/types.ts";
import { EngineBuilder } from "../../session/engine-builder.ts";
import { Session } from "../../session/session.ts";
import type { TurnStore } from "../../session/turn-store.ts";
import type { StepController } from "../../toolloop/step-control.ts";
import type { ToolRegistry } from "../../tools/registry.ts";
import { newId, newSystemTextBlock, newTurn } from "../../turns/builders.ts";
import type { Turn } from "../../turns/types.ts";
import {
  type CliSessionStore,
  expandSessionId,
  openSessionDb,
  type SessionStoreLocation,
} from "../session-db.ts";
import type { ChatBackend } from "./backend.ts";

/** Which conversation to open. */
export interface ChatSessionChoice {
  /** The store as messages name it (a path, or a URL without its credentials). */
  dbPath: string;
  /** Where to open it (default: the SQLite file `dbPath`). */
  location?: SessionStoreLocation;
  /** Continue the most recently updated session. */
  resume: boolean;
  /** Continue this session. */
  sessionId?: string;
  /** The system prompt of a new session. */
  system?: string;
}

/** An opened conversation, before an engine is attached. */
export interface ChatConversation {
  store: CliSessionStore;
  sessionId: string;
  /** The stored turns (oldest first), or the system-prompt turn of a new session. */
  turns: Turn[];
  /** The latest of `turns` (the whole conversation so far), if any. */
  history?: Turn;
  resumed: boolean;
  dbPath: string;
}

/**
 * Opens the store and finds the conversation. Unknown sessions are errors naming the store.
 *
 * @example
 * const conversation = await openChatConversation({ dbPath, resume: true });
 */
export async function openChatConversation(choice: ChatSessionChoice): Promise<ChatConversation> {
  const store = await openSessionDb(choice.location ?? choice.dbPath);
  try {
    let sessionId = choice.sessionId;
    if (choice.resume) {
      const [last] = await store.listSessions();
      if (!last) throw new CallerError(`no session to resume in ${choice.dbPath}`, { code: "no_session" });
      sessionId = last.sessionId;
    }
    if (sessionId !== undefined && !choice.resume)
      sessionId = await expandSessionId(store, sessionId, choice.dbPath);
    if (sessionId !== undefined) {
      const turns = await store.listTurns(sessionId);
      const history = turns.at(-1);
      if (!history) {
        throw new CallerError(
          `no session "${sessionId}" in ${choice.dbPath} (see \`geppetto sessions list\`)`,
          {
            code: "no_session",
          },
        );
      }
      return { store, sessionId, turns, history, resumed: true, dbPath: choice.dbPath };
    }
    const conversation: ChatConversation = {
      store,
      sessionId: newId(),
      turns: [],
      resumed: false,
      dbPath: choice.dbPath,
    };
    if (choice.system) {
      conversation.history = newTurn([newSystemTextBlock(choice.system)]);
      conversation.turns = [conversation.history];
    }
    return conversation;
  } catch (error) {
    await store.close();
    throw error;
  }
}

/**
 * A chat backend on a Session: each prompt is `appendNewTurnFromUserPrompt` + `startInference`; cancelling
 * cancels the ExecutionHandle (its `wait()` resolves with the partial Turn). Events reach the caller through
 * a sink on the builder.
 *
 * @example
 * const backend = sessionChatBackend(new Session({ runner: new EngineBuilder().withBase(engine) }), builderSink);
 */
export function sessionChatBackend(
  session: Session,
  events: { listener: ((event: GeppettoEvent) => void) | undefined },
  onClose: () => Promise<void> = async () => {},
  stamp?: (turn: Turn) => Turn,
): ChatBackend {
  let last: Promise<unknown> = Promise.resolve();
  return {
    sessionId: session.id,
    turns: () => session.turns,
    start(prompt, onEvent) {
      const turn = session.appendNewTurnFromUserPrompt(prompt);
      if (stamp) session.append(stamp(turn));
      events.listener = onEvent;
      const handle = session.startInference();
      const done = handle.wait();
      last = done.catch(() => {});
      return { cancel: () => handle.cancel("cancelled by the user"), done };
    },
    async close() {
      // Let a cancelled answer save its partial turn before the store closes (but never hang on exit).
      session.cancelActive();
      let timer: NodeJS.Timeout | undefined;
      const giveUp = new Promise<void>((settle) => {
        timer = setTimeout(settle, 2_000);
      });
      await Promise.race([last, giveUp]);
      clearTimeout(timer);
      await onClose();
    },
  };
}

/** Options of {@link engineSessionBackend}. */
export interface EngineSessionBackendOptions {
  /** The session id (default: a new one). */
  sessionId?: string;
  /** The conversation so far, oldest turn first. */
  history?: Turn[];
  /** Where every snapshot of every turn is saved. */
  persister?: TurnStore;
  /** Tools the model may call (the Session then runs the tool loop, at most 5 inferences per prompt). */
  registry?: ToolRegistry;
  /** Approval of tool calls (the chat asks before an untrusted MCP server's tool runs). */
  stepControl?: StepController;
  /** Called by `close()`. */
  onClose?: () => Promise<void>;
  /** Edits each new turn before it runs (the chat stores its provider and model on it). */
  stamp?: (turn: Turn) => Turn;
}

/**
 * A chat backend on a new Session running `engine` (through an EngineBuilder: sinks, persister, tools).
 *
 * @example
 * const backend = engineSessionBackend(new ScriptedEngine(script.text("Hi")), { persister: new MemoryTurnStore() });
 */
export function engineSessionBackend(engine: Engine, options: EngineSessionBackendOptions = {}): ChatBackend {
  const events: { listener: ((event: GeppettoEvent) => void) | undefined } = { listener: undefined };
  let builder = new EngineBuilder().withBase(engine).withSinks(sinkFrom((event) => events.listener?.(event)));
  if (options.persister) builder = builder.withPersister(options.persister);
  if (options.registry)
    builder = builder.withToolRegistry(options.registry).withLoopConfig({ maxIterations: 5 });
  if (options.stepControl) builder = builder.withStepControl(options.stepControl);
  const session = new Session({
    runner: builder,
    ...(options.sessionId === undefined ? {} : { id: options.sessionId }),
    ...(options.history === undefined ? {} : { history: options.history }),
  });
  return sessionChatBackend(session, events, options.onClose, options.stamp);
}

/**
 * The chat backend on an opened conversation: a Session running `engine`, saving every snapshot of every turn
 * in the store (so even a cancelled or failed answer is kept). Closing it closes the store.
 *
 * @example
 * const backend = conversationBackend(conversation, engine);
 */
export function conversationBackend(
  conversation: ChatConversation,
  engine: Engine,
  options: { registry?: ToolRegistry; stepControl?: StepController; stamp?: (turn: Turn) => Turn } = {},
): ChatBackend {
  return engineSessionBackend(engine, {
    ...options,
    sessionId: conversation.sessionId,
    history: conversation.turns,
    persister: conversation.store.turns,
    onClose: () => conversation.store.close(),
  });
}
