/**
 * Turn → OpenAI Chat Completions request body.
 *
 * Blocks map in order: system (or developer) → system/developer message; user → user message (text, plus
 * images by URL or base64 with `detail`); consecutive llm_text, tool_call and refusal blocks → one assistant
 * message with `content` and `tool_calls`; tool_use → `tool` message. Settings come resolved from
 * `prepareInference`; each one Chat cannot carry is reported as a warning.
 *
 * Reasoning policy: OpenAI's Chat Completions has no request field for reasoning, so reasoning blocks are not
 * sent — unless the profile of a compatible server says it takes its own reasoning back (OpenRouter's
 * `reasoning`). Own reasoning is otherwise left out silently; reasoning made by another provider (block metadata
 * `geppetto.provider@v1`, aliases counting as the provider) is dropped with a warning, and so are `other` blocks
 * that have no Chat form (all but refusals). Tool call ids are kept.
 *
 * The profile also decides the token-limit field and whether `reasoning_effort` is sent: to OpenAI only for
 * reasoning models (others reject it), dropped with a warning where the server takes none.
 */
import { CallerError } from "../../engine/errors.ts";
import type { OpenAIInferenceConfig } from "../../engine/inference-config.ts";
import type { ToolDescription } from "../../engine/tools.ts";
import type { PreparedInference } from "../../provider-kit/prepare.ts";
import { droppedBlockWarning, foreignProducer, type ProviderNames } from "../../provider-kit/reasoning.ts";
import { findProvider } from "../../provider-kit/registry.ts";
import { toolResultText } from "../../tools/content.ts";
import type { Block, Turn } from "../../turns/types.ts";
import { checkPdf, documentDataUrl, documentFilename } from "../documents.ts";
import { PieceCache } from "../transport/json-pieces.ts";
import { OPENAI_PROFILE, type OpenAICompatibleProfile } from "./descriptor.ts";
import type { ChatContentPart, ChatMessage, ChatRequest, ChatTool, ChatToolCall } from "./wire.ts";

/** The `other` block type under which a refusal is kept (data: `{ text }`). */
export const REFUSAL_BLOCK_TYPE = "openai.refusal";
/**
 * The `other` block type of a choice other than 0 (`n > 1`): an alternative answer, kept but never sent back.
 *
 * @example
 * turn.blocks.filter((block) => block.kind === "other" && block.payload.type === CHOICE_BLOCK_TYPE)
 */
export const CHOICE_BLOCK_TYPE = "openai.choice";

/**
 * True for models that take `max_completion_tokens` and reject sampling parameters (o-series, gpt-5 except
 * the `-chat` variants).
 *
 * @example
 * isReasoningModel("o3-mini") // true
 */
export function isReasoningModel(model: string): boolean {
  const name = model.slice(model.lastIndexOf("/") + 1).toLowerCase();
  return /^o\d/.test(name) || (/^gpt-5/.test(name) && !name.includes("-chat"));
}

/**
 * What the request builder needs besides the prepared inference.
 *
 * @example
 * const options: ChatRequestOptions = { model: "gpt-4o-mini", stream: true, provider: "openai" };
 */
export interface ChatRequestOptions {
  model: string;
  stream: boolean;
  /** This engine's provider name (default `openai`): reasoning of any other provider is reported when dropped. */
  provider?: string;
  /**
   * Messages made of frozen blocks come as cached serialized pieces (`JsonPiece`s, which the transport splices
   * in as bytes), so a long conversation's request costs what is new. Off by default: the body is plain JSON.
   */
  cacheMessages?: boolean;
  /** The compatible server's profile (default: OpenAI itself). */
  profile?: OpenAICompatibleProfile;
}

/**
 * The body and the warnings (settings and blocks that were not sent).
 *
 * @example
 * const { body, warnings }: ChatRequestBuild = buildChatRequest(prepared, { model: "gpt-4o-mini", stream: true });
 */
export interface ChatRequestBuild {
  body: ChatRequest;
  warnings: string[];
}

/**
 * Options of {@link messagesFromTurn}.
 *
 * @example
 * messagesFromTurn(turn, { provider: "openai", onDroppedBlock: (message) => warnings.push(message) })
 */
export interface ChatMessagesOptions {
  /** This engine's provider name (default `openai`). */
  provider?: string;
  /** Called for each block of another provider that is not sent (foreign reasoning, `other` blocks). */
  onDroppedBlock?: (message: string) => void;
  /** Own reasoning goes back in this assistant-message field (a profile's `reasoningField`); unset: never sent. */
  reasoningField?: "reasoning_content" | "reasoning";
}

function userContent(block: Block & { kind: "user" }, where: string): string | ChatContentPart[] {
  const images = block.payload.images ?? [];
  const documents = block.payload.documents ?? [];
  if (images.length === 0 && documents.length === 0) return block.payload.text;
  const parts: ChatContentPart[] = [];
  if (block.payload.text) parts.push({ type: "text", text: block.payload.text });
  documents.forEach((document, index) => {
    checkPdf(document, `${where}.payload.documents[${index}]`, "OpenAI");
    parts.push({
      type: "file",
      file: { filename: documentFilename(document, index), file_data: documentDataUrl(document) },
    });
  });
  images.forEach((image, index) => {
    let url = image.url;
    if (!url && image.data) url = `data:${image.mediaType};base64,${image.data}`;
    if (!url) {
      throw new CallerError(
        `${where}: image ${index} has no url or data (OpenAI Chat does not take file ids for images)`,
      );
    }
    parts.push({ type: "image_url", image_url: image.detail ? { url, detail: image.detail } : { url } });
  });
  return parts;
}

function toolResultContent(block: Block & { kind: "tool_use" }): string {
  const { result, error } = block.payload;
  if (error !== undefined) return `Error: ${error}`;
  return toolResultText(result);
}

/**
 * Turn blocks → messages.
 *
 * @example
 * messagesFromTurn(newTurn([newUserTextBlock("Hi")])) // [{ role: "user", content: "Hi" }]
 */
export function messagesFromTurn(turn: Turn, options: ChatMessagesOptions = {}): ChatMessage[] {
  // A compatible server's name may be a registered provider of its own (with aliases) or only a name.
  const name = options.provider ?? "openai";
  const provider: ProviderNames = findProvider(name) ?? { id: name, aliases: [] };
  const messages: ChatMessage[] = [];
  let assistant: (ChatMessage & { role: "assistant" }) | undefined;
  const openAssistant = (): ChatMessage & { role: "assistant" } => {
    if (!assistant) {
      assistant = { role: "assistant", content: null };
      messages.push(assistant);
    }
    return assistant;
  };
  turn.blocks.forEach((block, index) => {
    const where = `turn ${turn.id} block ${index} (${block.kind})`;
    switch (block.kind) {
      case "system":
        assistant = undefined;
        messages.push({
          role: block.role === "developer" ? "developer" : "system",
          content: block.payload.text,
        });
        return;
      case "user":
        assistant = undefined;
        messages.push({ role: "user", content: userContent(block, where) });
        return;
      case "llm_text": {
        const message = openAssistant();
        message.content = (message.content ?? "") + block.payload.text;
        return;
      }
      case "tool_call": {
        const message = openAssistant();
        const call: ChatToolCall = {
          id: block.payload.id,
          type: "function",
          function: {
            name: block.payload.name,
            arguments: block.payload.argsText ?? JSON.stringify(block.payload.args),
          },
        };
        message.tool_calls = [...(message.tool_calls ?? []), call];
        return;
      }
      case "tool_use":
        assistant = undefined;
        messages.push({ role: "tool", tool_call_id: block.payload.id, content: toolResultContent(block) });
        return;
      case "other": {
        // Alternative choices (`n > 1`) were not picked: they are not part of the conversation.
        if (block.payload.type === CHOICE_BLOCK_TYPE) return;
        if (block.payload.type !== REFUSAL_BLOCK_TYPE) {
          options.onDroppedBlock?.(
            `${where}: block of type ${JSON.stringify(block.payload.type)} is not sent`,
          );
          return;
        }
        const data = block.payload.data as { text?: unknown } | null;
        if (typeof data?.text === "string") openAssistant().refusal = data.text;
        return;
      }
      case "reasoning": {
        const producer = foreignProducer(block, provider);
        if (producer !== undefined) {
          options.onDroppedBlock?.(droppedBlockWarning(where, producer));
          return;
        }
        // Own reasoning goes back only where the server takes it (a profile's reasoning field).
        if (options.reasoningField && block.payload.text) {
          const message = openAssistant();
          message[options.reasoningField] = (message[options.reasoningField] ?? "") + block.payload.text;
        }
        return;
      }
    }
  });
  return messages;
}

function toolsFor(tools: ToolDescription[]): ChatTool[] {
  return tools.map((tool) => ({
    type: "function",
    function: {
      name: tool.name,
      ...(tool.description ? { description: tool.description } : {}),
      parameters: tool.parameters,
      ...(tool.strict === undefined ? {} : { strict: tool.strict }),
    },
  }));
}

/**
 * One cache per way of writing messages (the provider name decides which reasoning is foreign, the profile
 * whether reasoning goes back): the same frozen blocks sent by an `openai` and a `deepseek` engine are different
 * messages.
 */
const messagePieces = new Map<string, PieceCache>();
function piecesFor(options: ChatMessagesOptions): PieceCache {
  const key = `${options.provider ?? "openai"}\u0000${options.reasoningField ?? ""}`;
  let cache = messagePieces.get(key);
  if (!cache) {
    cache = new PieceCache();
    messagePieces.set(key, cache);
  }
  return cache;
}
/** System, user and tool-result blocks are messages of their own; the blocks between them make one assistant message. */
const ownMessage = (block: Block): boolean =>
  block.kind === "system" || block.kind === "user" || block.kind === "tool_use";

/** The messages as cached pieces; undefined when a group of blocks warns or fails (then built as a whole). */
function cachedMessages(turn: Turn, options: ChatMessagesOptions): ChatMessage[] | undefined {
  const pieces = piecesFor(options).pieces(
    turn,
    (previous, block) => ownMessage(previous) || ownMessage(block),
    (group) => {
      let clean = true;
      const values = messagesFromTurn(
        { ...turn, blocks: group },
        { ...options, onDroppedBlock: () => (clean = false) },
      );
      return { values, clean };
    },
  );
  // Pieces serialize as the messages they hold (JSON.stringify goes through their toJSON).
  return pieces as unknown as ChatMessage[] | undefined;
}

/**
 * Builds the request body from the prepared inference. Every setting it cannot send is a warning.
 *
 * @example
 * const prepared = prepareTurn(turn, [], { inference: { temperature: 0.2 } });
 * const { body, warnings } = buildChatRequest(prepared, { model: "gpt-4o-mini", stream: true });
 */
export function buildChatRequest(
  prepared: PreparedInference<OpenAIInferenceConfig>,
  options: ChatRequestOptions,
): ChatRequestBuild {
  const { turn, inference, toolConfig, provider: openai, warnings } = prepared;
  const drop = prepared.drop;
  const profile = options.profile ?? OPENAI_PROFILE;
  const messagesOptions: ChatMessagesOptions = { onDroppedBlock: (message) => warnings.push(message) };
  if (options.provider !== undefined) messagesOptions.provider = options.provider;
  if (profile.sendReasoning) messagesOptions.reasoningField = profile.reasoningField;
  const body: ChatRequest = {
    model: options.model,
    messages:
      (options.cacheMessages && cachedMessages(turn, messagesOptions)) ||
      messagesFromTurn(turn, messagesOptions),
  };
  if (options.stream) {
    body.stream = true;
    body.stream_options = { include_usage: true };
  }
  if (prepared.tools.length > 0) {
    body.tools = toolsFor(prepared.tools);
    const choice = toolConfig.toolChoice;
    if (choice !== undefined) {
      body.tool_choice =
        typeof choice === "string" ? choice : { type: "function", function: { name: choice.name } };
    }
    if (toolConfig.parallelToolCalls !== undefined) body.parallel_tool_calls = toolConfig.parallelToolCalls;
  }
  if (prepared.structuredOutput) {
    const { name, description, schema, strict } = prepared.structuredOutput;
    body.response_format = {
      type: "json_schema",
      json_schema: { name, ...(description ? { description } : {}), schema, strict: strict ?? true },
    };
  }
  const reasoning = isReasoningModel(options.model);
  if (inference.maxResponseTokens !== undefined) {
    const field =
      profile.maxTokensField === "auto"
        ? reasoning
          ? "max_completion_tokens"
          : "max_tokens"
        : profile.maxTokensField;
    body[field] = inference.maxResponseTokens;
  }
  const sampling = {
    temperature: inference.temperature,
    topP: inference.topP,
    presencePenalty: openai.presencePenalty,
    frequencyPenalty: openai.frequencyPenalty,
    stop: inference.stop,
  };
  if (reasoning) {
    for (const [setting, value] of Object.entries(sampling)) {
      drop(setting, value, `${options.model} is a reasoning model and rejects it`);
    }
  } else {
    if (sampling.temperature !== undefined) body.temperature = sampling.temperature;
    if (sampling.topP !== undefined) body.top_p = sampling.topP;
    if (sampling.presencePenalty !== undefined) body.presence_penalty = sampling.presencePenalty;
    if (sampling.frequencyPenalty !== undefined) body.frequency_penalty = sampling.frequencyPenalty;
    if (sampling.stop !== undefined && sampling.stop.length > 0) body.stop = sampling.stop;
  }
  if (inference.reasoningEffort !== undefined) {
    const accepted =
      profile.reasoningEffort === "always" || (profile.reasoningEffort === "reasoning-models" && reasoning);
    if (accepted) body.reasoning_effort = inference.reasoningEffort;
    else {
      const why = `${options.model} on ${profile.name} takes no reasoning_effort`;
      drop("reasoningEffort", inference.reasoningEffort, why);
    }
  }
  const noBudget = "Chat Completions takes reasoningEffort, not a thinking budget";
  drop("thinkingBudget", inference.thinkingBudget, noBudget);
  drop("reasoningSummary", inference.reasoningSummary, "Chat Completions returns no reasoning summaries");
  drop("includeThoughts", inference.includeThoughts, "Chat Completions has no switch for it");
  if (inference.seed !== undefined) body.seed = inference.seed;
  if (openai.n !== undefined) body.n = openai.n;
  if (openai.store !== undefined) body.store = openai.store;
  if (openai.serviceTier !== undefined) body.service_tier = openai.serviceTier;
  if (openai.user !== undefined) body.user = openai.user;
  if (openai.logitBias !== undefined && Object.keys(openai.logitBias).length > 0) {
    body.logit_bias = openai.logitBias;
  }
  return { body, warnings };
}
