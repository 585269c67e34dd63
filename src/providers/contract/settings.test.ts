/**
 * Every setting reaches the wire, or says why not: for every registered provider, each field of the per-turn
 * inference config, of the tool config and of the provider's own config is set in Turn.data (seed 004's
 * per-turn keys), one inference runs over real HTTP against the local provider server, and the request body
 * must carry the setting where that provider's API takes it, or the inference must publish a warning
 * `<setting> not sent: <why>`. A setting nothing applies fails here.
 */
import { describe, expect, it } from "vitest";
import {
  type InferenceConfig,
  KeyClaudeInferenceConfig,
  KeyInferenceConfig,
  KeyOpenAIInferenceConfig,
  KeyToolConfig,
  type ToolConfig,
} from "../../engine/inference-config.ts";
import { ToolCatalogKey } from "../../engine/tools.ts";
import { CollectingSink, RunContext } from "../../events/context.ts";
import type { WireProtocol } from "../../provider-kit/descriptor.ts";
import { newTurn, newUserTextBlock } from "../../turns/builders.ts";
import type { TurnDataKey } from "../../turns/keys.ts";
import type { Turn } from "../../turns/types.ts";
import { KeyGeminiInferenceConfig } from "../gemini/descriptor.ts";
import { KeyOllamaInferenceConfig } from "../ollama/descriptor.ts";
import { setupLocalServer } from "../test-support.ts";
import { contractCatalog, contractEngines, requestBody } from "./engines.ts";

const server = setupLocalServer();
const ENGINES = await contractEngines();

/** Where a setting lands in the body (a dotted path; with the value expected there when it is not the setting's own), or `warn`. */
type Landing = string | { path: string; value: unknown } | "warn";
/** Several landings: the first that matches wins (OpenAI-compatible profiles differ on `reasoning_effort`). */
type Expected = Landing | readonly Landing[];

const NEUTRAL: Required<InferenceConfig> = {
  temperature: 0.3,
  topP: 0.97,
  maxResponseTokens: 3000,
  stop: ["STOP"],
  seed: 7,
  thinkingBudget: 2048,
  reasoningEffort: "low",
  reasoningSummary: "concise",
  includeThoughts: true,
};

const NEUTRAL_WIRE: Record<WireProtocol, Record<keyof InferenceConfig, Expected>> = {
  "openai-chat": {
    temperature: "temperature",
    topP: "top_p",
    maxResponseTokens: ["max_tokens", "max_completion_tokens"],
    stop: "stop",
    seed: "seed",
    thinkingBudget: "warn",
    reasoningEffort: ["reasoning_effort", "warn"],
    reasoningSummary: "warn",
    includeThoughts: "warn",
  },
  // The contract model, gpt-5-mini, is a reasoning model: it rejects sampling parameters.
  "openai-responses": {
    temperature: "warn",
    topP: "warn",
    maxResponseTokens: "max_output_tokens",
    stop: "warn",
    seed: "warn",
    thinkingBudget: "reasoning.max_tokens",
    reasoningEffort: "reasoning.effort",
    reasoningSummary: "reasoning.summary",
    includeThoughts: "warn",
  },
  anthropic: {
    temperature: "temperature",
    topP: "top_p",
    maxResponseTokens: "max_tokens",
    stop: "stop_sequences",
    seed: "warn",
    thinkingBudget: "thinking.budget_tokens",
    reasoningEffort: "warn",
    reasoningSummary: "warn",
    includeThoughts: "warn",
  },
  gemini: {
    temperature: "generationConfig.temperature",
    topP: "generationConfig.topP",
    maxResponseTokens: "generationConfig.maxOutputTokens",
    stop: "generationConfig.stopSequences",
    seed: "generationConfig.seed",
    thinkingBudget: "generationConfig.thinkingConfig.thinkingBudget",
    reasoningEffort: "generationConfig.thinkingConfig.thinkingLevel",
    reasoningSummary: "warn",
    includeThoughts: "generationConfig.thinkingConfig.includeThoughts",
  },
  ollama: {
    temperature: "options.temperature",
    topP: "options.top_p",
    maxResponseTokens: "options.num_predict",
    stop: "options.stop",
    seed: "options.seed",
    thinkingBudget: { path: "think", value: true },
    reasoningEffort: "think",
    reasoningSummary: "warn",
    includeThoughts: "think",
  },
};

const TOOL_CONFIG: Record<WireProtocol, Record<string, [ToolConfig, Expected]>> = {
  "openai-chat": {
    toolChoice: [{ toolChoice: "required" }, "tool_choice"],
    parallelToolCalls: [{ parallelToolCalls: false }, "parallel_tool_calls"],
    allowedTools: [{ allowedTools: ["get_time"] }, { path: "tools.0.function.name", value: "get_time" }],
  },
  "openai-responses": {
    toolChoice: [{ toolChoice: "required" }, "tool_choice"],
    parallelToolCalls: [{ parallelToolCalls: false }, "parallel_tool_calls"],
    allowedTools: [{ allowedTools: ["get_time"] }, { path: "tools.0.name", value: "get_time" }],
  },
  anthropic: {
    toolChoice: [{ toolChoice: "required" }, { path: "tool_choice.type", value: "any" }],
    parallelToolCalls: [
      { parallelToolCalls: false },
      { path: "tool_choice.disable_parallel_tool_use", value: true },
    ],
    allowedTools: [{ allowedTools: ["get_time"] }, { path: "tools.0.name", value: "get_time" }],
  },
  gemini: {
    toolChoice: [{ toolChoice: "required" }, { path: "toolConfig.functionCallingConfig.mode", value: "ANY" }],
    parallelToolCalls: [{ parallelToolCalls: false }, "warn"],
    allowedTools: [
      { allowedTools: ["get_time"] },
      { path: "tools.0.functionDeclarations.0.name", value: "get_time" },
    ],
  },
  ollama: {
    toolChoice: [{ toolChoice: "none" }, { path: "tools", value: undefined }],
    parallelToolCalls: [{ parallelToolCalls: false }, "warn"],
    allowedTools: [{ allowedTools: ["get_time"] }, { path: "tools.0.function.name", value: "get_time" }],
  },
};

const OPENAI_CONFIG = {
  n: 2,
  presencePenalty: 0.5,
  frequencyPenalty: 0.4,
  store: false,
  serviceTier: "flex",
  user: "user-1",
  logitBias: { "50256": -100 },
};

/** Each provider's own settings: its key, and per field the value set and where it lands. */
const PROVIDER_CONFIG: Record<WireProtocol, [TurnDataKey<object>, Record<string, [unknown, Expected]>]> = {
  "openai-chat": [
    KeyOpenAIInferenceConfig,
    {
      n: [OPENAI_CONFIG.n, "n"],
      presencePenalty: [OPENAI_CONFIG.presencePenalty, "presence_penalty"],
      frequencyPenalty: [OPENAI_CONFIG.frequencyPenalty, "frequency_penalty"],
      store: [OPENAI_CONFIG.store, "store"],
      serviceTier: [OPENAI_CONFIG.serviceTier, "service_tier"],
      user: [OPENAI_CONFIG.user, "user"],
      logitBias: [OPENAI_CONFIG.logitBias, "logit_bias"],
    },
  ],
  "openai-responses": [
    KeyOpenAIInferenceConfig,
    {
      n: [OPENAI_CONFIG.n, "warn"],
      presencePenalty: [OPENAI_CONFIG.presencePenalty, "warn"],
      frequencyPenalty: [OPENAI_CONFIG.frequencyPenalty, "warn"],
      store: [OPENAI_CONFIG.store, "store"],
      serviceTier: [OPENAI_CONFIG.serviceTier, "service_tier"],
      user: [OPENAI_CONFIG.user, "user"],
      logitBias: [OPENAI_CONFIG.logitBias, "warn"],
    },
  ],
  anthropic: [
    KeyClaudeInferenceConfig,
    {
      userId: ["user-1", "metadata.user_id"],
      topK: [5, "top_k"],
      promptCaching: [true, { path: "messages.0.content.0.cache_control.type", value: "ephemeral" }],
    },
  ],
  gemini: [
    KeyGeminiInferenceConfig,
    {
      topK: [5, "generationConfig.topK"],
      presencePenalty: [0.5, "generationConfig.presencePenalty"],
      frequencyPenalty: [0.4, "generationConfig.frequencyPenalty"],
      safetySettings: [
        [{ category: "HARM_CATEGORY_HATE_SPEECH", threshold: "BLOCK_NONE" }],
        "safetySettings",
      ],
      cachedContent: ["cachedContents/abc", "cachedContent"],
      responseModalities: [["TEXT"], "generationConfig.responseModalities"],
      mediaResolution: ["MEDIA_RESOLUTION_LOW", "generationConfig.mediaResolution"],
      streamFunctionCallArguments: [true, "toolConfig.functionCallingConfig.streamFunctionCallArguments"],
    },
  ],
  ollama: [
    KeyOllamaInferenceConfig,
    {
      topK: [5, "options.top_k"],
      numCtx: [4096, "options.num_ctx"],
      keepAlive: ["5m", "keep_alive"],
      options: [{ mirostat: 1 }, { path: "options.mirostat", value: 1 }],
    },
  ],
};

function at(body: unknown, path: string): unknown {
  let value = body;
  for (const part of path.split(".")) {
    if (typeof value !== "object" || value === null) return undefined;
    value = (value as Record<string, unknown>)[part];
  }
  return value;
}

/** Runs one inference of `turn` and reports whether `setting` landed where `expected` says. */
async function landing(
  create: () => { runInference(turn: Turn, ctx: RunContext): Promise<Turn> },
  turn: Turn,
  setting: string,
  value: unknown,
  expected: Expected,
): Promise<string> {
  const sink = new CollectingSink();
  await create().runInference(
    turn,
    RunContext.background().with(ToolCatalogKey, contractCatalog).withSinks(sink),
  );
  const body = requestBody(server);
  const warnings = sink.ofType("log").map((event) => event.message);
  const landings: readonly Landing[] = Array.isArray(expected) ? expected : [expected as Landing];
  for (const each of landings) {
    if (each === "warn") {
      if (warnings.some((message) => message.startsWith(`${setting} not sent: `))) return "ok";
    } else {
      const [path, wanted] = typeof each === "string" ? [each, value] : [each.path, each.value];
      if (JSON.stringify(at(body, path)) === JSON.stringify(wanted)) return "ok";
    }
  }
  return `${setting}: not in the body where expected (${JSON.stringify(expected)}) and no warning; body ${JSON.stringify(body)}; warnings ${JSON.stringify(warnings)}`;
}

const question = () => newTurn([newUserTextBlock("What is the weather in Paris?")]);

describe.each(ENGINES)("every setting of $name reaches the wire or warns", (adapter) => {
  const create = () => adapter.create(server);

  it.each(Object.keys(NEUTRAL) as (keyof InferenceConfig)[])("inference %s", async (setting) => {
    const turn = KeyInferenceConfig.set(question(), { [setting]: NEUTRAL[setting] });
    const expected = NEUTRAL_WIRE[adapter.protocol][setting];
    expect(await landing(create, turn, setting, NEUTRAL[setting], expected)).toBe("ok");
  });

  it.each(Object.entries(TOOL_CONFIG[adapter.protocol]))("tools %s", async (setting, [config, expected]) => {
    const turn = KeyToolConfig.set(question(), config);
    const value = config[setting as keyof ToolConfig];
    expect(await landing(create, turn, setting, value, expected)).toBe("ok");
  });

  const [key, fields] = PROVIDER_CONFIG[adapter.protocol];
  it.each(Object.entries(fields))("own %s", async (setting, [value, expected]) => {
    const turn = key.set(question(), { [setting]: value });
    expect(await landing(create, turn, setting, value, expected)).toBe("ok");
  });
});
