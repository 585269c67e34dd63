/**
 * Keys the Ollama engine writes: the call ids Ollama gave, and the server's timings of the inference.
 */
import { blockMetadataKey, turnMetadataKey } from "../../turns/keys.ts";

/** The provider name the engine stamps on events, blocks and results. */
export const OLLAMA_PROVIDER = "ollama";

/**
 * The tool call id Ollama itself gave (newer servers send `tool_calls[].id`); sent back on the call. Calls that
 * came without one get a generated id (`ollama_<random>_<n>`) that stays local.
 *
 * @example
 * KeyOllamaCallId.get(toolCallBlock) // "call_mo1wm122"
 */
export const KeyOllamaCallId = blockMetadataKey<string>("ollama", "call_id", 1);

/** The server-side timings of the latest inference, in milliseconds. */
export interface OllamaTimings {
  totalMs?: number;
  loadMs?: number;
  promptEvalMs?: number;
  evalMs?: number;
  /** Output tokens per second of generation (`eval_count / eval_duration`). */
  tokensPerSecond?: number;
}

/**
 * Turn metadata: the server's timings of the latest inference (from `total_duration`, `load_duration`,
 * `prompt_eval_duration`, `eval_duration`, given in nanoseconds).
 *
 * @example
 * KeyOllamaTimings.get(turn)?.tokensPerSecond // 208.3
 */
export const KeyOllamaTimings = turnMetadataKey<OllamaTimings>("ollama", "timings", 1);
