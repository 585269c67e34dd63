/**
 * The Gemini provider as the registry knows it (no engine code: that loads on first use).
 *
 * Also its settings block (Gemini-only settings: engine defaults, `createGeminiEngine({ gemini })`, with a
 * per-turn override in Turn.data, `geppetto.gemini_inference_config@v1`, resolved per field like the
 * provider-neutral InferenceConfig) and the block metadata keys the engine writes and reads back.
 *
 * Gemini requires thought signatures to come back on the very part they arrived with. A signature on a text or
 * function-call part is kept on the block made from that part ({@link KeyGeminiThoughtSignature}); a signature
 * that arrived on an empty text part right after a block is kept as {@link KeyGeminiTrailingSignature} and sent
 * back as an empty text part after that block. Signatures on `thought` parts live in the reasoning payload
 * (`payload.signature`).
 */
import type * as Zod from "zod";
import { mergeConfig } from "../../engine/inference-config.ts";
import { defineProvider, defineWireProtocol, type EngineFactory } from "../../provider-kit/descriptor.ts";
import type { JsonObject } from "../../turns/json.ts";
import { blockMetadataKey, turnDataKey } from "../../turns/keys.ts";
import { lazy, loadZod } from "../../turns/lazy-modules.ts";
import type { Turn } from "../../turns/types.ts";

/** The public Gemini API endpoint. */
export const GEMINI_DEFAULT_BASE_URL = "https://generativelanguage.googleapis.com/v1beta";

function buildSchema(z: typeof Zod) {
  return z.object({
    topK: z.number().int().positive().optional(),
    presencePenalty: z.number().optional(),
    frequencyPenalty: z.number().optional(),
    /** Sent as `safetySettings`, e.g. `[{ category: "HARM_CATEGORY_HATE_SPEECH", threshold: "BLOCK_NONE" }]`. */
    safetySettings: z.array(z.record(z.string(), z.json())).optional(),
    /** A cached content name (`cachedContents/…`). */
    cachedContent: z.string().optional(),
    /** `responseModalities`, e.g. `["TEXT", "IMAGE"]`. */
    responseModalities: z.array(z.string()).optional(),
    mediaResolution: z.string().optional(),
    /** Ask for streamed function-call arguments (`partialArgs`; Vertex AI and newer models). */
    streamFunctionCallArguments: z.boolean().optional(),
  });
}

/**
 * The zod schema of the Gemini settings that have no provider-neutral field, built on first use (importing the
 * Gemini engine does not load zod).
 *
 * @example
 * geminiInferenceConfigSchema().parse({ topK: 40, cachedContent: "cachedContents/abc" })
 */
export const geminiInferenceConfigSchema: () => ReturnType<typeof buildSchema> = lazy(() =>
  buildSchema(loadZod()),
);
/** Gemini settings that have no provider-neutral field (see {@link geminiInferenceConfigSchema}). */
export type GeminiInferenceConfig = Zod.infer<ReturnType<typeof buildSchema>>;

/**
 * Turn.data: Gemini settings for this turn.
 *
 * @example
 * const next = KeyGeminiInferenceConfig.set(turn, { streamFunctionCallArguments: true });
 */
export const KeyGeminiInferenceConfig = turnDataKey(
  "geppetto",
  "gemini_inference_config",
  1,
  geminiInferenceConfigSchema,
);

/**
 * The effective Gemini config of a turn (Turn.data > engine defaults, per field).
 *
 * @example
 * resolveGeminiInferenceConfig(turn, { topK: 40 }).topK // 40 unless the turn sets its own
 */
export function resolveGeminiInferenceConfig(
  turn: Turn,
  engineDefaults?: GeminiInferenceConfig,
): GeminiInferenceConfig {
  return mergeConfig(KeyGeminiInferenceConfig.get(turn), engineDefaults);
}

/** The provider name the engine stamps on events, blocks and results. */
export const GEMINI_PROVIDER = "gemini";

/**
 * The thought signature that came on this block's own part (a text or functionCall part).
 *
 * @example
 * KeyGeminiThoughtSignature.get(toolCallBlock) // "EskgCsYgAb4+9vtF…"
 */
export const KeyGeminiThoughtSignature = blockMetadataKey<string>("gemini", "thought_signature", 1);

/**
 * A thought signature that came on an empty text part following this block; replayed as `{text:"", …}`.
 *
 * @example
 * KeyGeminiTrailingSignature.get(textBlock) // "EqsFCqgFAb4+9vvt…"
 */
export const KeyGeminiTrailingSignature = blockMetadataKey<string>("gemini", "trailing_signature", 1);

/**
 * The function call id Gemini itself gave (some API surfaces send `functionCall.id`). Only such ids are sent
 * back; ids the engine generated stay local (see {@link geminiCallId}).
 *
 * @example
 * KeyGeminiCallId.get(toolCallBlock) // undefined when the id was generated
 */
export const KeyGeminiCallId = blockMetadataKey<string>("gemini", "call_id", 1);

/**
 * The id of the response that produced a tool_call block.
 *
 * @example
 * KeyGeminiResponseId.get(toolCallBlock) // "m36LaZGyCLz1xs0PtNSB-QU"
 */
export const KeyGeminiResponseId = blockMetadataKey<string>("gemini", "response_id", 1);

/** The `other` block type holding a part geppetto does not model (executable code, an image…), replayed as is. */
export const GEMINI_PART_TYPE = "gemini.part";

/** The raw part of a {@link GEMINI_PART_TYPE} block. */
export type GeminiRawPart = JsonObject;

/**
 * The id given to a Gemini function call that came without one: `gemini_<responseId>_<n>`, n counting the calls
 * of the response from 0 (random when the response had no id). Stable: it is stored on the tool_call block and
 * matched by the tool_use block, so a saved Turn continues with the same ids. It is never sent to Gemini;
 * requests pair calls and responses by order and name, as Gemini does.
 *
 * @example
 * geminiCallId("m36LaZGyCLz1xs0PtNSB-QU", 0) // "gemini_m36LaZGyCLz1xs0PtNSB-QU_0"
 */
export function geminiCallId(responseId: string, index: number): string {
  return `gemini_${responseId}_${index}`;
}

/**
 * The Gemini `generateContent` wire: the local provider server's modules for it and the contract suite's reader, loaded only when
 * a server starts or a suite runs.
 *
 * @example
 * GEMINI_WIRE.name // "gemini"
 */
export const GEMINI_WIRE = defineWireProtocol({
  name: "gemini",
  server: async () => {
    const [wire, counting, embeddings] = await Promise.all([
      import("../../testing/provider-server/gemini.ts"),
      import("../../testing/provider-server/count-tokens.ts"),
      import("../../testing/provider-server/embeddings.ts"),
    ]);
    return [wire.geminiProtocol, counting.geminiCountTokensProtocol, embeddings.geminiEmbeddingsProtocol];
  },
  contract: async () => (await import("../contract/gemini.ts")).geminiContract,
});

/**
 * `--ai-api-type gemini`.
 *
 * @example
 * geminiProvider.apiKey.variables // ["GEMINI_API_KEY", "GOOGLE_API_KEY"]
 */
export const geminiProvider = defineProvider({
  id: "gemini",
  aliases: [],
  description: "Google Gemini",
  settingsKey: "gemini",
  apiKey: { variables: ["GEMINI_API_KEY", "GOOGLE_API_KEY"], required: true },
  baseURL: { default: GEMINI_DEFAULT_BASE_URL, variables: ["GEMINI_BASE_URL"] },
  defaultModel: "gemini-2.5-flash",
  prices: {},
  config: { key: "gemini", schema: geminiInferenceConfigSchema },
  protocol: GEMINI_WIRE,
  load: async () => (await import("./engine.ts")).createGeminiEngine as EngineFactory,
});
