/**
 * `prepareInference`: what every request builder needs resolved before it maps blocks, done once: the Turn with
 * unanswered tool calls answered, the inference, tool and structured-output configs (Turn.data over the engine
 * defaults, per field), the tools the model may see, and the warnings so far.
 */
import {
  type InferenceConfig,
  resolveInferenceConfig,
  resolveToolConfig,
  type ToolConfig,
} from "../engine/inference-config.ts";
import { resolveStructuredOutput, type StructuredOutputConfig } from "../engine/structured-output.ts";
import { type SchemaDialect, type ToolDescription, toolsFromContext } from "../engine/tools.ts";
import type { RunContext } from "../events/context.ts";
import { answerUnansweredToolCalls } from "../tools/results.ts";
import type { Turn } from "../turns/types.ts";

/**
 * The engine-level defaults {@link prepareInference} resolves the Turn's own config against.
 *
 * @example
 * const defaults: InferenceDefaults = { dialect: "json-schema", inference: { temperature: 0.2 } };
 */
export interface InferenceDefaults {
  /** How the tools on the context are compiled (`openai-strict`, `gemini`, `json-schema`). */
  dialect: SchemaDialect;
  inference?: InferenceConfig | undefined;
  tools?: ToolConfig | undefined;
  structuredOutput?: StructuredOutputConfig | undefined;
}

/**
 * Everything resolved for one request.
 *
 * @example
 * const prepared: PreparedInference = prepareInference(turn, ctx, { dialect: "json-schema" });
 * prepared.inference.temperature
 */
export interface PreparedInference {
  /** The Turn to send: tool calls without a result are answered (every provider refuses them). */
  turn: Turn;
  inference: InferenceConfig;
  toolConfig: ToolConfig;
  /** The tools offered: none when tools are disabled, only the allowed ones when a list is set. */
  tools: ToolDescription[];
  /** The structured output in force, `undefined` when none (or when an invalid one was ignored: see warnings). */
  structuredOutput: StructuredOutputConfig | undefined;
  /** Published as `log` warnings when the inference starts; request builders add their own. */
  warnings: string[];
}

/**
 * Resolves the configs of a Turn once. An invalid structured-output config throws when `requireValid`, and is
 * otherwise left out with a warning.
 *
 * @example
 * const prepared = prepareInference(turn, ctx, { dialect: "json-schema", inference: options.inference });
 * const { body, warnings } = buildAcmeRequest(prepared, { model });
 */
export function prepareInference(
  turn: Turn,
  ctx: RunContext,
  defaults: InferenceDefaults,
): PreparedInference {
  const answered = answerUnansweredToolCalls(turn);
  const warnings: string[] = [];
  const toolConfig = resolveToolConfig(answered, defaults.tools);
  let tools: ToolDescription[] = [];
  if (toolConfig.enabled !== false) {
    tools = toolsFromContext(ctx, defaults.dialect);
    if (toolConfig.allowedTools) {
      const allowed = new Set(toolConfig.allowedTools);
      tools = tools.filter((tool) => allowed.has(tool.name));
    }
  }
  const structured = resolveStructuredOutput(answered, defaults.structuredOutput);
  if (structured.ignored) {
    warnings.push(`structured output config ignored: ${structured.ignored.problems.join("; ")}`);
  }
  return {
    turn: answered,
    inference: resolveInferenceConfig(answered, defaults.inference),
    toolConfig,
    tools,
    structuredOutput: structured.config,
    warnings,
  };
}
