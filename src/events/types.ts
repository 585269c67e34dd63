/**
 * The event vocabulary: one discriminated union on `type`.
 *
 * Naming rule: `type` is kebab-case; the first word names the thing (`tool-call`, `web-search`), the last the
 * moment (`-started`, `-delta`, `-done`). Streamed text events carry both the `delta` and the cumulative
 * `completion`. Every event carries {@link EventMetadata} that ties it to its session, inference, turn and block.
 * Application events use `type: "custom"` with a namespaced `name` (see `defineCustomEvent`).
 */
import type { JsonValue } from "../turns/json.ts";

/** Token counts. Every field is optional: providers report different subsets. */
export interface Usage {
  inputTokens?: number;
  outputTokens?: number;
  /** OpenAI: prompt tokens served from cache. */
  cachedTokens?: number;
  /** Anthropic: tokens written to the prompt cache. */
  cacheCreationInputTokens?: number;
  /** Anthropic: tokens read from the prompt cache. */
  cacheReadInputTokens?: number;
  reasoningTokens?: number;
  totalTokens?: number;
}

/** What ties an event to its stream, session, inference, turn and block. */
export interface EventMetadata {
  /** Stable for one streamed message: every event of one assistant message shares it. */
  id: string;
  /** Strictly increasing within one inference (set by `publish`). */
  seq: number;
  sessionId?: string;
  inferenceId?: string;
  turnId?: string;
  blockId?: string;
  model?: string;
  provider?: string;
  /** Time since the inference started. */
  durationMs?: number;
  usage?: Usage;
  extra?: Record<string, JsonValue>;
}

/** A complete tool call, as the model asked for it. */
export interface ToolCallInfo {
  id: string;
  name: string;
  /** The parsed arguments (an object; `{}` when the model sent none). */
  input: JsonValue;
}

/** The outcome of one tool execution. */
export interface ToolResultInfo {
  id: string;
  name?: string;
  result: JsonValue;
  error?: string;
  durationMs?: number;
}

interface EventOf<T extends string> {
  type: T;
  meta: EventMetadata;
}

/** Inference started. */
export interface StartEvent extends EventOf<"start"> {}
/** A piece of answer text: `delta` is new, `completion` is all answer text so far. */
export interface PartialEvent extends EventOf<"partial"> {
  delta: string;
  completion: string;
}
/** A piece of reasoning text, with the same delta/completion semantics as `partial`. */
export interface PartialThinkingEvent extends EventOf<"partial-thinking"> {
  delta: string;
  completion: string;
}
/** Inference completed; `text` is the whole answer text. */
export interface FinalEvent extends EventOf<"final"> {
  text: string;
}
/** Inference was cancelled; `text` is the partial answer, kept in the Turn. */
export interface InterruptEvent extends EventOf<"interrupt"> {
  text: string;
}
/** Inference failed. The partial answer is kept in the Turn attached to the error. */
export interface ErrorEvent extends EventOf<"error"> {
  message: string;
  code?: string;
  fault?: "caller" | "provider" | "model";
  retryable?: boolean;
  status?: number;
  /** Partial answer text at the time of the error. */
  text?: string;
}
/** The model finished a tool call. */
export interface ToolCallEvent extends EventOf<"tool-call"> {
  toolCall: ToolCallInfo;
}
/** Streamed tool-call argument text (not cumulative: join the deltas of one `toolCallId`). */
export interface ToolCallArgumentsDeltaEvent extends EventOf<"tool-call-arguments-delta"> {
  toolCallId: string;
  name?: string;
  index: number;
  delta: string;
}
/** A tool starts executing. */
export interface ToolCallExecuteEvent extends EventOf<"tool-call-execute"> {
  toolCall: ToolCallInfo;
}
/** A tool finished executing (successfully or not). */
export interface ToolCallExecutionResultEvent extends EventOf<"tool-call-execution-result"> {
  toolResult: ToolResultInfo;
}
/** A tool result was added to the Turn (it will be sent to the model). */
export interface ToolResultEvent extends EventOf<"tool-result"> {
  toolResult: ToolResultInfo;
}
/** Informational boundary or notice (e.g. `thinking-started`, `thinking-ended`, `using-embedded-default`). */
export interface InfoEvent extends EventOf<"info"> {
  message: string;
  data?: Record<string, JsonValue>;
}
/** A log line routed through the event stream. */
export interface LogEvent extends EventOf<"log"> {
  level: "debug" | "info" | "warn" | "error";
  message: string;
  fields?: Record<string, JsonValue>;
}
/** A short status for a UI. */
export interface StatusEvent extends EventOf<"status"> {
  text: string;
}
/** A provider's built-in web search began. */
export interface WebSearchStartedEvent extends EventOf<"web-search-started"> {
  itemId: string;
  query?: string;
}
/** A provider's built-in web search is searching. */
export interface WebSearchSearchingEvent extends EventOf<"web-search-searching"> {
  itemId: string;
  query?: string;
}
/** A provider's built-in web search finished. */
export interface WebSearchDoneEvent extends EventOf<"web-search-done"> {
  itemId: string;
  query?: string;
  sources?: JsonValue;
}
/**
 * What every hosted-tool event carries: the provider's id of the tool item. Hosted tools are the tools a provider
 * runs itself (OpenAI Responses file search, code interpreter, image generation, remote MCP servers); each family
 * is `<tool>-started`, the tool's own progress moments and deltas, and `<tool>-done` with the finished item's data.
 */
interface HostedToolEvent {
  itemId: string;
}

/** A hosted file search began. */
export interface FileSearchStartedEvent extends EventOf<"file-search-started">, HostedToolEvent {}
/** A hosted file search is searching. */
export interface FileSearchSearchingEvent extends EventOf<"file-search-searching">, HostedToolEvent {}
/** A hosted file search finished: its queries and results (as the provider gives them). */
export interface FileSearchDoneEvent extends EventOf<"file-search-done">, HostedToolEvent {
  queries?: JsonValue;
  results?: JsonValue;
}
/** Hosted code execution began. */
export interface CodeInterpreterStartedEvent extends EventOf<"code-interpreter-started">, HostedToolEvent {}
/** Hosted code execution is running the code. */
export interface CodeInterpreterInterpretingEvent
  extends EventOf<"code-interpreter-interpreting">,
    HostedToolEvent {}
/** A piece of the code the model writes for the interpreter. */
export interface CodeInterpreterCodeDeltaEvent
  extends EventOf<"code-interpreter-code-delta">,
    HostedToolEvent {
  delta: string;
}
/** Hosted code execution finished: the code and its outputs (logs, images). */
export interface CodeInterpreterDoneEvent extends EventOf<"code-interpreter-done">, HostedToolEvent {
  code?: string;
  outputs?: JsonValue;
}
/** Hosted image generation began. */
export interface ImageGenerationStartedEvent extends EventOf<"image-generation-started">, HostedToolEvent {}
/** Hosted image generation is generating. */
export interface ImageGenerationGeneratingEvent
  extends EventOf<"image-generation-generating">,
    HostedToolEvent {}
/** A partial image (base64), when partial images were asked for. */
export interface ImageGenerationPartialEvent extends EventOf<"image-generation-partial">, HostedToolEvent {
  partialImageIndex?: number;
  partialImageBase64?: string;
}
/** Hosted image generation finished: the image (base64). */
export interface ImageGenerationDoneEvent extends EventOf<"image-generation-done">, HostedToolEvent {
  result?: string;
}
/** A call to a tool of a remote MCP server began. */
export interface McpCallStartedEvent extends EventOf<"mcp-call-started">, HostedToolEvent {}
/** A piece of the arguments of an MCP call. */
export interface McpCallArgumentsDeltaEvent extends EventOf<"mcp-call-arguments-delta">, HostedToolEvent {
  delta: string;
}
/** An MCP call finished: server, tool, arguments, and its output or error. */
export interface McpCallDoneEvent extends EventOf<"mcp-call-done">, HostedToolEvent {
  serverLabel?: string;
  name?: string;
  arguments?: string;
  output?: JsonValue;
  error?: JsonValue;
}
/** Listing the tools of a remote MCP server began. */
export interface McpListToolsStartedEvent extends EventOf<"mcp-list-tools-started">, HostedToolEvent {}
/** Listing the tools of a remote MCP server finished: the tools, or the error. */
export interface McpListToolsDoneEvent extends EventOf<"mcp-list-tools-done">, HostedToolEvent {
  serverLabel?: string;
  tools?: JsonValue;
  error?: JsonValue;
}

/** A citation attached to the answer text. */
export interface CitationEvent extends EventOf<"citation"> {
  url?: string;
  title?: string;
  citedText?: string;
  /** Character range in the answer text, when the provider gives one. */
  startIndex?: number;
  endIndex?: number;
  data?: Record<string, JsonValue>;
}
/** An application-defined event; `name` is namespaced (`myapp.progress`). See `defineCustomEvent`. */
export interface CustomEvent<P = JsonValue> extends EventOf<"custom"> {
  name: string;
  payload: P;
}
/** An event whose `type` this version does not know (decoded from JSON); kept whole, never an error. */
export interface UnknownEvent extends EventOf<"unknown"> {
  originalType: string;
  raw: Record<string, JsonValue>;
}

/** Every geppetto event. */
export type GeppettoEvent =
  | StartEvent
  | PartialEvent
  | PartialThinkingEvent
  | FinalEvent
  | InterruptEvent
  | ErrorEvent
  | ToolCallEvent
  | ToolCallArgumentsDeltaEvent
  | ToolCallExecuteEvent
  | ToolCallExecutionResultEvent
  | ToolResultEvent
  | InfoEvent
  | LogEvent
  | StatusEvent
  | WebSearchStartedEvent
  | WebSearchSearchingEvent
  | WebSearchDoneEvent
  | FileSearchStartedEvent
  | FileSearchSearchingEvent
  | FileSearchDoneEvent
  | CodeInterpreterStartedEvent
  | CodeInterpreterInterpretingEvent
  | CodeInterpreterCodeDeltaEvent
  | CodeInterpreterDoneEvent
  | ImageGenerationStartedEvent
  | ImageGenerationGeneratingEvent
  | ImageGenerationPartialEvent
  | ImageGenerationDoneEvent
  | McpCallStartedEvent
  | McpCallArgumentsDeltaEvent
  | McpCallDoneEvent
  | McpListToolsStartedEvent
  | McpListToolsDoneEvent
  | CitationEvent
  | CustomEvent<unknown>
  | UnknownEvent;

/** The `type` of every event. */
export type EventType = GeppettoEvent["type"];

/** The event with a given `type`. */
export type EventOfType<T extends EventType> = Extract<GeppettoEvent, { type: T }>;

/**
 * Metadata a publisher may give; `publish` sets `seq`, and `id` when it is missing, and fills the context's ids.
 *
 * @example
 * const meta: EventMetadataDraft = { blockId: block.id, model: "gpt-4o" };
 */
export type EventMetadataDraft = Partial<Omit<EventMetadata, "seq">>;

type DraftOf<E> = E extends GeppettoEvent ? Omit<E, "meta"> & { meta?: EventMetadataDraft } : never;

/**
 * An event as a publisher writes it: any event of the union, with its metadata optional (see `publish`).
 *
 * @example
 * const draft: EventDraft = { type: "status", text: "thinking" };
 */
export type EventDraft = DraftOf<GeppettoEvent>;

/** Every type once: the compiler rejects a missing or unknown one, so the list cannot drift from the union. */
const EVENT_TYPE_SET = {
  start: true,
  partial: true,
  "partial-thinking": true,
  final: true,
  interrupt: true,
  error: true,
  "tool-call": true,
  "tool-call-arguments-delta": true,
  "tool-call-execute": true,
  "tool-call-execution-result": true,
  "tool-result": true,
  info: true,
  log: true,
  status: true,
  "web-search-started": true,
  "web-search-searching": true,
  "web-search-done": true,
  "file-search-started": true,
  "file-search-searching": true,
  "file-search-done": true,
  "code-interpreter-started": true,
  "code-interpreter-interpreting": true,
  "code-interpreter-code-delta": true,
  "code-interpreter-done": true,
  "image-generation-started": true,
  "image-generation-generating": true,
  "image-generation-partial": true,
  "image-generation-done": true,
  "mcp-call-started": true,
  "mcp-call-arguments-delta": true,
  "mcp-call-done": true,
  "mcp-list-tools-started": true,
  "mcp-list-tools-done": true,
  citation: true,
  custom: true,
  unknown: true,
} as const satisfies Record<EventType, true>;

/**
 * Built-in event types, for decoders and printers.
 *
 * @example
 * EVENT_TYPES.includes("partial") // true
 */
export const EVENT_TYPES: readonly EventType[] = Object.keys(EVENT_TYPE_SET) as EventType[];

/**
 * Event types that carry one piece of a stream. Each is superseded by later events of the same stream (`partial`
 * and `partial-thinking` carry the cumulative text; tool-call argument deltas end in a complete `tool-call`, and
 * hosted-tool deltas and partial images in their `-done` event), so
 * a consumer that must shed load may drop these first, and a terse printer may leave them out.
 */
export const STREAMING_EVENT_TYPES: ReadonlySet<EventType> = new Set<EventType>([
  "partial",
  "partial-thinking",
  "tool-call-arguments-delta",
  "code-interpreter-code-delta",
  "image-generation-partial",
  "mcp-call-arguments-delta",
]);
