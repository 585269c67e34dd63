/**
 * Turn → Gemini `generateContent` request body.
 *
 * System blocks become `systemInstruction`; user blocks and tool results (`functionResponse`) are `user`
 * contents; answer text, function calls, thoughts and raw Gemini parts are `model` contents. Consecutive blocks
 * of one role share one content, so parallel function calls and their responses travel together.
 *
 * Thought signatures go back on the part they came with (see `descriptor.ts`): on the text or functionCall part
 * of the block, as an empty text part after it, or on a thought part (`payload.signature`).
 *
 * Cross-provider policy: reasoning made by another provider is dropped (Gemini cannot verify it) and so are
 * `other` blocks that are not Gemini parts; both are reported as warnings. Tool call ids are kept in the Turn;
 * on the wire Gemini pairs calls and responses by name and order, so only ids Gemini gave are sent. Gemini 3
 * models reject a model step whose first function call has no signature; for calls made by another provider
 * the builder sends Google's documented placeholder ({@link FOREIGN_CALL_SIGNATURE}) on those models.
 */
import { CallerError } from "../../engine/errors.ts";
import type { PreparedInference } from "../../provider-kit/prepare.ts";
import { droppedBlockWarning, isOwnBlock } from "../../provider-kit/reasoning.ts";
import { toolContentOf, toolResultText } from "../../tools/content.ts";
import { isJsonObject, type JsonObject, type JsonValue } from "../../turns/json.ts";
import { KeyBlockMetaProvider } from "../../turns/keys.ts";
import type { Block, DocumentPart, ImagePart, ToolCallBlock, ToolUseBlock, Turn } from "../../turns/types.ts";
import { checkPdf } from "../documents.ts";
import { PieceCache } from "../transport/json-pieces.ts";
import {
  GEMINI_PART_TYPE,
  type GeminiInferenceConfig,
  geminiProvider,
  KeyGeminiCallId,
  KeyGeminiThoughtSignature,
  KeyGeminiTrailingSignature,
} from "./descriptor.ts";
import { generationConfig } from "./request-config.ts";
import { toolsAndConfig } from "./request-tools.ts";
import type { GeminiContent, GeminiFunctionResponse, GeminiPart, GeminiRequestBody } from "./wire.ts";

/**
 * The placeholder signature Google documents for function calls that did not come from Gemini (a conversation
 * moved from another model): it tells Gemini 3 to skip signature validation for that call.
 */
export const FOREIGN_CALL_SIGNATURE = "skip_thought_signature_validator";

/**
 * What the request builder needs besides the prepared inference.
 *
 * @example
 * const options: GeminiRequestOptions = { model: "gemini-2.5-flash" };
 */
export interface GeminiRequestOptions {
  /** The model; Gemini 3 models get {@link FOREIGN_CALL_SIGNATURE} on unsigned first calls of a step. */
  model?: string;
  /**
   * Contents made of frozen blocks come as cached serialized pieces (`JsonPiece`s, which the transport splices
   * in as bytes), so a long conversation's request costs what is new. Off by default: the body is plain JSON.
   */
  cacheMessages?: boolean;
}

/** A request body plus what the builder had to leave out. */
export interface GeminiRequest {
  body: GeminiRequestBody;
  /** Settings or blocks that could not be sent, as readable messages (the engine publishes them). */
  warnings: string[];
}

/** Where Gemini's Files API files live (a `files/abc` id becomes a URI under it). */
const FILES_BASE = "https://generativelanguage.googleapis.com/v1beta/";

/** The resource name of a model: `models/{model}`, or the name as given when it has a prefix. */
const geminiModelName = (model: string): string =>
  /^(models|tunedModels)\//.test(model) ? model : `models/${model}`;

/**
 * The path of a model method: `/models/{model}:generateContent`, `…:streamGenerateContent?alt=sse`, the
 * JSON-array stream (`…:streamGenerateContent`, no `alt`) or `…:countTokens`. A model already prefixed (`models/…`,
 * `tunedModels/…`) keeps its prefix.
 *
 * @example
 * geminiPath("gemini-2.5-flash", "sse") // "/models/gemini-2.5-flash:streamGenerateContent?alt=sse"
 */
export function geminiPath(model: string, mode: "sse" | "json-array" | "none" | "count"): string {
  const name = geminiModelName(model);
  if (mode === "count") return `/${name}:countTokens`;
  if (mode === "none") return `/${name}:generateContent`;
  return `/${name}:streamGenerateContent${mode === "sse" ? "?alt=sse" : ""}`;
}

function imagePart(image: ImagePart, where: string): GeminiPart {
  if (image.data !== undefined) return { inlineData: { mimeType: image.mediaType, data: image.data } };
  const uri = image.url ?? (image.fileId?.startsWith("files/") ? FILES_BASE + image.fileId : image.fileId);
  if (uri === undefined) throw new CallerError(`${where}: image has none of data, url or fileId`);
  return { fileData: { mimeType: image.mediaType, fileUri: uri } };
}

function userParts(
  { text, images, documents }: { text: string; images?: ImagePart[]; documents?: DocumentPart[] },
  where: string,
): GeminiPart[] {
  const parts: GeminiPart[] = [];
  (documents ?? []).forEach((document, index) => {
    checkPdf(document, `${where}.payload.documents[${index}]`, "Gemini");
    parts.push({ inlineData: { mimeType: document.mediaType, data: document.data } });
  });
  if (text.length > 0) parts.push({ text });
  (images ?? []).forEach((image, index) => {
    parts.push(imagePart(image, `${where}.payload.images[${index}]`));
  });
  return parts;
}

function withSignature(part: GeminiPart, signature: string | undefined): GeminiPart {
  if (signature !== undefined) part.thoughtSignature = signature;
  return part;
}

function fromGemini(block: Block): boolean {
  return isOwnBlock(block, geminiProvider);
}

/** The `response` object of a functionResponse: `{output}` on success, `{error}` on failure (Gemini's advice). */
function functionResponseBody(result: JsonValue, error: string | undefined): JsonObject {
  if (error !== undefined) return { error };
  return { output: toolContentOf(result) ? toolResultText(result) : result };
}

/** The tool calls of a Turn by id (tool results look up their call's name and provider id). */
type CallsById = Map<string, ToolCallBlock>;

function toolNameFor(block: ToolUseBlock, calls: CallsById, index: number): string {
  if (block.payload.name) return block.payload.name;
  const callId = block.payload.id;
  const call = calls.get(callId);
  if (call) return call.payload.name;
  throw new CallerError(
    `turn.blocks[${index}] (tool_use ${JSON.stringify(callId)}): Gemini needs the tool name; set payload.name ` +
      "or keep the matching tool_call block in the Turn",
  );
}

function callsOf(turn: Turn): CallsById {
  const calls: CallsById = new Map();
  for (const block of turn.blocks) if (block.kind === "tool_call") calls.set(block.payload.id, block);
  return calls;
}

/** The parts one block contributes, with the role they go under (undefined: nothing to send). */
function blockParts(
  calls: CallsById,
  block: Block,
  index: number,
  warnings: string[],
): { role: "user" | "model"; parts: GeminiPart[] } | undefined {
  const where = `turn.blocks[${index}]`;
  const own = fromGemini(block);
  const signature = own ? KeyGeminiThoughtSignature.get(block) : undefined;
  let result: { role: "user" | "model"; parts: GeminiPart[] } | undefined;
  switch (block.kind) {
    case "system":
      return undefined;
    case "user":
      result = { role: "user", parts: userParts(block.payload, where) };
      break;
    case "llm_text":
      // Gemini rejects empty text parts unless they carry a signature.
      if (block.payload.text.length === 0 && signature === undefined) result = { role: "model", parts: [] };
      else result = { role: "model", parts: [withSignature({ text: block.payload.text }, signature)] };
      break;
    case "reasoning": {
      if (!own) {
        warnings.push(droppedBlockWarning(where, KeyBlockMetaProvider.get(block)));
        return undefined;
      }
      const { text, signature: thoughtSignature } = block.payload;
      if (!text && thoughtSignature === undefined) break;
      result = {
        role: "model",
        parts: [withSignature({ text: text ?? "", thought: true }, thoughtSignature)],
      };
      break;
    }
    case "tool_call": {
      const { payload } = block;
      const call: JsonObject = { name: payload.name, args: payload.args };
      if (payload.argsText !== undefined)
        warnings.push(`${where}: arguments were not a JSON object; sent as parsed`);
      const callId = own ? KeyGeminiCallId.get(block) : undefined;
      if (callId !== undefined) call.id = callId;
      result = { role: "model", parts: [withSignature({ functionCall: call }, signature)] };
      break;
    }
    case "tool_use": {
      const { payload } = block;
      const response: GeminiFunctionResponse = {
        name: toolNameFor(block, calls, index),
        response: functionResponseBody(payload.result, payload.error),
      };
      const call = calls.get(payload.id);
      const callId = call && fromGemini(call) ? KeyGeminiCallId.get(call) : undefined;
      if (callId !== undefined) response.id = callId;
      result = { role: "user", parts: [{ functionResponse: response }] };
      break;
    }
    case "other": {
      if (own && block.payload.type === GEMINI_PART_TYPE && isJsonObject(block.payload.data)) {
        result = { role: "model", parts: [{ ...block.payload.data }] };
        break;
      }
      warnings.push(`${where}: ${block.payload.type} block has no Gemini form; dropped`);
      return undefined;
    }
  }
  if (!result) return undefined;
  const trailing = own ? KeyGeminiTrailingSignature.get(block) : undefined;
  if (trailing !== undefined) result.parts.push({ text: "", thoughtSignature: trailing });
  return result.parts.length > 0 ? result : undefined;
}

function contentsOf(
  turn: Turn,
  warnings: string[],
  calls: CallsById = callsOf(turn),
): { contents: GeminiContent[]; system: GeminiPart[] } {
  const contents: GeminiContent[] = [];
  const system: GeminiPart[] = [];
  turn.blocks.forEach((block, index) => {
    if (block.kind === "system") {
      if (block.payload.text.length > 0) system.push({ text: block.payload.text });
      if (block.payload.images?.length)
        warnings.push(`turn.blocks[${index}]: images in a system block dropped`);
      return;
    }
    const entry = blockParts(calls, block, index, warnings);
    if (!entry) return;
    const last = contents[contents.length - 1];
    if (last && last.role === entry.role) last.parts.push(...entry.parts);
    else contents.push({ role: entry.role, parts: entry.parts });
  });
  return { contents, system };
}

/**
 * The role a block's parts go under; undefined when it sends none (system text, empty text without a signature),
 * so it does not part the contents around it. Blocks that warn may say anything: they are built as a whole.
 */
function roleOf(block: Block): "user" | "model" | undefined {
  if (block.kind === "system") return undefined;
  const own = fromGemini(block);
  if (block.kind === "reasoning")
    return block.payload.text || block.payload.signature !== undefined ? "model" : undefined;
  if (own && KeyGeminiTrailingSignature.get(block) !== undefined)
    return block.kind === "user" || block.kind === "tool_use" ? "user" : "model";
  switch (block.kind) {
    case "user":
      return block.payload.text.length > 0 || (block.payload.images?.length ?? 0) > 0 ? "user" : undefined;
    case "tool_use":
      return "user";
    case "llm_text":
      return block.payload.text.length > 0 || (own && KeyGeminiThoughtSignature.get(block) !== undefined)
        ? "model"
        : undefined;
    default:
      return "model";
  }
}

/**
 * The serialized contents of groups of frozen blocks (see PieceCache), one cache per way of writing them: for
 * models that get placeholder call signatures (Gemini 3 on) and for the others, so the two never share bytes.
 */
const contentPieces = { signed: new PieceCache(), plain: new PieceCache() };

/** The contents as cached pieces, one group per content; undefined when a block warns (then built as a whole). */
function cachedContents(turn: Turn, signCalls: boolean): GeminiContent[] | undefined {
  const starts = new Set<Block>();
  let role: "user" | "model" | undefined;
  const calls: CallsById = new Map();
  for (const block of turn.blocks) {
    if (block.kind === "tool_call") calls.set(block.payload.id, block);
    const blockRole = roleOf(block);
    if (blockRole === undefined || blockRole === role) continue;
    if (role !== undefined) starts.add(block);
    role = blockRole;
  }
  const pieces = (signCalls ? contentPieces.signed : contentPieces.plain).pieces(
    turn,
    (_previous, block) => starts.has(block),
    (group) => {
      const warnings: string[] = [];
      const { contents } = contentsOf({ ...turn, blocks: group }, warnings, calls);
      if (signCalls) signFirstCalls(contents);
      return { values: contents, clean: warnings.length === 0 };
    },
  );
  // Pieces serialize as the contents they hold (JSON.stringify goes through their toJSON).
  return pieces as unknown as GeminiContent[] | undefined;
}

function systemOf(turn: Turn): GeminiPart[] {
  const system: GeminiPart[] = [];
  for (const block of turn.blocks)
    if (block.kind === "system" && block.payload.text.length > 0) system.push({ text: block.payload.text });
  return system;
}

/** True for models that validate thought signatures on function calls (Gemini 3 and later). */
function needsCallSignatures(model: string): boolean {
  const match = /gemini-(\d+)/.exec(model);
  return match !== null && Number(match[1]) >= 3;
}

/** Puts the placeholder signature on the first function call of every model content that has none. */
function signFirstCalls(contents: GeminiContent[]): void {
  for (const content of contents) {
    if (content.role !== "model") continue;
    const first = content.parts.find((part) => part.functionCall !== undefined);
    if (first && first.thoughtSignature === undefined) first.thoughtSignature = FOREIGN_CALL_SIGNATURE;
  }
}

/**
 * Builds the request body from the prepared inference. Every setting it cannot send is a warning.
 *
 * @example
 * const { body } = buildGeminiRequest(prepareTurn(newTurn([newUserTextBlock("Hi")]), []), { model: "gemini-2.5-flash" });
 * body.contents // [{ role: "user", parts: [{ text: "Hi" }] }]
 */
export function buildGeminiRequest(
  prepared: PreparedInference<GeminiInferenceConfig>,
  options: GeminiRequestOptions = {},
): GeminiRequest {
  const { turn, inference, toolConfig, provider: gemini, warnings } = prepared;
  const signCalls = options.model !== undefined && needsCallSignatures(options.model);
  const cached = options.cacheMessages ? cachedContents(turn, signCalls) : undefined;
  const { contents, system } = cached
    ? { contents: cached, system: systemOf(turn) }
    : contentsOf(turn, warnings);
  if (signCalls && !cached) signFirstCalls(contents);
  const body: GeminiRequestBody = { contents };
  if (system.length > 0) body.systemInstruction = { parts: system };
  Object.assign(body, toolsAndConfig(prepared.tools, toolConfig, gemini, warnings));
  const config = generationConfig(inference, gemini, prepared.structuredOutput, warnings);
  if (Object.keys(config).length > 0) body.generationConfig = config;
  if (gemini.safetySettings !== undefined) body.safetySettings = gemini.safetySettings as JsonObject[];
  if (gemini.cachedContent !== undefined) body.cachedContent = gemini.cachedContent;
  prepared.drop(
    "reasoningSummary",
    inference.reasoningSummary,
    "Gemini returns thoughts (includeThoughts), not summaries",
  );
  return { body, warnings };
}

/**
 * Builds the `POST /models/{model}:countTokens` body through {@link buildGeminiRequest}: the whole inference body
 * as its `generateContentRequest`, with the model's resource name (counting takes every field).
 *
 * @example
 * buildGeminiCountRequest(prepared, { model: "gemini-2.5-flash" }).body.generateContentRequest.model // "models/gemini-2.5-flash"
 */
export function buildGeminiCountRequest(
  prepared: PreparedInference<GeminiInferenceConfig>,
  options: GeminiRequestOptions & { model: string },
): { body: { generateContentRequest: GeminiRequestBody & { model: string } }; warnings: string[] } {
  const { body, warnings } = buildGeminiRequest(prepared, options);
  return { body: { generateContentRequest: { model: geminiModelName(options.model), ...body } }, warnings };
}
