/**
 * `prepareInference`: what every request builder needs resolved before it maps blocks, done once: the Turn with
 * unanswered tool calls answered, the inference, tool, structured-output and provider configs (Turn.data over
 * the engine defaults, per field), the tools the model may see, and the warnings so far. Request builders read
 * the settings from here only, and report each one they cannot send with {@link PreparedInference.drop}, so no
 * setting is silently ignored.
 */
import {
  type InferenceConfig,
  mergeConfig,
  resolveInferenceConfig,
  resolveToolConfig,
  type ToolConfig,
} from "../engine/inference-config.ts";
import { resolveStructuredOutput, type StructuredOutputConfig } from "../engine/structured-output.ts";
import { type SchemaDialect, type ToolDescription, toolsFromContext } from "../engine/tools.ts";
import type { RunContext } from "../events/context.ts";
import { answerUnansweredToolCalls } from "../tools/results.ts";
import type { TurnDataKey } from "../turns/keys.ts";
import type { Turn } from "../turns/types.ts";
import { strictArgumentsText } from "./strict-nulls.ts";

/**
 * The engine-level defaults {@link prepareTurn} resolves the Turn's own config against.
 *
 * @example
 * const defaults: PrepareDefaults = { inference: { temperature: 0.2 }, tools: { toolChoice: "auto" } };
 */
export interface PrepareDefaults<P extends object = Record<string, never>> {
  inference?: InferenceConfig | undefined;
  tools?: ToolConfig | undefined;
  structuredOutput?: StructuredOutputConfig | undefined;
  /** The provider's own settings: the Turn.data key that overrides them per turn, and the engine defaults. */
  provider?: { key: TurnDataKey<P>; defaults?: P | undefined } | undefined;
}

/**
 * {@link PrepareDefaults} plus the dialect the context's tools are compiled in.
 *
 * @example
 * const defaults: InferenceDefaults = { dialect: "json-schema", inference: { temperature: 0.2 } };
 */
export interface InferenceDefaults<P extends object = Record<string, never>> extends PrepareDefaults<P> {
  /** How the tools on the context are compiled (`openai-strict`, `gemini`, `json-schema`). */
  dialect: SchemaDialect;
}

/**
 * Everything resolved for one request.
 *
 * @example
 * const prepared: PreparedInference = prepareInference(turn, ctx, { dialect: "json-schema" });
 * prepared.inference.temperature
 */
export interface PreparedInference<P extends object = Record<string, never>> {
  /** The Turn to send: tool calls without a result are answered (every provider refuses them). */
  turn: Turn;
  inference: InferenceConfig;
  toolConfig: ToolConfig;
  /** The tools offered: none when tools are disabled, only the allowed ones when a list is set. */
  tools: ToolDescription[];
  /** The structured output in force, `undefined` when none (or when an invalid one was ignored: see warnings). */
  structuredOutput: StructuredOutputConfig | undefined;
  /** The provider's own settings (empty when it has none). */
  provider: P;
  /**
   * Rewrites a tool call's arguments before they are parsed: set when the tools went in OpenAI strict mode, it
   * reads the `null` of an optional property (strict mode made it required and nullable) as absent.
   */
  toolArguments?: ((name: string, text: string) => string) | undefined;
  /** Published as `log` warnings when the inference starts; request builders add theirs through `drop`. */
  warnings: string[];
  /**
   * Reports a setting the request cannot carry, in the one wording every provider uses:
   * `<setting> not sent: <why>`. Does nothing when the setting is unset.
   */
  drop(setting: string, value: unknown, why: string): void;
}

/**
 * Resolves the configs of a Turn once, against tools already compiled (the pure half of
 * {@link prepareInference}; request-builder tests call it directly). An invalid structured-output config throws
 * when `requireValid`, and is otherwise left out with a warning.
 *
 * @example
 * const prepared = prepareTurn(turn, [weatherTool], { inference: { temperature: 0.2 } });
 * const { body, warnings } = buildAcmeRequest(prepared, { model: "acme-1" });
 */
export function prepareTurn<P extends object = Record<string, never>>(
  turn: Turn,
  tools: ToolDescription[],
  defaults: PrepareDefaults<P> = {},
): PreparedInference<P> {
  const answered = answerUnansweredToolCalls(turn);
  const warnings: string[] = [];
  const toolConfig = resolveToolConfig(answered, defaults.tools);
  let offered: ToolDescription[] = [];
  if (toolConfig.enabled !== false) {
    offered = tools;
    if (toolConfig.allowedTools) {
      const allowed = new Set(toolConfig.allowedTools);
      offered = tools.filter((tool) => allowed.has(tool.name));
    }
  }
  const structured = resolveStructuredOutput(answered, defaults.structuredOutput);
  if (structured.ignored) {
    warnings.push(`structured output config ignored: ${structured.ignored.problems.join("; ")}`);
  }
  const provider = defaults.provider
    ? mergeConfig<P>(defaults.provider.key.get(answered), defaults.provider.defaults)
    : ({} as P);
  return {
    turn: answered,
    inference: resolveInferenceConfig(answered, defaults.inference),
    toolConfig,
    tools: offered,
    structuredOutput: structured.config,
    provider,
    warnings,
    drop(setting, value, why) {
      if (value === undefined || (Array.isArray(value) && value.length === 0)) return;
      warnings.push(`${setting} not sent: ${why}`);
    },
  };
}

/**
 * Resolves the configs of a Turn once, with the tools of the context compiled for the provider's dialect.
 *
 * @example
 * const prepared = prepareInference(turn, ctx, { dialect: "json-schema", inference: options.inference });
 * const { body, warnings } = buildAcmeRequest(prepared, { model });
 */
export function prepareInference<P extends object = Record<string, never>>(
  turn: Turn,
  ctx: RunContext,
  defaults: InferenceDefaults<P>,
): PreparedInference<P> {
  const prepared = prepareTurn(turn, toolsFromContext(ctx, defaults.dialect), defaults);
  if (defaults.dialect === "openai-strict" && prepared.tools.length > 0) {
    const strict = new Set(prepared.tools.filter((tool) => tool.strict !== false).map((tool) => tool.name));
    const schemas = new Map<string, unknown>();
    for (const tool of toolsFromContext(ctx, "json-schema")) {
      if (strict.has(tool.name)) schemas.set(tool.name, tool.parameters);
    }
    prepared.toolArguments = (name, text) => {
      const schema = schemas.get(name);
      return schema === undefined ? text : strictArgumentsText(text, schema);
    };
  }
  return prepared;
}
