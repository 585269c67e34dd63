/**
 * The chat's view model: what the terminal shows, computed from events without a terminal.
 *
 * `chatReducer(state, action)` is pure. What is printed for good goes to `scroll` (written once, above
 * everything: see `print.ts`) and finished messages to `messages` (the transcript); the unfinished row of the
 * answer being streamed lives in `current` and is the only part redrawn per frame.
 * Each action costs O(1) in the length of the conversation: a delta appends to the last part of the current
 * answer and copies only that answer's part list.
 */
import type { InferenceCost, InferenceResult } from "../../engine/engine.ts";
import { KeyInferenceResult } from "../../engine/engine.ts";
import type { GeppettoEvent, Usage } from "../../events/types.ts";
import type { JsonValue } from "../../turns/json.ts";
import type { Turn } from "../../turns/types.ts";
import { formatStatus } from "./format.ts";
import {
  AppendOnlyList,
  DEFAULT_COLUMNS,
  flushParts,
  joinParts,
  overflowsRow,
  type ScrollItem,
} from "./scrollback.ts";
import { messagesFromTurn, outcomeOf, withResult } from "./transcript.ts";

/** One piece of an answer, in the order it streamed. */
export type AnswerPart =
  | { kind: "text"; text: string }
  | { kind: "thinking"; text: string }
  | { kind: "tool-call"; id: string; name: string; input: JsonValue }
  | { kind: "tool-result"; id: string; name?: string; result: JsonValue; error?: string };

/** How an answer ended. */
export type AnswerOutcome = "streaming" | "completed" | "interrupted" | "error";

/** An assistant answer: its parts, and once done its outcome, usage and cost. */
export interface AnswerMessage {
  kind: "answer";
  id: string;
  parts: AnswerPart[];
  outcome: AnswerOutcome;
  usage?: Usage;
  cost?: InferenceCost;
  model?: string;
  error?: string;
}

/** Something shown in the transcript. */
export type ChatMessage =
  | { kind: "user"; id: string; text: string }
  | AnswerMessage
  | { kind: "notice"; id: string; text: string; tone: "info" | "error" };

/** Everything the chat screen shows. */
export interface ChatState {
  /** Finished messages, oldest first. Only ever appended to. */
  messages: ChatMessage[];
  /** The live part of the answer being streamed (what is not yet in `scroll`), if an answer runs. */
  current?: AnswerMessage;
  /** True from submit until the answer has finished (the input is hidden meanwhile). */
  busy: boolean;
  /** True while waiting for the first token of the current answer (the spinner shows). */
  waiting: boolean;
  /** True once Ctrl-C was pressed during the current answer. */
  cancelling: boolean;
  /** Counter for message ids. */
  nextId: number;
  /** What is printed for good, above the live frame: messages, and the current answer's finished rows. */
  scroll: AppendOnlyList<ScrollItem>;
  /** The pieces of the current answer already moved to `scroll`, in order (see {@link answerSoFar}). */
  printed: AppendOnlyList<AnswerPart>;
  /** The screen's width: a streamed line moves to `scroll` row by row once wider (see `scrollback.ts`). */
  columns: number;
  /** What the session's answers cost so far (US dollars; answers without prices count 0). */
  sessionCost: number;
  /** The tokens of the conversation as the model last saw it (input + output of the last answer with usage). */
  contextTokens?: number;
}

/** The session's running cost and context size, updated with a finished answer. */
function withTotals<S extends ChatState>(state: S, answer: AnswerMessage): S {
  const next = { ...state, sessionCost: state.sessionCost + (answer.cost?.total ?? 0) };
  const usage = answer.usage;
  if (usage?.inputTokens !== undefined || usage?.outputTokens !== undefined) {
    next.contextTokens =
      (usage.inputTokens ?? 0) +
      (usage.cacheReadInputTokens ?? 0) +
      (usage.cacheCreationInputTokens ?? 0) +
      (usage.outputTokens ?? 0);
  }
  return next;
}

/** What changes the chat state. */
export type ChatAction =
  | { type: "submitted"; text: string }
  | { type: "event"; event: GeppettoEvent }
  | { type: "cancel-requested" }
  | { type: "finished"; turn: Turn }
  | { type: "failed"; message: string; turn?: Turn }
  | { type: "notice"; text: string; tone?: "info" | "error" }
  | { type: "resized"; columns: number }
  | { type: "cleared" };

/**
 * The initial state: `notices` first, then the conversation so far (the stored turns of a resumed session)
 * as finished messages, each answer with the usage and cost of the turn that produced it.
 *
 * @example
 * const state = initialChatState(session.turns, ["Resumed session 3f2c…"]);
 */
export function initialChatState(
  turns: readonly Turn[] = [],
  notices: readonly string[] = [],
  options: { columns?: number } = {},
): ChatState {
  let state: ChatState = {
    messages: [],
    busy: false,
    waiting: false,
    cancelling: false,
    nextId: 1,
    scroll: AppendOnlyList.empty(),
    printed: AppendOnlyList.empty(),
    columns: options.columns ?? DEFAULT_COLUMNS,
    sessionCost: 0,
  };
  for (const text of notices) state = chatReducer(state, { type: "notice", text });
  const latest = turns[turns.length - 1];
  if (!latest) return state;
  // Turn n of a session adds the n-th prompt: its result belongs to the answer after that prompt.
  const results = new Map<number, InferenceResult>();
  for (const turn of turns) {
    const result = KeyInferenceResult.get(turn);
    if (result) results.set(turn.blocks.filter((block) => block.kind === "user").length, result);
  }
  const shown = messagesFromTurn(latest, state.nextId, results);
  for (const message of shown.messages) if (message.kind === "answer") state = withTotals(state, message);
  return {
    ...state,
    messages: [...state.messages, ...shown.messages],
    scroll: state.scroll.append(...shown.messages.map(asScrollItem)),
    nextId: shown.nextId,
  };
}

function asScrollItem(message: ChatMessage): ScrollItem {
  return { kind: "message", id: `s${message.id}`, message };
}

/** Moves what is final of the current answer (everything, when `all`) to the scrollback. */
function flushCurrent(state: ChatState, current: AnswerMessage, all: boolean): ChatState {
  let nextId = state.nextId;
  const { items, moved, live } = flushParts(current.parts, all, state.columns, () => `m${nextId++}`);
  return {
    ...state,
    current: { ...current, parts: live },
    scroll: state.scroll.append(...items),
    printed: state.printed.append(...moved),
    nextId,
  };
}

/** Whether the live part holds something final: a finished part, a tool line, a newline, a full screen row. */
function hasFinalPart(answer: AnswerMessage, event: GeppettoEvent, columns: number): boolean {
  const last = answer.parts[answer.parts.length - 1];
  if (!last) return false;
  if (answer.parts.length > 1 || (last.kind !== "text" && last.kind !== "thinking")) return true;
  const delta = event.type === "partial" || event.type === "partial-thinking" ? event.delta : "";
  return delta.includes("\n") || overflowsRow(last.text, columns);
}

/**
 * The current answer so far, whole: the pieces already in the scrollback and the live part, joined.
 *
 * @example
 * answerSoFar(state)?.parts // [{ kind: "text", text: "Hello there" }]
 */
export function answerSoFar(state: ChatState): AnswerMessage | undefined {
  if (!state.current) return undefined;
  return { ...state.current, parts: joinParts([...state.printed.slice(), ...state.current.parts]) };
}

function newAnswer(id: number): AnswerMessage {
  return { kind: "answer", id: `m${id}`, parts: [], outcome: "streaming" };
}

/** Appends streamed text to the last part when it is of the same kind; a new part otherwise. */
function appendText(parts: AnswerPart[], kind: "text" | "thinking", delta: string): AnswerPart[] {
  const last = parts[parts.length - 1];
  if (last && last.kind === kind) {
    const copy = parts.slice();
    copy[copy.length - 1] = { kind, text: last.text + delta };
    return copy;
  }
  return [...parts, { kind, text: delta }];
}

function applyEvent(answer: AnswerMessage, event: GeppettoEvent): AnswerMessage {
  switch (event.type) {
    case "partial":
      return { ...answer, parts: appendText(answer.parts, "text", event.delta) };
    case "partial-thinking":
      return { ...answer, parts: appendText(answer.parts, "thinking", event.delta) };
    case "tool-call":
      return {
        ...answer,
        parts: [
          ...answer.parts,
          {
            kind: "tool-call",
            id: event.toolCall.id,
            name: event.toolCall.name,
            input: event.toolCall.input,
          },
        ],
      };
    case "tool-result": {
      const { id, name, result, error } = event.toolResult;
      const part: AnswerPart = { kind: "tool-result", id, result };
      if (name !== undefined) part.name = name;
      if (error !== undefined) part.error = error;
      return { ...answer, parts: [...answer.parts, part] };
    }
    default:
      return answer;
  }
}

/** The events that end the spinner: the first sign of an answer. */
const FIRST_OUTPUT = new Set([
  "partial",
  "partial-thinking",
  "tool-call",
  "tool-result",
  "error",
  "interrupt",
]);

function finishAnswer(state: ChatState, live: AnswerMessage): ChatState {
  const flushed = flushCurrent(state, live, true);
  const { current: _current, ...rest } = flushed;
  // The whole answer for the transcript: its pieces joined once, at the end.
  const answer: AnswerMessage = { ...live, parts: joinParts(flushed.printed.slice()) };
  return {
    ...withTotals(rest, answer),
    messages: [...state.messages, answer],
    scroll: flushed.scroll.append({ kind: "end", id: `m${flushed.nextId}`, answer }),
    nextId: flushed.nextId + 1,
    printed: AppendOnlyList.empty(),
    busy: false,
    waiting: false,
    cancelling: false,
  };
}

/**
 * Applies one action.
 *
 * @example
 * let state = initialChatState();
 * state = chatReducer(state, { type: "submitted", text: "Hello" });
 * state = chatReducer(state, { type: "event", event: partialEvent });
 */
export function chatReducer(state: ChatState, action: ChatAction): ChatState {
  switch (action.type) {
    case "submitted": {
      const user: ChatMessage = { kind: "user", id: `m${state.nextId}`, text: action.text };
      return {
        ...state,
        messages: [...state.messages, user],
        scroll: state.scroll.append(asScrollItem(user)),
        printed: AppendOnlyList.empty(),
        current: newAnswer(state.nextId + 1),
        busy: true,
        waiting: true,
        cancelling: false,
        nextId: state.nextId + 2,
      };
    }
    case "event": {
      if (!state.current) return state;
      // A status (a retry after a rate limit) is a line of its own in the transcript.
      if (action.event.type === "status")
        return chatReducer(state, { type: "notice", text: formatStatus(action.event) });
      const current = applyEvent(state.current, action.event);
      const waiting = state.waiting && !FIRST_OUTPUT.has(action.event.type);
      if (current === state.current && waiting === state.waiting) return state;
      const next = { ...state, current, waiting };
      return hasFinalPart(current, action.event, state.columns) ? flushCurrent(next, current, false) : next;
    }
    case "resized":
      return action.columns > 0 && action.columns !== state.columns
        ? { ...state, columns: action.columns }
        : state;
    case "cleared": {
      // A new conversation: the transcript (for /save, /retry, /copy) and the totals start again; what is on the
      // screen stays where it is.
      const { contextTokens: _tokens, ...rest } = state;
      return { ...rest, messages: [], sessionCost: 0 };
    }
    case "cancel-requested":
      return state.busy ? { ...state, cancelling: true } : state;
    case "finished": {
      if (!state.current) return state;
      const result = KeyInferenceResult.get(action.turn);
      const answer = withResult({ ...state.current, outcome: outcomeOf(result, state.cancelling) }, result);
      return finishAnswer(state, answer);
    }
    case "failed": {
      const result = action.turn ? KeyInferenceResult.get(action.turn) : undefined;
      const base = state.current ?? newAnswer(state.nextId);
      const answer = withResult({ ...base, outcome: "error", error: action.message }, result);
      return finishAnswer({ ...state, nextId: state.nextId + 1 }, answer);
    }
    case "notice": {
      const notice: ChatMessage = {
        kind: "notice",
        id: `m${state.nextId}`,
        text: action.text,
        tone: action.tone ?? "info",
      };
      return {
        ...state,
        messages: [...state.messages, notice],
        scroll: state.scroll.append(asScrollItem(notice)),
        nextId: state.nextId + 1,
      };
    }
  }
}
