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
import { promptWithAttachments } from "../attachments.ts";
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

/** The system prompt of a conversation (its system blocks' text), if any. */
function systemOf(turn: Turn | undefined): string | undefined {
  const texts = (turn?.blocks ?? []).flatMap((block) =>
    block.kind === "system" ? [block.payload.text] : [],
  );
  return texts.length > 0 ? texts.join("\n\n") : undefined;
}

/**
 * A chat backend on a Session running `engine` (through an EngineBuilder: sinks, persister, tools): each prompt is
 * `appendNewTurnFromUserPrompt` + `startInference`; cancelling cancels the ExecutionHandle (its `wait()` resolves
 * with the partial Turn). `/model` and `/profile` continue the conversation on another engine (a new Session with
 * the same id and history), `/clear` starts a new session, `/system` replaces the system prompt.
 *
 * @example
 * const backend = engineSessionBackend(new ScriptedEngine(script.text("Hi")), { persister: new MemoryTurnStore() });
 */
export function engineSessionBackend(engine: Engine, options: EngineSessionBackendOptions = {}): ChatBackend {
  const events: { listener: ((event: GeppettoEvent) => void) | undefined } = { listener: undefined };
  let base = engine;
  let stamp = options.stamp;
  const build = (id: string, history: Turn[]) => {
    let builder = new EngineBuilder().withBase(base).withSinks(sinkFrom((event) => events.listener?.(event)));
    if (options.persister) builder = builder.withPersister(options.persister);
    if (options.registry)
      builder = builder.withToolRegistry(options.registry).withLoopConfig({ maxIterations: 5 });
    if (options.stepControl) builder = builder.withStepControl(options.stepControl);
    return new Session({ runner: builder, id, history });
  };
  let session = build(options.sessionId ?? newId(), options.history ?? []);
  let last: Promise<unknown> = Promise.resolve();
  return {
    get sessionId() {
      return session.id;
    },
    turns: () => session.turns,
    start(prompt, onEvent, attachments) {
      const turn = session.appendNewTurnFromUserPrompt(
        attachments ? promptWithAttachments(prompt, attachments) : prompt,
      );
      if (stamp) session.append(stamp(turn));
      events.listener = onEvent;
      const handle = session.startInference();
      const done = handle.wait();
      last = done.catch(() => {});
      return { cancel: () => handle.cancel("cancelled by the user"), done };
    },
    clear() {
      const system = systemOf(session.latest());
      session = build(newId(), system === undefined ? [] : [newTurn([newSystemTextBlock(system)])]);
      return session.id;
    },
    systemPrompt: () => systemOf(session.latest()),
    setSystemPrompt(text) {
      const latest = session.latest();
      const rest = (latest?.blocks ?? []).filter((block) => block.kind !== "system");
      session.append({
        id: newId(),
        blocks: text === "" ? rest : [newSystemTextBlock(text), ...rest],
        metadata: latest?.metadata ?? {},
        data: latest?.data ?? {},
      });
    },
    setEngine(next, nextStamp) {
      base = next;
      stamp = nextStamp;
      session = build(session.id, [...session.turns]);
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
      await options.onClose?.();
    },
  };
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
