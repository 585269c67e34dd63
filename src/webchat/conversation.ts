/**
 * One web chat conversation: a geppetto Session whose run context carries the conversation's sink. That sink is
 * the single place a conversation's events are subscribed to: each event is translated into frames, each frame
 * is applied to the timeline (which numbers it) and then broadcast to the conversation's listeners.
 */
import type { Engine } from "../engine/engine.ts";
import { GeppettoError } from "../engine/errors.ts";
import { RunContext, sinkFrom } from "../events/context.ts";
import type { GeppettoEvent, Usage } from "../events/types.ts";
import { EngineBuilder, type InferenceRunner } from "../session/engine-builder.ts";
import { type BusyPolicy, Session, SessionBusyError } from "../session/session.ts";
import type { TurnStore } from "../session/turn-store.ts";
import type { ToolLoopResult } from "../toolloop/loop.ts";
import type { ToolRegistry } from "../tools/registry.ts";
import { WebChatApprovals } from "./approval.ts";
import type { Frame, FrameDraft } from "./frames.ts";
import type { WebChatTimeline } from "./shared-timeline.ts";
import type { TranslationContext, TranslationRegistry } from "./translation.ts";

/** The engine a prompt runs on, with what prices its usage (for the cost shown under an answer). */
export interface WebChatEngine {
  engine: Engine;
  /** The cost in US dollars of a usage; `undefined` when unknown. */
  cost?: (usage: Usage) => number | undefined;
}

/** Receives a conversation's frames, each with its JSON text. */
export type FrameListener = (frame: Frame, json: string) => void;

/** What a conversation is built from (shared by every conversation of a server). */
export interface ConversationDependencies {
  timeline: WebChatTimeline;
  translations: TranslationRegistry;
  /** Where turns are saved (so a conversation continues after a restart); none keeps them in memory only. */
  turnStore?: TurnStore;
  tools?: ToolRegistry;
  busyPolicy: BusyPolicy;
  /** Tool loop iterations per prompt (default 5). */
  maxIterations?: number;
  /** Sees every frame this instance applies (the relay sends them to the other instances). */
  onFrame?: (frame: Frame) => void;
}

/**
 * A live conversation.
 *
 * @example
 * const conversation = await WebConversation.open("c1", dependencies);
 * conversation.listen((_frame, json) => socket.send(json));
 * const { done } = conversation.start("Hello", { engine });
 * await done;
 */
export class WebConversation {
  readonly convId: string;
  readonly #dependencies: ConversationDependencies;
  #session: Session;
  readonly #listeners = new Set<FrameListener>();
  /** The engine of the prompt being run (a prompt may pick a profile). */
  #current: WebChatEngine | undefined;
  /** Calls of `needsApproval` tools waiting for Approve or Deny on the page. */
  readonly #approvals: WebChatApprovals | undefined;
  /** When the conversation was last used (ms since the epoch). */
  lastActive = Date.now();

  private constructor(convId: string, dependencies: ConversationDependencies, history: Session["turns"]) {
    this.convId = convId;
    this.#dependencies = dependencies;
    this.#approvals = dependencies.tools
      ? new WebChatApprovals(dependencies.tools, (draft) => this.#emit(draft))
      : undefined;
    this.#session = this.#newSession(history);
  }

  #newSession(history: Session["turns"]): Session {
    const dependencies = this.#dependencies;
    const conversation = this;
    const runner: InferenceRunner = {
      run(turn, ctx): Promise<ToolLoopResult> {
        const current = conversation.#current;
        if (!current)
          throw new GeppettoError("web chat: no engine for this prompt", {
            code: "internal_error",
            fault: "provider",
          });
        let builder = new EngineBuilder().withBase(current.engine);
        if (dependencies.turnStore) builder = builder.withPersister(dependencies.turnStore);
        if (dependencies.tools) {
          builder = builder
            .withToolRegistry(dependencies.tools)
            .withLoopConfig({ maxIterations: dependencies.maxIterations ?? 5 });
          const stepControl = conversation.#approvals?.stepControl;
          if (stepControl) builder = builder.withStepControl(stepControl);
        }
        return builder.build().run(turn, ctx);
      },
    };
    return new Session({
      id: this.convId,
      runner,
      busyPolicy: dependencies.busyPolicy,
      history: [...history],
      context: RunContext.background().withSinks(sinkFrom((event) => this.#onEvent(event))),
    });
  }

  /**
   * Reloads the history from the turn store (another instance may have answered since); only while no answer
   * runs here.
   */
  async reloadHistory(): Promise<void> {
    if (this.#session.isRunning() || !this.#dependencies.turnStore) return;
    const history = await this.#dependencies.turnStore.loadSession(this.convId);
    if (!this.#session.isRunning()) this.#session = this.#newSession(history);
  }

  /**
   * Opens a conversation known to the timeline, with its saved turns as the history. What a stopped server left
   * streaming (killed mid-answer) is marked cancelled: nothing will end it now.
   */
  static async open(
    convId: string,
    dependencies: ConversationDependencies,
    options: { settleUnfinished?: boolean } = {},
  ): Promise<WebConversation> {
    const history = (await dependencies.turnStore?.loadSession(convId)) ?? [];
    const conversation = new WebConversation(convId, dependencies, history);
    if (options.settleUnfinished === false) return conversation; // an answer runs on another instance
    for (const entity of await dependencies.timeline.unfinished(convId)) {
      conversation.#emit({ type: "entity.settled", id: entity.id, kind: entity.kind, status: "cancelled" });
    }
    return conversation;
  }

  /**
   * Ends what an instance that died mid-answer left streaming: marked cancelled and `interrupted`, with the text
   * that had streamed.
   */
  interrupt(): void {
    for (const entity of this.#dependencies.timeline.streaming(this.convId)) {
      const draft = {
        type: "entity.settled",
        id: entity.id,
        kind: entity.kind,
        status: "cancelled" as const,
      };
      this.#emit({ ...draft, data: { interrupted: true } });
    }
  }

  /** Hands a frame another instance applied to this conversation's listeners. */
  relay(frame: Frame): void {
    if (this.#listeners.size === 0) return;
    const json = JSON.stringify(frame);
    for (const listener of this.#listeners) listener(frame, json);
  }

  /** Receives every frame of this conversation from now on (with its JSON). Returns the unsubscribe function. */
  listen(listener: FrameListener): () => void {
    this.#listeners.add(listener);
    this.lastActive = Date.now();
    return () => {
      this.#listeners.delete(listener);
      this.lastActive = Date.now();
    };
  }

  /** How many listeners (open WebSockets) follow it. */
  get listenerCount(): number {
    return this.#listeners.size;
  }

  /** Whether an answer is being written (or queued). */
  isRunning(): boolean {
    return this.#session.isRunning();
  }

  #emit(draft: FrameDraft): void {
    const frame = this.#dependencies.timeline.apply(this.convId, draft);
    this.#dependencies.onFrame?.(frame);
    if (this.#listeners.size === 0) return;
    const json = JSON.stringify(frame); // once, however many tabs follow
    for (const listener of this.#listeners) listener(frame, json);
  }

  readonly #translationContext: TranslationContext = {
    entity: (id) => this.#dependencies.timeline.entity(this.convId, id),
    cost: (usage) => this.#current?.cost?.(usage),
  };

  #onEvent(event: GeppettoEvent): void {
    const drafts = this.#dependencies.translations.translate(event, this.#translationContext);
    for (let index = 0; index < drafts.length; index++) this.#emit(drafts[index]!);
  }

  /**
   * Adds the prompt and starts the answer; and returns at once (`done` settles when the answer ends). Throws {@link SessionBusyError}
   * when an answer is being written and the busy policy is `reject` (nothing is added then).
   */
  start(prompt: string, engine: WebChatEngine): { turnId: string; done: Promise<void> } {
    this.lastActive = Date.now();
    // Refused before the prompt joins the history (the Session itself would refuse only after).
    if (this.#session.isRunning() && this.#session.busyPolicy === "reject")
      throw new SessionBusyError(this.convId);
    const turn = this.#session.appendNewTurnFromUserPrompt(prompt);
    this.#emit({ type: "user.message", id: `user:${turn.id}`, kind: "user", status: "done", text: prompt });
    this.#current = engine;
    const handle = this.#session.startInference();
    const done = handle.wait().then(
      () => this.#settle(handle.cancelled ? "cancelled" : "done"),
      (error: unknown) => this.#settle("error", error),
    );
    return { turnId: turn.id, done };
  }

  /** Ends every entity still streaming (a tool cut off by Stop, say) with the answer's outcome. */
  #settle(status: "done" | "cancelled" | "error", error?: unknown): void {
    this.lastActive = Date.now();
    for (const entity of this.#dependencies.timeline.streaming(this.convId)) {
      const data =
        status === "error" && error instanceof Error && entity.kind === "assistant"
          ? { error: entity.data.error ?? error.message }
          : undefined;
      this.#emit({
        type: "entity.settled",
        id: entity.id,
        kind: entity.kind,
        status,
        ...(data ? { data } : {}),
      });
    }
  }

  /**
   * Approves or denies a call waiting for approval (see {@link WebChatApprovals}). Returns false when no call with
   * this id waits here.
   */
  approve(callId: string, approved: boolean): boolean {
    this.lastActive = Date.now();
    return this.#approvals?.answer(callId, approved) ?? false;
  }

  /** Cancels the answer being written (its partial text stays, marked cancelled). Returns whether there was one. */
  cancel(): boolean {
    this.lastActive = Date.now();
    return this.#session.cancelActive();
  }
}
