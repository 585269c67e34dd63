/**
 * The `system` texts and the alternating user/assistant `messages` of a Turn (consecutive blocks of one role share
 * a message), written fresh or, for long conversations, as cached serialized pieces of frozen blocks; and the
 * prompt-caching breakpoint on the last user message.
 */
import type { JsonObject } from "../../turns/json.ts";
import type { Block, Turn } from "../../turns/types.ts";
import { JsonPiece, type JsonPieceList, PieceCache } from "../transport/json-pieces.ts";
import { blockContent } from "./request-content.ts";
import type { AnthropicMessage } from "./wire.ts";

/** The prompt-caching marker (`cache_control`). */
export const EPHEMERAL: JsonObject = { type: "ephemeral" };

/**
 * The system texts and the messages of a Turn, every block written fresh.
 *
 * @example
 * buildMessages(turn, warnings).messages // [{ role: "user", content: [{ type: "text", text: "Hi" }] }]
 */
export function buildMessages(
  turn: Turn,
  warnings: string[],
): { system: string[]; messages: AnthropicMessage[] } {
  const system: string[] = [];
  const messages: AnthropicMessage[] = [];
  turn.blocks.forEach((block, index) => {
    if (block.kind === "system") {
      if (block.payload.text.length > 0) system.push(block.payload.text);
      return;
    }
    const part = blockContent(block, warnings, `turn.blocks[${index}] (${block.kind})`);
    if (!part || part.content.length === 0) return;
    const last = messages[messages.length - 1];
    if (last && last.role === part.role) last.content.push(...part.content);
    else messages.push({ role: part.role, content: part.content });
  });
  return { system, messages };
}

/** The role a block's content goes to; undefined for blocks that add none (system text, empty text). */
function roleOf(block: Block): "user" | "assistant" | undefined {
  switch (block.kind) {
    case "system":
      return undefined;
    case "user":
      return block.payload.text.length > 0 || (block.payload.images?.length ?? 0) > 0 ? "user" : undefined;
    case "tool_use":
      return "user";
    case "llm_text":
      return block.payload.text.length > 0 ? "assistant" : undefined;
    default:
      return "assistant";
  }
}

/** The serialized messages of groups of frozen blocks (see PieceCache); no piece holds a cache_control. */
const messagePieces = new PieceCache();

/**
 * The messages as cached pieces, one group per message (a message begins at a block of the other role), the
 * last user message and what follows it written fresh (prompt caching marks it). Undefined when a block warns
 * or fails: then the whole turn is built as before, and says what it says there.
 */
export function cachedMessages(turn: Turn, caching: boolean): AnthropicMessage[] | undefined {
  const starts = new Set<Block>();
  let role: "user" | "assistant" | undefined;
  let lastUser = turn.blocks.length;
  turn.blocks.forEach((block, index) => {
    const blockRole = roleOf(block);
    if (blockRole === undefined || blockRole === role) return;
    if (role !== undefined) starts.add(block);
    role = blockRole;
    if (blockRole === "user") lastUser = index;
  });
  if (!caching) lastUser = turn.blocks.length;
  const head = lastUser === turn.blocks.length ? turn : { ...turn, blocks: turn.blocks.slice(0, lastUser) };
  const pieces = messagePieces.pieces(
    head,
    (_previous, block) => starts.has(block),
    (group) => {
      const warnings: string[] = [];
      const values = buildMessages({ ...turn, blocks: group }, warnings).messages;
      return { values, clean: warnings.length === 0 };
    },
  );
  if (!pieces) return undefined;
  if (lastUser < turn.blocks.length) {
    const warnings: string[] = [];
    let tail: AnthropicMessage[];
    try {
      tail = buildMessages({ ...turn, blocks: turn.blocks.slice(lastUser) }, warnings).messages;
    } catch {
      return undefined;
    }
    if (warnings.length > 0) return undefined;
    markLastUser(tail);
    for (const message of tail) pieces.push(JsonPiece.of(message));
  }
  // Pieces serialize as the messages they hold (JSON.stringify goes through their toJSON).
  return pieces satisfies JsonPieceList as unknown as AnthropicMessage[];
}

/** Puts the prompt-caching breakpoint on the last block of the last user message. */
export function markLastUser(messages: AnthropicMessage[]): void {
  const lastUser = messages.findLast((message) => message.role === "user");
  const lastBlock = lastUser?.content[lastUser.content.length - 1];
  if (lastBlock) lastBlock.cache_control = EPHEMERAL;
}

/**
 * The system texts of a Turn (empty ones left out).
 *
 * @example
 * systemOf(turn) // ["You are terse."]
 */
export function systemOf(turn: Turn): string[] {
  const system: string[] = [];
  for (const block of turn.blocks)
    if (block.kind === "system" && block.payload.text.length > 0) system.push(block.payload.text);
  return system;
}
