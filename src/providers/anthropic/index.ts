/**
 * The Anthropic Messages provider (`claude`, also `anthropic`): `createClaudeEngine`, its request builder,
 * stream handler and the block metadata keys it writes.
 *
 * @example
 * import { createClaudeEngine } from "geppetto/providers/anthropic";
 * const engine = createClaudeEngine({ model: "claude-sonnet-4-5", claude: { promptCaching: true } });
 */

export {
  ANTHROPIC_PROVIDER,
  KeyAnthropicCitations,
  KeyAnthropicContentIndex,
  KeyAnthropicMessageId,
} from "./descriptor.ts";
export {
  ANTHROPIC_DEFAULT_BASE_URL,
  ANTHROPIC_VERSION,
  ClaudeEngine,
  type ClaudeEngineOptions,
  createClaudeEngine,
} from "./engine.ts";
export {
  ANTHROPIC_DEFAULT_MAX_TOKENS,
  ANTHROPIC_MIN_THINKING_BUDGET,
  ANTHROPIC_STRUCTURED_OUTPUTS_BETA,
  buildClaudeRequest,
  type ClaudeRequest,
  type ClaudeRequestOptions,
} from "./request.ts";
export {
  anthropicStreamError,
  type ClaudeOutcome,
  ClaudeStreamHandler,
  finishClassOf,
  usageFromAnthropic,
} from "./stream.ts";
export type * from "./wire.ts";
