/**
 * The chat controller: owns the chat state, drives a {@link ChatBackend}, and tells the screen when to redraw.
 *
 * Streaming events are applied to the state as they arrive (cheap: see `view-model.ts`) but subscribers are
 * told at most once per frame (`frameMs`, 33 ms by default: ≤ 30 redraws a second however fast tokens come).
 * Submitting, finishing and notices are shown at once. No React here, so it is tested without a terminal.
 */
import { GeppettoError } from "../../engine/errors.ts";
import type { GeppettoEvent } from "../../events/types.ts";
import { type Attachments, mergeAttachments } from "../attachments.ts";
import type { ChatBackend, ChatRun } from "./backend.ts";
import type { EngineSwitch } from "./engine-switch.ts";
import { runSlashCommand } from "./slash-commands.ts";
import { type ChatAction, type ChatState, chatReducer, initialChatState } from "./view-model.ts";

/** Controller options. */
export interface ChatControllerOptions {
  /** Minimum time between two redraws caused by streamed events (default 33 ms). */
  frameMs?: number;
  /** Lines shown first, above the conversation so far. */
  notices?: readonly string[];
  /** The screen's width (default 80): a streamed line wider than it moves to the scrollback row by row. */
  columns?: number;
  /** Writes raw bytes to the terminal (/copy); none: there is no terminal, and /copy says it cannot copy. */
  writeTerminal?: (bytes: string) => void;
  /** Where /save resolves relative paths (default: the process's folder). */
  cwd?: string;
  /** Switches the model or profile (/model, /profile). */
  engines?: EngineSwitch;
  /** Files sent with the first prompt (`chat --attach`). */
  attachments?: Attachments;
  /** Called with every streamed event as it arrives (the piped chat prints them). */
  onEvent?: (event: GeppettoEvent) => void;
  /** Called with every notice as it is shown (the piped chat prints them on stderr). */
  onNotice?: (text: string, tone: "info" | "error") => void;
}

/**
 * Holds the chat's state and the running answer.
 *
 * @example
 * const controller = new ChatController(backend);
 * controller.subscribe(() => redraw(controller.getState()));
 * await controller.submit("Hello");
 */
export class ChatController {
  readonly #backend: ChatBackend;
  readonly #frameMs: number;
  #state: ChatState;
  #run: ChatRun | undefined;
  readonly #listeners = new Set<() => void>();
  #frameTimer: NodeJS.Timeout | undefined;
  #lastNotify = 0;
  #approval: ((allowed: boolean) => void) | undefined;
  readonly #options: ChatControllerOptions;
  /** Sent with the next prompt (`--attach`, `/attach`), then cleared. */
  #pending: Attachments | undefined;
  /** Sent with the last prompt (/retry sends them again). */
  #lastAttachments: Attachments | undefined;
  /** Called by /exit with the exit code (the screen sets it). */
  onExit: (code: number) => void = () => {};

  constructor(backend: ChatBackend, options: ChatControllerOptions = {}) {
    this.#backend = backend;
    this.#frameMs = options.frameMs ?? 33;
    this.#options = options;
    this.#pending = options.attachments;
    this.#state = initialChatState(
      backend.turns(),
      options.notices,
      options.columns === undefined ? {} : { columns: options.columns },
    );
  }

  /** The current state (a new object after every change; stable otherwise). */
  getState = (): ChatState => this.#state;

  /** Calls `listener` after changes; returns the unsubscribe function. */
  subscribe = (listener: () => void): (() => void) => {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  };

  /** The session's id. */
  get sessionId(): string {
    return this.#backend.sessionId;
  }

  /** True while an answer is being produced. */
  get busy(): boolean {
    return this.#state.busy;
  }

  #notifyNow(): void {
    if (this.#frameTimer) clearTimeout(this.#frameTimer);
    this.#frameTimer = undefined;
    this.#lastNotify = performance.now();
    for (const listener of this.#listeners) listener();
  }

  #notifySoon(): void {
    if (this.#frameTimer) return;
    const wait = this.#frameMs - (performance.now() - this.#lastNotify);
    if (wait <= 0) this.#notifyNow();
    else this.#frameTimer = setTimeout(() => this.#notifyNow(), wait);
  }

  #dispatch(action: ChatAction, urgent: boolean): void {
    const next = chatReducer(this.#state, action);
    if (next === this.#state) return;
    this.#state = next;
    if (urgent) this.#notifyNow();
    else this.#notifySoon();
  }

  /** The screen is now `columns` wide (a terminal resize): the rows still to come are broken at that width. */
  resize(columns: number): void {
    this.#dispatch({ type: "resized", columns }, true);
  }

  /** Shows a line in the transcript (not sent to the model). */
  notice(text: string, tone: "info" | "error" = "info"): void {
    this.#options.onNotice?.(text, tone);
    this.#dispatch({ type: "notice", text, tone }, true);
  }

  /** Sends `attachments` with the next prompt (added to any not sent yet). */
  attach(attachments: Attachments): void {
    this.#pending = this.#pending ? mergeAttachments(this.#pending, attachments) : attachments;
  }

  /**
   * Sends a prompt and resolves once the answer has ended (completed, cancelled or failed: failures are shown
   * in the transcript, never thrown). Ignored while an answer is running or when the prompt is blank. A prompt
   * starting with `/` is a slash command (`slash-commands.ts`), never sent to the model.
   */
  async submit(prompt: string): Promise<void> {
    let text = prompt.trim();
    if (this.#state.busy || text === "") return;
    // A line starting with / is a command, answered here; `//` sends a prompt that starts with /.
    if (text.startsWith("//")) text = text.slice(1);
    else if (text.startsWith("/")) {
      await runSlashCommand(text, {
        notice: (line, tone) => this.notice(line, tone),
        messages: () => this.#state.messages,
        submit: (again) => this.#send(again, this.#lastAttachments),
        attach: (attachments) => this.attach(attachments),
        exit: (code) => this.onExit(code),
        ...(this.#options.writeTerminal ? { writeTerminal: this.#options.writeTerminal } : {}),
        cwd: this.#options.cwd ?? process.cwd(),
        clear: () => this.#clear(),
        ...this.#systemPrompt(),
        ...(this.#options.engines ? { engines: this.#options.engines } : {}),
      });
      return;
    }
    const attachments = this.#pending;
    this.#pending = undefined;
    await this.#send(text, attachments);
  }

  async #send(text: string, attachments: Attachments | undefined): Promise<void> {
    if (this.#state.busy) return;
    this.#lastAttachments = attachments;
    this.#dispatch({ type: "submitted", text }, true);
    const onEvent = this.#options.onEvent;
    let run: ChatRun;
    try {
      run = this.#backend.start(
        text,
        (event) => {
          onEvent?.(event);
          this.#dispatch({ type: "event", event }, false);
        },
        attachments,
      );
    } catch (error) {
      this.#dispatch({ type: "failed", message: messageOf(error) }, true);
      return;
    }
    this.#run = run;
    try {
      const turn = await run.done;
      this.#dispatch({ type: "finished", turn }, true);
    } catch (error) {
      const failed: ChatAction = { type: "failed", message: messageOf(error) };
      if (GeppettoError.is(error) && error.turn) failed.turn = error.turn;
      this.#dispatch(failed, true);
    } finally {
      this.#run = undefined;
    }
  }

  /** /clear: a new session in the backend, and the transcript, cost and context gauge start again. */
  #clear(): string | undefined {
    const id = this.#backend.clear?.();
    if (id !== undefined) this.#dispatch({ type: "cleared" }, true);
    return id;
  }

  #systemPrompt(): { system?: { get(): string | undefined; set(text: string): void } } {
    const backend = this.#backend;
    if (!backend.systemPrompt || !backend.setSystemPrompt) return {};
    return {
      system: { get: () => backend.systemPrompt?.(), set: (text) => backend.setSystemPrompt?.(text) },
    };
  }

  /** True while a question of {@link askApproval} waits for the user. */
  get awaitingApproval(): boolean {
    return this.#approval !== undefined;
  }

  /**
   * Shows `question` and resolves with the user's answer ({@link answerApproval}); cancelling the answer says no.
   *
   * @example
   * if (await controller.askApproval("Run read_file on MCP server files?")) run();
   */
  askApproval(question: string): Promise<boolean> {
    this.#approval?.(false);
    this.notice(`${question} Press y to allow, any other key to deny.`);
    return new Promise((resolve) => {
      this.#approval = resolve;
    });
  }

  /** Answers the waiting question (no-op when none is waiting). */
  answerApproval(allowed: boolean): void {
    const resolve = this.#approval;
    if (!resolve) return;
    this.#approval = undefined;
    this.notice(allowed ? "allowed" : "denied");
    resolve(allowed);
  }

  /** Cancels the running answer (the partial answer is kept). Returns false when nothing was running. */
  cancel(): boolean {
    if (this.#approval) this.answerApproval(false);
    if (!this.#run) return false;
    this.#dispatch({ type: "cancel-requested" }, true);
    this.#run.cancel();
    return true;
  }

  /** Stops pending redraws and cancels any running answer. */
  dispose(): void {
    this.#run?.cancel();
    if (this.#frameTimer) clearTimeout(this.#frameTimer);
    this.#frameTimer = undefined;
    this.#listeners.clear();
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
