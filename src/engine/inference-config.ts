/**
 * Per-turn inference configuration, carried as typed Turn.data keys, with layered resolution.
 *
 * Resolution is per field: Turn.data > engine defaults > chat settings. A turn that sets only `thinkingBudget`
 * keeps the engine's `temperature`. (The Go version replaces the whole object: a per-turn override there must
 * repeat every field it wants to keep.)
 */
import type * as Zod from "zod";
import { turnDataKey } from "../turns/keys.ts";
import { lazy, loadZod } from "../turns/lazy-modules.ts";
import type { Turn } from "../turns/types.ts";
import { check, validatorOf } from "./validation.ts";

function buildSchemas(z: typeof Zod) {
  /** Reasoning effort, as OpenAI names it (Anthropic and Gemini map it to budgets/levels). */
  const reasoningEffort = z.enum(["none", "minimal", "low", "medium", "high", "xhigh"]);
  const inferenceConfig = z.object({
    /** Tokens the model may spend thinking (Anthropic `budget_tokens`, Gemini `thinkingBudget`). */
    thinkingBudget: z.number().int().nonnegative().optional(),
    reasoningEffort: reasoningEffort.optional(),
    /** OpenAI Responses reasoning summary. */
    reasoningSummary: z.enum(["auto", "concise", "detailed", "none"]).optional(),
    /** Ask the provider to return thoughts (Gemini `includeThoughts`). */
    includeThoughts: z.boolean().optional(),
    temperature: z.number().min(0).max(2).optional(),
    topP: z.number().min(0).max(1).optional(),
    maxResponseTokens: z.number().int().positive().optional(),
    stop: z.array(z.string()).optional(),
    seed: z.number().int().optional(),
  });
  const claudeInferenceConfig = z.object({
    userId: z.string().optional(),
    topK: z.number().int().positive().optional(),
    /** Opt-in prompt caching: `cache_control` on the system prompt, tools and the last user block. */
    promptCaching: z.boolean().optional(),
  });
  const openaiInferenceConfig = z.object({
    n: z.number().int().positive().optional(),
    presencePenalty: z.number().min(-2).max(2).optional(),
    frequencyPenalty: z.number().min(-2).max(2).optional(),
    store: z.boolean().optional(),
    serviceTier: z.string().optional(),
    user: z.string().optional(),
    /** `logit_bias` (OpenAI Chat): token id → bias from -100 to 100. */
    logitBias: z.record(z.string().regex(/^\d+$/), z.number().min(-100).max(100)).optional(),
  });
  const toolChoice = z.union([z.enum(["auto", "none", "required"]), z.object({ name: z.string() })]);
  const toolConfig = z.object({
    enabled: z.boolean().optional(),
    toolChoice: toolChoice.optional(),
    /** Only these tools are offered to the model (and may run). */
    allowedTools: z.array(z.string()).optional(),
    parallelToolCalls: z.boolean().optional(),
  });
  return {
    reasoningEffort,
    inferenceConfig,
    claudeInferenceConfig,
    openaiInferenceConfig,
    toolChoice,
    toolConfig,
  };
}

type Schemas = ReturnType<typeof buildSchemas>;

/**
 * The zod schemas of the engine configs, built on first use (importing the core does not load zod).
 *
 * @example
 * engineConfigSchemas().inferenceConfig.parse({ temperature: 0.2 });
 */
export const engineConfigSchemas: () => Schemas = lazy(() => buildSchemas(loadZod()));

/** Reasoning effort, as OpenAI names it (Anthropic and Gemini map it to budgets/levels). */
export type ReasoningEffort = Zod.infer<Schemas["reasoningEffort"]>;
/** Provider-neutral inference settings. Every field is optional; unset means "provider default". */
export type InferenceConfig = Zod.infer<Schemas["inferenceConfig"]>;
/** Anthropic-only settings. */
export type ClaudeInferenceConfig = Zod.infer<Schemas["claudeInferenceConfig"]>;
/** OpenAI-only settings. */
export type OpenAIInferenceConfig = Zod.infer<Schemas["openaiInferenceConfig"]>;
/** How the model may use tools on this turn; read by every engine. */
export type ToolChoice = Zod.infer<Schemas["toolChoice"]>;
/** The provider-facing part of the tool configuration, stored on the turn. */
export type ToolConfig = Zod.infer<Schemas["toolConfig"]>;

/*
 * The per-turn keys validate with these checks rather than the zod schemas above, so that the first inference of
 * a turn that carries a config does not load zod (≈ 60 ms). They mirror the schemas field for field; a test
 * compares both on generated values.
 */
const effortValues = ["none", "minimal", "low", "medium", "high", "xhigh"];
const inferenceConfigCheck = check.object({
  thinkingBudget: check.number({ integer: true, min: 0 }),
  reasoningEffort: check.oneOf(effortValues),
  reasoningSummary: check.oneOf(["auto", "concise", "detailed", "none"]),
  includeThoughts: check.boolean(),
  temperature: check.number({ min: 0, max: 2 }),
  topP: check.number({ min: 0, max: 1 }),
  maxResponseTokens: check.number({ integer: true, positive: true }),
  stop: check.arrayOf(check.string()),
  seed: check.number({ integer: true }),
});
const claudeInferenceConfigCheck = check.object({
  userId: check.string(),
  topK: check.number({ integer: true, positive: true }),
  promptCaching: check.boolean(),
});
const openaiInferenceConfigCheck = check.object({
  n: check.number({ integer: true, positive: true }),
  presencePenalty: check.number({ min: -2, max: 2 }),
  frequencyPenalty: check.number({ min: -2, max: 2 }),
  store: check.boolean(),
  serviceTier: check.string(),
  user: check.string(),
  logitBias: check.recordOf(/^\d+$/, "a token id (digits)", check.number({ min: -100, max: 100 })),
});
const toolConfigCheck = check.object({
  enabled: check.boolean(),
  toolChoice: check.either(
    check.oneOf(["auto", "none", "required"]),
    check.object({ name: check.string() }, ["name"]),
  ),
  allowedTools: check.arrayOf(check.string()),
  parallelToolCalls: check.boolean(),
});

/** @internal The zod-free checks of the per-turn keys, keyed like {@link engineConfigSchemas} (for tests). */
export const engineConfigChecks = {
  inferenceConfig: validatorOf<InferenceConfig>(inferenceConfigCheck),
  claudeInferenceConfig: validatorOf<ClaudeInferenceConfig>(claudeInferenceConfigCheck),
  openaiInferenceConfig: validatorOf<OpenAIInferenceConfig>(openaiInferenceConfigCheck),
  toolConfig: validatorOf<ToolConfig>(toolConfigCheck),
};

/** Turn.data: provider-neutral inference settings for this turn. */
export const KeyInferenceConfig = turnDataKey<InferenceConfig>(
  "geppetto",
  "inference_config",
  1,
  engineConfigChecks.inferenceConfig,
);
/** Turn.data: Anthropic settings for this turn. */
export const KeyClaudeInferenceConfig = turnDataKey<ClaudeInferenceConfig>(
  "geppetto",
  "claude_inference_config",
  1,
  engineConfigChecks.claudeInferenceConfig,
);
/** Turn.data: OpenAI settings for this turn. */
export const KeyOpenAIInferenceConfig = turnDataKey<OpenAIInferenceConfig>(
  "geppetto",
  "openai_inference_config",
  1,
  engineConfigChecks.openaiInferenceConfig,
);
/** Turn.data: tool choice, allowed tools, parallelism. */
export const KeyToolConfig = turnDataKey<ToolConfig>(
  "geppetto",
  "tool_config",
  1,
  engineConfigChecks.toolConfig,
);

/**
 * Merges layers per field; earlier layers win. `undefined` layers and fields are skipped.
 *
 * @example
 * mergeConfig({ temperature: 0.2 }, { temperature: 1, topP: 0.9 }) // { temperature: 0.2, topP: 0.9 }
 */
export function mergeConfig<T extends object>(...layers: (T | undefined)[]): T {
  const out: Record<string, unknown> = {};
  for (let index = layers.length - 1; index >= 0; index--) {
    const layer = layers[index];
    if (!layer) continue;
    for (const [key, value] of Object.entries(layer)) if (value !== undefined) out[key] = value;
  }
  return out as T;
}

/** The effective InferenceConfig of a turn: Turn.data > engine defaults > chat settings, per field. */
export function resolveInferenceConfig(
  turn: Turn,
  engineDefaults?: InferenceConfig,
  chatDefaults?: InferenceConfig,
): InferenceConfig {
  return mergeConfig(KeyInferenceConfig.get(turn), engineDefaults, chatDefaults);
}

/** The effective Anthropic config of a turn (Turn.data > engine defaults, per field). */
export function resolveClaudeInferenceConfig(
  turn: Turn,
  engineDefaults?: ClaudeInferenceConfig,
): ClaudeInferenceConfig {
  return mergeConfig(KeyClaudeInferenceConfig.get(turn), engineDefaults);
}

/** The effective OpenAI config of a turn (Turn.data > engine defaults, per field). */
export function resolveOpenAIInferenceConfig(
  turn: Turn,
  engineDefaults?: OpenAIInferenceConfig,
): OpenAIInferenceConfig {
  return mergeConfig(KeyOpenAIInferenceConfig.get(turn), engineDefaults);
}

/** The effective tool config of a turn (Turn.data > engine defaults, per field). */
export function resolveToolConfig(turn: Turn, engineDefaults?: ToolConfig): ToolConfig {
  return mergeConfig(KeyToolConfig.get(turn), engineDefaults);
}
