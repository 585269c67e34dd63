/**
 * Turn → Anthropic Messages request body.
 *
 * System blocks become `system`; the rest become alternating user/assistant messages (consecutive blocks of one
 * role share a message). Thinking blocks are replayed unchanged with their `signature`, redacted thinking with
 * its opaque `data`, and server tool blocks (`server_tool_use`, `web_search_tool_result`) as they came.
 *
 * Cross-provider policy: reasoning made by another provider (block metadata `geppetto.provider@v1`), or without an
 * Anthropic signature, is dropped, as are `other` blocks of other providers; each is reported as a warning.
 * Tool call ids are kept as they are.
 *
 * Thinking rule: with a thinking budget the API accepts only temperature 1, top_p of 0.95 or more and no `top_k`.
 * A temperature other than 1, a lower top_p, a `top_k`, a forced tool choice (any / tool), or a budget that does
 * not fit under `max_tokens` is a CallerError naming the settings.
 * `max_tokens` defaults to 4096, or to budget + 4096 when thinking is on and no max was set.
 */
import { CallerError } from "../../engine/errors.ts";
import type { ClaudeInferenceConfig, InferenceConfig, ToolConfig } from "../../engine/inference-config.ts";
import { countTokensBody } from "../../provider-kit/count-tokens.ts";
import type { PreparedInference } from "../../provider-kit/prepare.ts";
import type { JsonObject } from "../../turns/json.ts";
import { buildMessages, cachedMessages, EPHEMERAL, markLastUser, systemOf } from "./request-messages.ts";
import type { AnthropicRequestBody } from "./wire.ts";

export { ANTHROPIC_OTHER_PREFIX } from "./request-content.ts";

/**
 * `max_tokens` when none is configured (the API requires one).
 *
 * @example
 * buildClaudeRequest(prepared, { model, stream: true }).body.max_tokens // 4096 unless configured
 */
export const ANTHROPIC_DEFAULT_MAX_TOKENS = 4096;
/** The smallest thinking budget the API accepts (`thinkingBudget: 1024` or more). */
export const ANTHROPIC_MIN_THINKING_BUDGET = 1024;
/** The beta header value that enables `output_format` (structured outputs). */
export const ANTHROPIC_STRUCTURED_OUTPUTS_BETA = "structured-outputs-2025-11-13";

/**
 * What the request builder needs besides the prepared inference.
 *
 * @example
 * const options: ClaudeRequestOptions = { model: "claude-sonnet-4-5", stream: true };
 */
export interface ClaudeRequestOptions {
  model: string;
  stream: boolean;
  /** Server tools sent as they are, e.g. `{ type: "web_search_20250305", name: "web_search", max_uses: 3 }`. */
  serverTools?: JsonObject[];
  /**
   * Messages made of frozen blocks come as cached serialized pieces (`JsonPiece`s, which the transport splices
   * in as bytes), so a long conversation's request costs what is new. The last user message (where prompt
   * caching puts its breakpoint) and what follows it are written fresh. Off by default: the body is plain JSON.
   */
  cacheMessages?: boolean;
}

/**
 * A request body plus the beta features it needs and what could not be sent.
 *
 * @example
 * const { body, betas } = buildClaudeRequest(prepareTurn(turn, []), { model: "claude-sonnet-4-5", stream: true });
 */
export interface ClaudeRequest {
  body: AnthropicRequestBody;
  /** Values for the `anthropic-beta` header. */
  betas: string[];
  warnings: string[];
}

function toolChoiceOf(config: ToolConfig): JsonObject | undefined {
  const choice = config.toolChoice;
  let toolChoice: JsonObject | undefined;
  if (choice === "auto") toolChoice = { type: "auto" };
  else if (choice === "required") toolChoice = { type: "any" };
  else if (choice === "none") toolChoice = { type: "none" };
  else if (choice !== undefined) toolChoice = { type: "tool", name: choice.name };
  if (config.parallelToolCalls === false && choice !== "none") {
    toolChoice = { ...(toolChoice ?? { type: "auto" }), disable_parallel_tool_use: true };
  }
  return toolChoice;
}

function applyThinking(
  body: AnthropicRequestBody,
  inference: InferenceConfig,
  claude: ClaudeInferenceConfig,
): void {
  const budget = inference.thinkingBudget;
  if (budget === undefined || budget === 0) return;
  if (budget < ANTHROPIC_MIN_THINKING_BUDGET) {
    throw new CallerError(
      `inference config thinkingBudget ${budget} is below Anthropic's minimum of ${ANTHROPIC_MIN_THINKING_BUDGET}`,
      { code: "invalid_inference_config" },
    );
  }
  if (inference.temperature !== undefined && inference.temperature !== 1) {
    throw new CallerError(
      `inference config: Anthropic thinking (thinkingBudget ${budget}) requires temperature 1 or unset, got ${inference.temperature}`,
      { code: "invalid_inference_config" },
    );
  }
  if (inference.topP !== undefined && inference.topP < 0.95) {
    throw new CallerError(
      `inference config: Anthropic thinking (thinkingBudget ${budget}) requires topP between 0.95 and 1 or unset, got ${inference.topP}`,
      { code: "invalid_inference_config" },
    );
  }
  if (claude.topK !== undefined) {
    throw new CallerError(
      `claude inference config: topK cannot be used with thinking (thinkingBudget ${budget})`,
      {
        code: "invalid_inference_config",
      },
    );
  }
  if (inference.maxResponseTokens === undefined) body.max_tokens = budget + ANTHROPIC_DEFAULT_MAX_TOKENS;
  else if (budget >= inference.maxResponseTokens) {
    throw new CallerError(
      `inference config: thinkingBudget ${budget} must be below maxResponseTokens ${inference.maxResponseTokens}`,
      { code: "invalid_inference_config" },
    );
  }
  body.thinking = { type: "enabled", budget_tokens: budget };
}

/**
 * Builds the `POST /v1/messages` body from the prepared inference. Every setting it cannot send is a warning.
 *
 * @example
 * const { body } = buildClaudeRequest(prepareTurn(turn, []), { model: "claude-sonnet-4-5", stream: true });
 * body.messages // [{ role: "user", content: [{ type: "text", text: "Hello" }] }]
 */
export function buildClaudeRequest(
  prepared: PreparedInference<ClaudeInferenceConfig>,
  options: ClaudeRequestOptions,
): ClaudeRequest {
  const { turn, inference, toolConfig, provider: claude, warnings, drop } = prepared;
  const betas: string[] = [];
  const caching = claude.promptCaching === true;
  const cached = options.cacheMessages ? cachedMessages(turn, caching) : undefined;
  const { system, messages } = cached
    ? { system: systemOf(turn), messages: cached }
    : buildMessages(turn, warnings);

  const body: AnthropicRequestBody = {
    model: options.model,
    max_tokens: inference.maxResponseTokens ?? ANTHROPIC_DEFAULT_MAX_TOKENS,
    messages,
  };
  if (system.length > 0) {
    const text = system.join("\n\n");
    body.system = caching ? [{ type: "text", text, cache_control: EPHEMERAL }] : text;
  }
  if (caching && !cached) markLastUser(messages);
  body.stream = options.stream;

  applyThinking(body, inference, claude);
  if (inference.temperature !== undefined) body.temperature = inference.temperature;
  if (inference.topP !== undefined) body.top_p = inference.topP;
  if (claude.topK !== undefined) body.top_k = claude.topK;
  if (inference.stop !== undefined && inference.stop.length > 0) body.stop_sequences = inference.stop;
  if (claude.userId !== undefined) body.metadata = { user_id: claude.userId };
  drop("seed", inference.seed, "Anthropic takes no seed");
  drop("reasoningEffort", inference.reasoningEffort, "Anthropic takes a thinkingBudget instead");
  drop("reasoningSummary", inference.reasoningSummary, "Anthropic returns its thinking, not summaries");
  drop(
    "includeThoughts",
    inference.includeThoughts,
    "Anthropic returns thinking whenever thinkingBudget is set",
  );

  if (toolConfig.enabled !== false) {
    const tools: JsonObject[] = prepared.tools.map((tool) => ({
      name: tool.name,
      description: tool.description,
      input_schema: tool.parameters,
    }));
    tools.push(...(options.serverTools ?? []));
    if (tools.length > 0) {
      if (caching) tools[tools.length - 1] = { ...tools[tools.length - 1], cache_control: EPHEMERAL };
      body.tools = tools;
      const toolChoice = toolChoiceOf(toolConfig);
      if (toolChoice !== undefined) body.tool_choice = toolChoice;
      const forced = toolChoice?.type === "any" || toolChoice?.type === "tool";
      if (forced && body.thinking !== undefined) {
        throw new CallerError(
          `tool config: Anthropic thinking allows only tool choice auto or none, got ${JSON.stringify(toolConfig.toolChoice)}`,
          { code: "invalid_inference_config" },
        );
      }
    }
  }

  if (prepared.structuredOutput) {
    body.output_format = { type: "json_schema", schema: prepared.structuredOutput.schema as JsonObject };
    betas.push(ANTHROPIC_STRUCTURED_OUTPUTS_BETA);
  }
  return { body, betas, warnings };
}

/** The fields of the inference body `POST /v1/messages/count_tokens` takes (its API reference). */
export const CLAUDE_COUNT_FIELDS = [
  "model",
  "messages",
  "system",
  "tools",
  "tool_choice",
  "thinking",
  "output_format",
];

/**
 * Builds the `POST /v1/messages/count_tokens` body through {@link buildClaudeRequest}: the inference body, less
 * what counting does not take (`max_tokens`, `stream`, sampling, `stop_sequences`, `metadata`).
 *
 * @example
 * buildClaudeCountRequest(prepareTurn(turn, []), { model: "claude-sonnet-4-5", stream: true }).body // { model, messages }
 */
export function buildClaudeCountRequest(
  prepared: PreparedInference<ClaudeInferenceConfig>,
  options: ClaudeRequestOptions,
): Omit<ClaudeRequest, "body"> & { body: Partial<AnthropicRequestBody> } {
  const built = buildClaudeRequest(prepared, options);
  return { ...built, body: countTokensBody(built.body, CLAUDE_COUNT_FIELDS) };
}
