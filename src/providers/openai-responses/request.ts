/**
 * Turn → OpenAI Responses request body.
 *
 * System blocks become `instructions`; user, assistant, tool-call and tool-result blocks become `input` items;
 * reasoning blocks made by this provider are replayed as `reasoning` items (item id, summary and encrypted
 * content) so a stateless continuation works. A local block id is never sent as a provider id: only
 * `payload.itemId` is.
 *
 * Cross-provider policy: reasoning made by another provider (block metadata `geppetto.provider@v1`), or without an
 * OpenAI reasoning item id, is dropped, as are `other` blocks of other providers; each is reported as a warning.
 * Tool call ids are kept as they are.
 */
import type { OpenAIInferenceConfig, ToolConfig } from "../../engine/inference-config.ts";
import { countTokensBody } from "../../provider-kit/count-tokens.ts";
import type { PreparedInference } from "../../provider-kit/prepare.ts";
import { droppedBlockWarning, foreignProducer } from "../../provider-kit/reasoning.ts";
import { describeToolContentPart, toolContentOf, toolResultText } from "../../tools/content.ts";
import { isJsonObject, type JsonObject, type JsonValue } from "../../turns/json.ts";
import type { Block, ImagePart, Turn } from "../../turns/types.ts";
import { checkPdf, documentDataUrl, documentFilename } from "../documents.ts";
import { PieceCache } from "../transport/json-pieces.ts";
import {
  HOSTED_ITEM_TYPES,
  KeyResponsesAnnotations,
  KeyResponsesPhase,
  openaiResponsesProvider,
} from "./descriptor.ts";
import type { ResponsesInputItem, ResponsesRequestBody } from "./wire.ts";

/**
 * What the request builder needs besides the prepared inference.
 *
 * @example
 * const options: ResponsesRequestOptions = { model: "gpt-5-mini", stream: true, serverTools: [{ type: "web_search" }] };
 */
export interface ResponsesRequestOptions {
  model: string;
  stream: boolean;
  /** Provider tools sent as they are, e.g. `{ type: "web_search" }`. */
  serverTools?: JsonObject[];
  /**
   * Input items made of frozen blocks come as cached serialized pieces (`JsonPiece`s, which the transport
   * splices in as bytes), so a long conversation's request costs what is new. Off by default: plain JSON.
   */
  cacheMessages?: boolean;
}

/**
 * A request body plus what the builder had to leave out.
 *
 * @example
 * const { body, warnings } = buildResponsesRequest(prepareTurn(turn, []), { model: "gpt-4.1", stream: true });
 */
export interface ResponsesRequest {
  body: ResponsesRequestBody;
  /** Settings or blocks that could not be sent, as readable messages (the engine publishes them). */
  warnings: string[];
}

/**
 * True for models that reject sampling parameters (`temperature`, `top_p`) and accept `reasoning`:
 * the o-series and the gpt-5 family except its `-chat` variants.
 *
 * @example
 * isReasoningModel("o3-mini") // true
 * isReasoningModel("gpt-4.1") // false
 */
export function isReasoningModel(model: string): boolean {
  const name = model.toLowerCase().replace(/^.*\//, "");
  if (/^o\d/.test(name)) return true;
  return /^(gpt-5|codex)/.test(name) && !name.includes("-chat");
}

function imageUrl(image: ImagePart): string | undefined {
  if (image.url !== undefined) return image.url;
  if (image.data !== undefined) return `data:${image.mediaType};base64,${image.data}`;
  return undefined;
}

function userContent(block: Block & { kind: "user" }, where: string): JsonObject[] {
  const { text, images, documents } = block.payload;
  const content: JsonObject[] = [];
  if (text.length > 0) content.push({ type: "input_text", text });
  (documents ?? []).forEach((document, index) => {
    checkPdf(document, `${where}.payload.documents[${index}]`, "OpenAI");
    const filename = documentFilename(document, index);
    content.push({ type: "input_file", filename, file_data: documentDataUrl(document) });
  });
  for (const image of images ?? []) {
    const part: JsonObject = { type: "input_image", detail: image.detail ?? "auto" };
    const url = imageUrl(image);
    if (url !== undefined) part.image_url = url;
    else if (image.fileId !== undefined) part.file_id = image.fileId;
    content.push(part);
  }
  return content;
}

function itemIdOf(payload: object): string | undefined {
  const itemId = (payload as { itemId?: unknown }).itemId;
  return typeof itemId === "string" && itemId.length > 0 ? itemId : undefined;
}

function toolOutput(result: JsonValue, error: string | undefined): string | JsonObject[] {
  if (error !== undefined) return JSON.stringify({ error });
  const rich = toolContentOf(result);
  if (!rich?.content.some((part) => part.type === "image")) return toolResultText(result);
  // With images: the output as content parts (the Responses API takes input_text and input_image there).
  const parts: JsonObject[] = rich.content.map((part) =>
    part.type === "image"
      ? { type: "input_image", image_url: `data:${part.mediaType};base64,${part.data}` }
      : { type: "input_text", text: describeToolContentPart(part) },
  );
  if (rich.structuredContent)
    parts.push({ type: "input_text", text: JSON.stringify(rich.structuredContent) });
  return parts;
}

/** How blocks become items: `itemIds` false drops message and function-call item ids (`store: false`). */
interface ItemContext {
  warnings: string[];
  where: string;
  itemIds: boolean;
}

function blockToItems(block: Block, context: ItemContext): ResponsesInputItem[] {
  const { warnings, where } = context;
  switch (block.kind) {
    case "system":
      return [];
    case "user":
      return [{ type: "message", role: "user", content: userContent(block, where) }];
    case "llm_text": {
      // The annotations (url citations) and phase of this provider's own messages go back with them.
      const own = foreignProducer(block, openaiResponsesProvider) === undefined;
      const annotations = (own ? KeyResponsesAnnotations.get(block) : undefined) ?? [];
      const item: ResponsesInputItem = {
        type: "message",
        role: "assistant",
        content: [{ type: "output_text", text: block.payload.text, annotations }],
      };
      const itemId = itemIdOf(block.payload);
      if (context.itemIds && itemId?.startsWith("msg_")) item.id = itemId;
      const phase = own ? KeyResponsesPhase.get(block) : undefined;
      if (phase !== undefined) item.phase = phase;
      return [item];
    }
    case "tool_call": {
      const { payload } = block;
      const item: ResponsesInputItem = {
        type: "function_call",
        call_id: payload.id,
        name: payload.name,
        arguments: payload.argsText ?? JSON.stringify(payload.args),
      };
      const itemId = itemIdOf(payload);
      if (context.itemIds && itemId?.startsWith("fc_")) item.id = itemId;
      return [item];
    }
    case "tool_use":
      return [
        {
          type: "function_call_output",
          call_id: block.payload.id,
          output: toolOutput(block.payload.result, block.payload.error),
        },
      ];
    case "reasoning": {
      const { payload } = block;
      const itemId = payload.itemId;
      const producer = foreignProducer(block, openaiResponsesProvider);
      if (producer !== undefined) {
        warnings.push(droppedBlockWarning(where, producer));
        return [];
      }
      if (itemId === undefined || !itemId.startsWith("rs_")) {
        warnings.push(`${where}: reasoning without an OpenAI reasoning item id was dropped`);
        return [];
      }
      const item: ResponsesInputItem = {
        type: "reasoning",
        id: itemId,
        summary: (payload.summary ?? []).map((text) => ({ type: "summary_text", text })),
      };
      // The reasoning text itself goes back as `reasoning_text` content, unless it is only the summary's text
      // (the stream shows summary deltas as the block's text).
      const text = payload.text ?? "";
      if (text.length > 0 && text !== (payload.summary ?? []).join("\n\n")) {
        item.content = [{ type: "reasoning_text", text }];
      }
      if (payload.encryptedContent !== undefined) item.encrypted_content = payload.encryptedContent;
      return [item];
    }
    case "other": {
      const { type, data } = block.payload;
      const itemType = type.slice("openai_responses.".length);
      if (type.startsWith("openai_responses.") && HOSTED_ITEM_TYPES.has(itemType) && isJsonObject(data)) {
        return [{ ...data, type: itemType }];
      }
      warnings.push(`${where}: block of type ${JSON.stringify(type)} is not sent to OpenAI Responses`);
      return [];
    }
  }
}

function toolChoiceOf(choice: ToolConfig["toolChoice"]): JsonValue | undefined {
  if (choice === undefined) return undefined;
  if (typeof choice === "string") return choice;
  return { type: "function", name: choice.name };
}

/** The instructions and input items of a turn; every block that cannot be sent is a warning. */
function itemsOf(
  turn: Turn,
  warnings: string[],
  itemIds: boolean,
): { instructions: string[]; input: ResponsesInputItem[] } {
  const instructions: string[] = [];
  const input: ResponsesInputItem[] = [];
  turn.blocks.forEach((block, index) => {
    if (block.kind === "system") {
      if (block.payload.text.length > 0) instructions.push(block.payload.text);
      if ((block.payload.images?.length ?? 0) > 0) {
        warnings.push(
          `turn.blocks[${index}] (system): images on a system block are not sent (Responses instructions are text only); put them on a user block`,
        );
      }
      return;
    }
    input.push(...blockToItems(block, { warnings, where: `turn.blocks[${index}] (${block.kind})`, itemIds }));
  });
  return { instructions, input };
}

/**
 * The serialized items of frozen blocks (see PieceCache), one cache per way of writing them: with item ids, and
 * without (`store: false`), so the two never share bytes.
 */
const itemPieces = { withIds: new PieceCache(), withoutIds: new PieceCache() };

/** The input items as cached pieces, one block each; undefined when a block warns (then built as a whole). */
function cachedItems(turn: Turn, itemIds: boolean): ResponsesInputItem[] | undefined {
  const cache = itemIds ? itemPieces.withIds : itemPieces.withoutIds;
  const pieces = cache.pieces(
    turn,
    () => true,
    (group) => {
      const warnings: string[] = [];
      const values = itemsOf({ ...turn, blocks: group }, warnings, itemIds).input;
      return { values, clean: warnings.length === 0 };
    },
  );
  // Pieces serialize as the items they hold (JSON.stringify goes through their toJSON).
  return pieces as unknown as ResponsesInputItem[] | undefined;
}

function instructionsOf(turn: Turn): string[] {
  const instructions: string[] = [];
  for (const block of turn.blocks)
    if (block.kind === "system" && block.payload.text.length > 0) instructions.push(block.payload.text);
  return instructions;
}

/**
 * Builds the `POST /responses` body from the prepared inference. Every setting it cannot send is a warning.
 *
 * @example
 * const { body } = buildResponsesRequest(prepareTurn(turn, []), { model: "gpt-5-mini", stream: true });
 * body.input // [{ type: "message", role: "user", content: [{ type: "input_text", text: "Hello" }] }]
 */
export function buildResponsesRequest(
  prepared: PreparedInference<OpenAIInferenceConfig>,
  options: ResponsesRequestOptions,
): ResponsesRequest {
  const { turn, inference, toolConfig, provider: openai, warnings, drop } = prepared;
  // Without server-side storage only reasoning items (with their encrypted content) keep their ids.
  const itemIds = openai.store !== false;
  const cached = options.cacheMessages ? cachedItems(turn, itemIds) : undefined;
  const { instructions, input } = cached
    ? { instructions: instructionsOf(turn), input: cached }
    : itemsOf(turn, warnings, itemIds);

  const body: ResponsesRequestBody = { model: options.model, input };
  if (instructions.length > 0) body.instructions = instructions.join("\n\n");
  body.stream = options.stream;

  const reasoningModel = isReasoningModel(options.model);

  if (reasoningModel) {
    for (const field of ["temperature", "topP"] as const)
      drop(field, inference[field], `${options.model} rejects it`);
  } else {
    if (inference.temperature !== undefined) body.temperature = inference.temperature;
    if (inference.topP !== undefined) body.top_p = inference.topP;
  }
  if (inference.maxResponseTokens !== undefined) body.max_output_tokens = inference.maxResponseTokens;
  const unsupported = "the Responses API takes none";
  drop("stop", inference.stop, unsupported);
  drop("seed", inference.seed, unsupported);
  drop(
    "includeThoughts",
    inference.includeThoughts,
    "the Responses API returns summaries (reasoningSummary)",
  );
  for (const field of ["n", "presencePenalty", "frequencyPenalty", "logitBias"] as const) {
    drop(field, openai[field], unsupported);
  }

  const reasoning: { effort?: string; summary?: string; max_tokens?: number } = {};
  if (inference.thinkingBudget !== undefined && inference.thinkingBudget > 0) {
    if (reasoningModel) reasoning.max_tokens = inference.thinkingBudget;
    else drop("thinkingBudget", inference.thinkingBudget, `${options.model} does not reason`);
  }
  if (inference.reasoningEffort !== undefined) reasoning.effort = inference.reasoningEffort;
  if (inference.reasoningSummary !== undefined && inference.reasoningSummary !== "none") {
    reasoning.summary = inference.reasoningSummary;
  }
  if (Object.keys(reasoning).length > 0) body.reasoning = reasoning;
  if (reasoningModel || body.reasoning !== undefined) body.include = ["reasoning.encrypted_content"];

  if (openai.store !== undefined) body.store = openai.store;
  if (openai.serviceTier !== undefined) body.service_tier = openai.serviceTier;
  if (openai.user !== undefined) body.user = openai.user;

  if (toolConfig.enabled !== false) {
    const tools: JsonObject[] = prepared.tools.map((tool) => ({
      type: "function",
      name: tool.name,
      description: tool.description,
      parameters: tool.parameters,
      strict: tool.strict ?? false,
    }));
    tools.push(...(options.serverTools ?? []));
    if (tools.length > 0) {
      body.tools = tools;
      const choice = toolChoiceOf(toolConfig.toolChoice);
      if (choice !== undefined) body.tool_choice = choice;
      if (toolConfig.parallelToolCalls !== undefined) body.parallel_tool_calls = toolConfig.parallelToolCalls;
    }
  }

  const config = prepared.structuredOutput;
  if (config) {
    const format: JsonObject = {
      type: "json_schema",
      name: config.name,
      schema: config.schema as JsonObject,
      strict: config.strict ?? true,
    };
    if (config.description !== undefined) format.description = config.description;
    body.text = { format };
  }
  return { body, warnings };
}

/** The fields of the inference body `POST /responses/input_tokens` takes (its API reference). */
export const RESPONSES_COUNT_FIELDS = [
  ...["model", "input", "instructions", "tools", "tool_choice", "parallel_tool_calls", "reasoning", "text"],
  ...["truncation", "conversation", "previous_response_id"],
];

/**
 * Builds the `POST /responses/input_tokens` body through {@link buildResponsesRequest}: the inference body, less
 * what counting does not take (`stream`, `include`, `store`, sampling, `max_output_tokens`, `service_tier`, …).
 *
 * @example
 * buildResponsesCountRequest(prepareTurn(turn, []), { model: "gpt-5-mini", stream: true }).body // { model, input }
 */
export function buildResponsesCountRequest(
  prepared: PreparedInference<OpenAIInferenceConfig>,
  options: ResponsesRequestOptions,
): { body: Partial<ResponsesRequestBody>; warnings: string[] } {
  const built = buildResponsesRequest(prepared, options);
  return { body: countTokensBody(built.body, RESPONSES_COUNT_FIELDS), warnings: built.warnings };
}
