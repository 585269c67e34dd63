/**
 * Builders for Blocks and Turns, and the small helpers that read and extend a Turn without mutating it.
 */
import type { JsonObject, JsonValue } from "./json.ts";
import { randomUUID } from "./lazy-require.ts";
import type {
  Block,
  DocumentPart,
  ImagePart,
  LlmTextBlock,
  OtherBlock,
  ReasoningBlock,
  ReasoningPayload,
  SystemBlock,
  ToolCallBlock,
  ToolCallPayload,
  ToolUseBlock,
  Turn,
  UserBlock,
} from "./types.ts";

/**
 * A new random id (a UUID) for a block, turn or event.
 *
 * Node builds `randomUUID()`'s result by concatenation: a rope of about 27 string nodes (~0.9 KB) that stays in
 * memory as long as the id does. Ids live as long as their Turn, so they are joined once into one flat string
 * (36 bytes of text) here: in a long conversation that is most of the heap a turn costs.
 */
export function newId(): string {
  return randomUUID().split("-").join("-");
}

/**
 * Creates an empty Turn, or one holding `blocks`.
 *
 * @example
 * const turn = newTurn([newSystemTextBlock("Be brief."), newUserTextBlock("Hello")]);
 */
export function newTurn(
  blocks: Block[] = [],
  init: { id?: string; metadata?: JsonObject; data?: JsonObject } = {},
): Turn {
  return { id: init.id ?? newId(), blocks, metadata: init.metadata ?? {}, data: init.data ?? {} };
}

/** A system prompt block. */
export function newSystemTextBlock(text: string): SystemBlock {
  return { id: newId(), kind: "system", role: "system", payload: { text }, metadata: {} };
}

/** A user text block. */
export function newUserTextBlock(text: string): UserBlock {
  return { id: newId(), kind: "user", role: "user", payload: { text }, metadata: {} };
}

/**
 * A user block with text, images and (optionally) documents such as PDFs.
 *
 * @example
 * newUserMultimodalBlock("What is this?", [{ mediaType: "image/png", url: "https://example.com/a.png" }])
 * newUserMultimodalBlock("Summarize", [], [{ mediaType: "application/pdf", data: base64, filename: "a.pdf" }])
 */
export function newUserMultimodalBlock(
  text: string,
  images: ImagePart[],
  documents: DocumentPart[] = [],
): UserBlock {
  const payload = documents.length > 0 ? { text, images, documents } : { text, images };
  return { id: newId(), kind: "user", role: "user", payload, metadata: {} };
}

/** An assistant text block. */
export function newAssistantTextBlock(text: string): LlmTextBlock {
  return { id: newId(), kind: "llm_text", role: "assistant", payload: { text }, metadata: {} };
}

/** A tool call the model made. */
export function newToolCallBlock(call: ToolCallPayload): ToolCallBlock {
  return { id: newId(), kind: "tool_call", role: "assistant", payload: call, metadata: {} };
}

/** The result of a tool call. Pass `error` when the tool failed. */
export function newToolUseBlock(
  id: string,
  result: JsonValue,
  options: { error?: string; name?: string } = {},
): ToolUseBlock {
  const payload: ToolUseBlock["payload"] = { id, result };
  if (options.name !== undefined) payload.name = options.name;
  if (options.error !== undefined) payload.error = options.error;
  return { id: newId(), kind: "tool_use", role: "tool", payload, metadata: {} };
}

/** A reasoning block. */
export function newReasoningBlock(payload: ReasoningPayload): ReasoningBlock {
  return { id: newId(), kind: "reasoning", role: "assistant", payload, metadata: {} };
}

/** A block of a kind geppetto does not model, kept so nothing is lost. */
export function newOtherBlock(type: string, data: JsonValue): OtherBlock {
  return { id: newId(), kind: "other", payload: { type, data }, metadata: {} };
}

/** Returns a new Turn with `blocks` appended. The input Turn is unchanged. */
export function appendBlock(turn: Turn, ...blocks: Block[]): Turn {
  return { ...turn, blocks: [...turn.blocks, ...blocks] };
}

/**
 * A deep copy of a Turn: blocks, payloads and metadata included (the Go version copies one level only, so an
 * edit to a copied payload map leaks into the original; here it cannot).
 */
export function cloneTurn(turn: Turn, overrides: { id?: string } = {}): Turn {
  const copy = structuredClone(turn);
  if (overrides.id !== undefined) copy.id = overrides.id;
  return copy;
}

/** The text of every `llm_text` block, joined. */
export function assistantText(turn: Turn): string {
  let text = "";
  for (const block of turn.blocks) if (block.kind === "llm_text") text += block.payload.text;
  return text;
}

/** Tool calls that have no `tool_use` block answering them yet, in order. */
export function pendingToolCalls(turn: Turn): ToolCallBlock[] {
  const answered = new Set<string>();
  for (const block of turn.blocks) if (block.kind === "tool_use") answered.add(block.payload.id);
  return turn.blocks.filter(
    (block): block is ToolCallBlock => block.kind === "tool_call" && !answered.has(block.payload.id),
  );
}
