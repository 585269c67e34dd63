/**
 * Turn → Ollama `/api/chat` request body.
 *
 * System and user blocks become messages (user images as base64 `images`); the assistant's consecutive text,
 * reasoning and tool-call blocks become one assistant message (`content`, `thinking`, `tool_calls`); each tool
 * result becomes a `tool` message with the tool's name.
 *
 * Cross-provider policy: reasoning from another provider is dropped, and so are `other` blocks and images given
 * only by URL or file id (Ollama takes base64 only); each is reported as a warning. Tool call ids stay in the
 * Turn; on the wire only ids Ollama gave are sent.
 */
import { CallerError } from "../../engine/errors.ts";
import type { InferenceConfig, ReasoningEffort, ToolConfig } from "../../engine/inference-config.ts";
import type { ToolDescription } from "../../engine/tools.ts";
import type { PreparedInference } from "../../provider-kit/prepare.ts";
import { droppedBlockWarning, isOwnBlock } from "../../provider-kit/reasoning.ts";
import { toolResultText } from "../../tools/content.ts";
import type { JsonObject, JsonValue } from "../../turns/json.ts";
import { KeyBlockMetaProvider } from "../../turns/keys.ts";
import type { Block, Turn } from "../../turns/types.ts";
import { PieceCache } from "../transport/json-pieces.ts";
import { KeyOllamaCallId, type OllamaInferenceConfig, ollamaProvider } from "./descriptor.ts";
import type { OllamaChatRequest, OllamaMessage, OllamaToolCall } from "./wire.ts";

/**
 * What the request builder needs besides the prepared inference.
 *
 * @example
 * const options: OllamaRequestOptions = { model: "llama3.2", stream: true };
 */
export interface OllamaRequestOptions {
  model: string;
  stream: boolean;
  /**
   * Messages made of frozen blocks come as cached serialized pieces (`JsonPiece`s, which the transport splices
   * in as bytes), so a long conversation's request costs what is new. Off by default: the body is plain JSON.
   */
  cacheMessages?: boolean;
}

/** A request body plus what the builder had to leave out. */
export interface OllamaRequest {
  body: OllamaChatRequest;
  warnings: string[];
}

const THINK_LEVELS: Record<ReasoningEffort, OllamaChatRequest["think"]> = {
  none: false,
  minimal: "low",
  low: "low",
  medium: "medium",
  high: "high",
  xhigh: "high",
};

/**
 * Ollama's `think` for an InferenceConfig: a reasoning effort gives a level (`none` turns thinking off), a
 * thinking budget gives `true` (`0` gives `false`: Ollama has no budgets), `includeThoughts` alone gives itself.
 *
 * @example
 * thinkFor({ reasoningEffort: "medium" }) // "medium"
 */
export function thinkFor(inference: InferenceConfig): OllamaChatRequest["think"] | undefined {
  if (inference.reasoningEffort !== undefined) return THINK_LEVELS[inference.reasoningEffort];
  if (inference.thinkingBudget !== undefined) return inference.thinkingBudget > 0;
  return inference.includeThoughts;
}

function toolContent(result: JsonValue, error: string | undefined): string {
  if (error !== undefined) return JSON.stringify({ error });
  return toolResultText(result);
}

function fromOllama(block: Block): boolean {
  return isOwnBlock(block, ollamaProvider);
}

/** The tool name of each call id in the turn (a tool result without its name is sent with its call's). */
function callNamesOf(turn: Turn): Map<string, string> {
  const callNames = new Map<string, string>();
  for (const block of turn.blocks)
    if (block.kind === "tool_call") callNames.set(block.payload.id, block.payload.name);
  return callNames;
}

/** System, user and tool-result blocks are messages of their own; the blocks between them make one assistant message. */
const ownMessage = (block: Block): boolean =>
  block.kind === "system" || block.kind === "user" || block.kind === "tool_use";

/** The serialized messages of groups of frozen blocks (see PieceCache). */
const messagePieces = new PieceCache();

/** The messages as cached pieces; undefined when a group of blocks warns (then built as a whole). */
function cachedMessages(turn: Turn): OllamaMessage[] | undefined {
  const callNames = callNamesOf(turn);
  const pieces = messagePieces.pieces(
    turn,
    (previous, block) => ownMessage(previous) || ownMessage(block),
    (group) => {
      const warnings: string[] = [];
      const values = messagesOf({ ...turn, blocks: group }, warnings, callNames);
      return { values, clean: warnings.length === 0 };
    },
  );
  // Pieces serialize as the messages they hold (JSON.stringify goes through their toJSON).
  return pieces as unknown as OllamaMessage[] | undefined;
}

/** Builds the messages, merging consecutive assistant blocks into one message. */
function messagesOf(turn: Turn, warnings: string[], callNames = callNamesOf(turn)): OllamaMessage[] {
  const messages: OllamaMessage[] = [];
  let assistant: OllamaMessage | undefined;
  const openAssistant = (): OllamaMessage => {
    if (!assistant) {
      assistant = { role: "assistant", content: "" };
      messages.push(assistant);
    }
    return assistant;
  };
  turn.blocks.forEach((block, index) => {
    const where = `turn.blocks[${index}]`;
    switch (block.kind) {
      case "system":
      case "user": {
        assistant = undefined;
        const message: OllamaMessage = { role: block.kind, content: block.payload.text };
        const images: string[] = [];
        (block.payload.images ?? []).forEach((image, imageIndex) => {
          if (image.data !== undefined) images.push(image.data);
          else
            warnings.push(`${where}.payload.images[${imageIndex}]: Ollama takes base64 images only; dropped`);
        });
        if (images.length > 0) message.images = images;
        (block.payload.documents ?? []).forEach((document, documentIndex) => {
          const name = document.filename === undefined ? "" : ` (${document.filename})`;
          warnings.push(
            `${where}.payload.documents[${documentIndex}]${name}: Ollama takes no PDF input; dropped`,
          );
        });
        messages.push(message);
        return;
      }
      case "llm_text": {
        const message = openAssistant();
        message.content += block.payload.text;
        return;
      }
      case "reasoning": {
        if (!fromOllama(block)) {
          warnings.push(droppedBlockWarning(where, KeyBlockMetaProvider.get(block)));
          return;
        }
        if (!block.payload.text) return;
        const message = openAssistant();
        message.thinking = (message.thinking ?? "") + block.payload.text;
        return;
      }
      case "tool_call": {
        const message = openAssistant();
        const call: OllamaToolCall = {
          function: { name: block.payload.name, arguments: block.payload.args },
        };
        if (block.payload.argsText !== undefined) {
          warnings.push(`${where}: arguments were not a JSON object; sent as parsed`);
        }
        const callId = fromOllama(block) ? KeyOllamaCallId.get(block) : undefined;
        if (callId !== undefined) call.id = callId;
        message.tool_calls = [...(message.tool_calls ?? []), call];
        return;
      }
      case "tool_use": {
        assistant = undefined;
        const { payload } = block;
        const message: OllamaMessage = { role: "tool", content: toolContent(payload.result, payload.error) };
        const name = payload.name ?? callNames.get(payload.id);
        if (name !== undefined) message.tool_name = name;
        messages.push(message);
        return;
      }
      case "other":
        warnings.push(`${where}: ${block.payload.type} block has no Ollama form; dropped`);
        return;
    }
  });
  return messages;
}

function optionsOf(inference: InferenceConfig, ollama: OllamaInferenceConfig): JsonObject {
  const options: JsonObject = { ...ollama.options };
  if (inference.temperature !== undefined) options.temperature = inference.temperature;
  if (inference.topP !== undefined) options.top_p = inference.topP;
  if (ollama.topK !== undefined) options.top_k = ollama.topK;
  if (ollama.numCtx !== undefined) options.num_ctx = ollama.numCtx;
  if (inference.maxResponseTokens !== undefined) options.num_predict = inference.maxResponseTokens;
  if (inference.seed !== undefined) options.seed = inference.seed;
  if (inference.stop !== undefined && inference.stop.length > 0) options.stop = inference.stop;
  return options;
}

function toolsOf(tools: ToolDescription[], toolConfig: ToolConfig, warnings: string[]): JsonObject[] {
  if (toolConfig.toolChoice === "none") return [];
  let offered = tools;
  const choice = toolConfig.toolChoice;
  if (typeof choice === "object") {
    const named = offered.filter((tool) => tool.name === choice.name);
    if (named.length === 0) {
      throw new CallerError(`toolChoice names ${JSON.stringify(choice.name)}, which is not an offered tool`, {
        code: "invalid_tool_choice",
      });
    }
    warnings.push(
      `toolChoice ${JSON.stringify(choice.name)}: Ollama cannot force a tool; only that tool is offered`,
    );
    offered = named;
  } else if (choice === "required") {
    warnings.push("toolChoice=required: Ollama cannot force a tool call; tools are offered as usual");
  }
  return offered.map((tool) => ({
    type: "function",
    function: { name: tool.name, description: tool.description, parameters: tool.parameters },
  }));
}

/**
 * Builds the request body from the prepared inference. Every setting it cannot send is a warning.
 *
 * @example
 * const { body } = buildOllamaRequest(prepareTurn(newTurn([newUserTextBlock("Hi")]), []), { model: "llama3.2", stream: true });
 * body.messages // [{ role: "user", content: "Hi" }]
 */
export function buildOllamaRequest(
  prepared: PreparedInference<OllamaInferenceConfig>,
  options: OllamaRequestOptions,
): OllamaRequest {
  const { turn, inference, toolConfig, provider: ollama, warnings } = prepared;
  const body: OllamaChatRequest = {
    model: options.model,
    messages: (options.cacheMessages && cachedMessages(turn)) || messagesOf(turn, warnings),
    stream: options.stream,
  };
  const tools = toolsOf(prepared.tools, toolConfig, warnings);
  if (tools.length > 0) body.tools = tools;
  const think = thinkFor(inference);
  if (think !== undefined) body.think = think;
  if (prepared.structuredOutput) body.format = prepared.structuredOutput.schema as JsonObject;
  const modelOptions = optionsOf(inference, ollama);
  if (Object.keys(modelOptions).length > 0) body.options = modelOptions;
  if (ollama.keepAlive !== undefined) body.keep_alive = ollama.keepAlive;
  prepared.drop("reasoningSummary", inference.reasoningSummary, "Ollama returns thinking, not summaries");
  if (toolConfig.parallelToolCalls !== undefined && tools.length > 0) {
    prepared.drop("parallelToolCalls", toolConfig.parallelToolCalls, "Ollama has no switch for it");
  }
  return { body, warnings };
}
