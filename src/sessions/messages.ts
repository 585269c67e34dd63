/**
 * Messages: the conversation as a flat list of role/content messages, derived from a Turn (tool calls, tool
 * results and attachments included), and the blocks a message adds to a Turn.
 *
 * Images go where the Turn model carries them (`payload.images`, sent to every provider that takes images);
 * audio and file attachments ride on the block's metadata ({@link KeyBlockAttachments}), kept in the state and
 * shown by `messages()`, and not sent by the providers, whose Turn encoding has no place for them.
 */
import { CallerError } from "../engine/errors.ts";
import { newId } from "../turns/builders.ts";
import type { JsonObject, JsonValue } from "../turns/json.ts";
import { blockMetadataKey } from "../turns/keys.ts";
import type { Block, ImagePart, Turn } from "../turns/types.ts";

/**
 * The role of a message.
 *
 * @example
 * const role: MessageRole = "user";
 */
export type MessageRole = "system" | "user" | "assistant" | "tool";

/**
 * One attachment of a message: exactly one of `data` (base64), `url` or `fileId`.
 *
 * @example
 * const picture: Attachment = { kind: "image", mediaType: "image/png", data: base64 };
 */
export interface Attachment {
  kind: "image" | "audio" | "file";
  mediaType: string;
  data?: string;
  url?: string;
  fileId?: string;
  /** A file's name, or a transcript of audio. */
  name?: string;
}

/**
 * A tool call inside an assistant message.
 *
 * @example
 * message.toolCalls?.map((call: MessageToolCall) => call.name)
 */
export interface MessageToolCall {
  id: string;
  name: string;
  args: JsonObject;
}

/**
 * One message of the conversation.
 *
 * @example
 * await session.executeWithMessage({ role: "user", content: "What is this?", attachments: [picture] });
 */
export interface Message {
  role: MessageRole;
  content: string;
  attachments?: Attachment[];
  /** Assistant messages: the tools the model called. */
  toolCalls?: MessageToolCall[];
  /** Tool messages: the call this result answers, the tool's name, its result and error. */
  toolCallId?: string;
  toolName?: string;
  toolResult?: JsonValue;
  toolError?: string;
  /** Where the message came from when not typed (`transcript` for a duplex session's speech). */
  source?: "text" | "transcript";
}

/**
 * Block metadata: audio and file attachments of a message (images are in the payload).
 *
 * @example
 * KeyBlockAttachments.get(block) // [{ kind: "audio", mediaType: "audio/wav", data }]
 */
export const KeyBlockAttachments = blockMetadataKey<Attachment[]>("geppetto", "attachments", 1);

/**
 * Block metadata: the block's text came from speech (a transcript), in a duplex session.
 *
 * @example
 * KeyBlockTranscript.get(block) === true // the user said it
 */
export const KeyBlockTranscript = blockMetadataKey<boolean>("geppetto", "transcript", 1);

function checkAttachment(attachment: Attachment, index: number): void {
  const sources = [attachment.data, attachment.url, attachment.fileId].filter((value) => value !== undefined);
  if (!["image", "audio", "file"].includes(attachment.kind))
    throw new CallerError(
      `attachment ${index}: kind must be image, audio or file, not ${JSON.stringify(attachment.kind)}`,
      {
        code: "invalid_input",
      },
    );
  if (sources.length !== 1)
    throw new CallerError(
      `attachment ${index} (${attachment.kind}): give exactly one of data, url or fileId`,
      {
        code: "invalid_input",
      },
    );
  if (typeof attachment.mediaType !== "string" || !attachment.mediaType.includes("/"))
    throw new CallerError(
      `attachment ${index} (${attachment.kind}): mediaType must be a MIME type like image/png`,
      {
        code: "invalid_input",
      },
    );
}

/**
 * The block a user or system message adds to a Turn. Throws a {@link CallerError} naming the problem for any
 * other role or a malformed attachment.
 *
 * @example
 * blockFromMessage({ role: "user", content: "Hi" }) // a user block
 */
export function blockFromMessage(message: Message): Block {
  if (message.role !== "user" && message.role !== "system")
    throw new CallerError(
      `a session executes user or system messages, not ${JSON.stringify(message.role)} (assistant and tool messages come from the model and the tools)`,
      { code: "invalid_role" },
    );
  if (typeof message.content !== "string")
    throw new CallerError("message content must be a string", { code: "invalid_input" });
  const attachments = message.attachments ?? [];
  attachments.forEach(checkAttachment);
  const images: ImagePart[] = attachments
    .filter((attachment) => attachment.kind === "image")
    .map(({ kind: _kind, name: _name, ...image }) => image);
  const others = attachments.filter((attachment) => attachment.kind !== "image");
  let metadata: JsonObject = {};
  if (others.length > 0) metadata = { [KeyBlockAttachments.id]: others as unknown as JsonValue };
  if (message.source === "transcript") metadata = { ...metadata, [KeyBlockTranscript.id]: true };
  const payload = images.length > 0 ? { text: message.content, images } : { text: message.content };
  return message.role === "user"
    ? { id: newId(), kind: "user", role: "user", payload, metadata }
    : { id: newId(), kind: "system", role: "system", payload, metadata };
}

function attachmentsOf(block: Block): Attachment[] {
  const attachments: Attachment[] = [];
  if (block.kind === "user" || block.kind === "system" || block.kind === "llm_text")
    for (const image of block.payload.images ?? []) attachments.push({ kind: "image", ...image });
  attachments.push(...(KeyBlockAttachments.get(block) ?? []));
  return attachments;
}

/** Appends the message(s) of `block` to `messages`; a tool call joins the assistant message before it (a copy). */
function appendBlock(messages: Message[], block: Block): void {
  const previous = messages[messages.length - 1];
  if (block.kind === "tool_call") {
    const call = { id: block.payload.id, name: block.payload.name, args: block.payload.args };
    if (previous?.role === "assistant")
      messages[messages.length - 1] = { ...previous, toolCalls: [...(previous.toolCalls ?? []), call] };
    else messages.push({ role: "assistant", content: "", toolCalls: [call] });
    return;
  }
  if (block.kind === "tool_use") {
    const message: Message = {
      role: "tool",
      content: "",
      toolCallId: block.payload.id,
      toolResult: block.payload.result,
    };
    message.content =
      typeof block.payload.result === "string" ? block.payload.result : JSON.stringify(block.payload.result);
    if (block.payload.name !== undefined) message.toolName = block.payload.name;
    if (block.payload.error !== undefined) message.toolError = block.payload.error;
    messages.push(message);
    return;
  }
  if (block.kind !== "system" && block.kind !== "user" && block.kind !== "llm_text") return;
  const role: MessageRole = block.kind === "llm_text" ? "assistant" : block.kind;
  const message: Message = { role, content: block.payload.text };
  const attachments = attachmentsOf(block);
  if (attachments.length > 0) message.attachments = attachments;
  message.source = KeyBlockTranscript.get(block) === true ? "transcript" : "text";
  messages.push(message);
}

/**
 * The conversation of a Turn as messages: system, user and assistant text (with attachments), assistant tool
 * calls (consecutive calls join the assistant message before them), and one tool message per result. Reasoning
 * and provider-specific blocks are left out.
 *
 * @example
 * messagesFromTurn(turn).map((message) => `${message.role}: ${message.content}`)
 */
export function messagesFromTurn(turn: Turn): Message[] {
  const messages: Message[] = [];
  for (const block of turn.blocks) appendBlock(messages, block);
  return messages;
}

/**
 * The messages of a conversation that grows, kept between calls: a Turn that extends the one seen last (the same
 * first and last block objects at the same places, as a session's turns share their frozen blocks) only adds the
 * messages of its new blocks; any other Turn is read whole. The messages returned are shared between calls: read
 * them, do not change them.
 *
 * @example
 * const list = new IncrementalMessages();
 * list.of(session1Turn); list.of(extendedTurn) // reads only the blocks extendedTurn added
 */
export class IncrementalMessages {
  #messages: Message[] = [];
  #count = 0;
  #first: Block | undefined;
  #last: Block | undefined;

  /** The messages of `turn` (a new array each call). */
  of(turn: Turn): Message[] {
    const { blocks } = turn;
    const grows =
      this.#count <= blocks.length &&
      (this.#count === 0 || (blocks[0] === this.#first && blocks[this.#count - 1] === this.#last));
    if (!grows) {
      this.#messages = [];
      this.#count = 0;
    }
    for (let index = this.#count; index < blocks.length; index++) appendBlock(this.#messages, blocks[index]!);
    this.#count = blocks.length;
    this.#first = blocks[0];
    this.#last = blocks[blocks.length - 1];
    return this.#messages.slice();
  }
}
