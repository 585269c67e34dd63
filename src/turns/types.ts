/**
 * The conversation model: a Turn is an ordered list of Blocks plus typed data and metadata.
 *
 * Everything here is plain JSON so that a Turn survives JSON/YAML and every engine unchanged. Turns are
 * treated as immutable values: helpers return new Turns and never change the one they were given.
 * Payloads and metadata keep any field they do not know (a provider's extra data is never dropped on load).
 */
import type { JsonObject, JsonValue } from "./json.ts";

/** The kinds of block, in the vocabulary of the Go geppetto. */
export type BlockKind = "system" | "user" | "llm_text" | "tool_call" | "tool_use" | "reasoning" | "other";

/** Who a block speaks for on the wire, when that differs from what its kind implies. */
export type Role = "system" | "user" | "assistant" | "tool" | "developer";

/** An image given to the model: exactly one of `url`, `data` (base64) or `fileId` (provider file). */
export interface ImagePart {
  mediaType: string;
  url?: string;
  data?: string;
  fileId?: string;
  /** OpenAI's `detail`: "low" | "high" | "auto". */
  detail?: string;
}

/**
 * A document given to the model (a PDF): base64 `data`, its `mediaType` ("application/pdf") and the `filename`
 * it came from (named in errors and sent where the provider takes a name).
 */
export interface DocumentPart {
  mediaType: string;
  data: string;
  filename?: string;
}

/** Text written by someone (system, user or model), with optional images and documents (user blocks). */
export interface TextPayload {
  text: string;
  images?: ImagePart[];
  documents?: DocumentPart[];
}

/** A tool call the model asked for. `args` is the parsed arguments object. */
export interface ToolCallPayload {
  /** The provider's call id (never a local block id). */
  id: string;
  name: string;
  args: JsonObject;
  /**
   * The raw argument text when it was not a JSON object (a truncated or malformed stream). Kept so nothing
   * is lost; the tool executor turns it into an error result the model sees.
   */
  argsText?: string;
}

/** The result of a tool call, sent back to the model. */
export interface ToolUsePayload {
  /** The id of the tool call this answers. */
  id: string;
  /** The tool's name, when known (Gemini needs it on the wire). */
  name?: string;
  result: JsonValue;
  /** Set when the tool failed; the model sees it as an error result. */
  error?: string;
}

/**
 * Model reasoning ("thinking"). Providers need parts of it back verbatim to continue a conversation:
 * Anthropic's `signature` and redacted `data`, OpenAI's `encryptedContent` and `itemId`, Gemini's thought signature.
 */
export interface ReasoningPayload {
  text?: string;
  /** Reasoning summary parts (OpenAI Responses). */
  summary?: string[];
  encryptedContent?: string;
  signature?: string;
  /** The provider's reasoning item id (OpenAI Responses `rs_…`). */
  itemId?: string;
  /** True for reasoning the provider only returns in opaque form (Anthropic `redacted_thinking`). */
  redacted?: boolean;
}

/** Anything else a provider returned that has no kind of its own (server tool calls, search results, …). */
export interface OtherPayload {
  /** What this is, namespaced: e.g. "anthropic.web_search_tool_result". */
  type: string;
  data: JsonValue;
}

/** Maps each block kind to its payload. */
export interface PayloadByKind {
  system: TextPayload;
  user: TextPayload;
  llm_text: TextPayload;
  tool_call: ToolCallPayload;
  tool_use: ToolUsePayload;
  reasoning: ReasoningPayload;
  other: OtherPayload;
}

interface BlockOf<K extends BlockKind> {
  /** Local id, unique within a Turn. Never sent to a provider as a provider id. */
  id: string;
  kind: K;
  role?: Role;
  payload: PayloadByKind[K];
  /** Typed, versioned keys (`namespace.name@v1`), see `blockMetadataKey`. */
  metadata: JsonObject;
}

export type SystemBlock = BlockOf<"system">;
export type UserBlock = BlockOf<"user">;
export type LlmTextBlock = BlockOf<"llm_text">;
export type ToolCallBlock = BlockOf<"tool_call">;
export type ToolUseBlock = BlockOf<"tool_use">;
export type ReasoningBlock = BlockOf<"reasoning">;
export type OtherBlock = BlockOf<"other">;

/** One block of a Turn: a discriminated union on `kind`. */
export type Block =
  | SystemBlock
  | UserBlock
  | LlmTextBlock
  | ToolCallBlock
  | ToolUseBlock
  | ReasoningBlock
  | OtherBlock;

/** One step of a conversation: ordered blocks plus typed data (inputs) and metadata (what happened). */
export interface Turn {
  id: string;
  blocks: Block[];
  /** Facts about the turn: ids, inference result, provider response ids. See `turnMetadataKey`. */
  metadata: JsonObject;
  /** Inputs for the next inference: tool config, inference config, structured output. See `turnDataKey`. */
  data: JsonObject;
}

/** All block kinds, in a stable order. */
export const BLOCK_KINDS: readonly BlockKind[] = [
  "system",
  "user",
  "llm_text",
  "tool_call",
  "tool_use",
  "reasoning",
  "other",
];
