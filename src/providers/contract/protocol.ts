/**
 * What the contract suite needs to know of a wire protocol (types only): how to read a request body back into one
 * neutral shape, what the scenarios expect on that wire, and where each setting lands in the body. Every wire
 * protocol's `contract()` loader returns one (`WireProtocol` in `geppetto/provider-kit`); the built-in ones sit in
 * this folder, a provider with a new wire keeps its own in its folder.
 *
 * Test support only: nothing here is exported from the package.
 */
import type { InferenceConfig, ToolConfig } from "../../engine/inference-config.ts";
import type { TurnDataKey } from "../../turns/keys.ts";
import type { ToolCallBlock } from "../../turns/types.ts";

/** A tool call as it travels on the wire (`id` only when the protocol sent one). */
export interface WireToolCall {
  id?: string;
  name: string;
  args: unknown;
}

/** A tool result as it travels on the wire (`id` and `name` only when the protocol sent them). */
export interface WireToolResult {
  id?: string;
  name?: string;
  output: unknown;
}

/** A request body read back into a neutral shape. */
export interface WireView {
  toolCalls: WireToolCall[];
  toolResults: WireToolResult[];
  /** The assistant text sent back, concatenated in order. */
  assistantText: string;
  /** The reasoning replayed, in the provider's own wire form (thinking blocks, reasoning items, thought parts…). */
  reasoning: unknown[];
}

/** How a wire sends tool calls back: which ids it carries (some send only the ids they gave themselves). */
export interface CallIdentity {
  /** The call as the engine must send it back (the id only where the wire carries it). */
  expectedCall(call: ToolCallBlock): WireToolCall;
  /** The result of `call` as the engine must send it (`output` filled in by the caller). */
  expectedResult(call: ToolCallBlock): Omit<WireToolResult, "output">;
  /** True when the engine keeps the ids the provider gave to calls (Gemini has none on the wire: it generates). */
  keepsProviderCallIds: boolean;
}

/** Where a setting lands in the body (a dotted path; with the value expected there when it is not the setting's own), or `warn`. */
export type Landing = string | { path: string; value: unknown } | "warn";
/** Several landings: the first that matches wins (OpenAI-compatible profiles differ on `reasoning_effort`). */
export type Expected = Landing | readonly Landing[];

/** One wire protocol as the contract suite and the provider-switch matrix see it. */
export interface ContractProtocol {
  /** The model the suites ask for. */
  model: string;
  read(body: unknown): WireView;
  /** Call ids on this wire, for the provider `provider` (the provider id decides which ids are its own). */
  calls(provider: string): CallIdentity;
  /** True when `provider`'s engine sends its own reasoning back (false for OpenAI Chat without a profile that does). */
  sendsReasoningBack(provider: string): boolean;
  /** The protocol's stop reason for "the output hit max tokens". */
  maxTokensStopReason: string;
  /** A 400 in the provider's own error body, and the provider type/code the engine must read from it. */
  error: { body: unknown; providerType?: string; providerCode?: string };
  /**
   * The second request of scenario (b) (a Paris weather question, the call `call_weather_1` of get_weather
   * with `{"city":"Paris"}` and its result `{"sky":"sunny"}`), matched as a subset.
   */
  toolRoundTrip: object;
  /**
   * What scenario (d) must find replayed (`WireView.reasoning`) after a reasoning answer with a call of
   * get_weather for Oslo, and optionally a subset the whole body must match; `[]` when nothing goes back (then the
   * reasoning text must not be in the body at all).
   */
  reasoningReplay(reasoning: string, sendsBack: boolean): { replayed: unknown[]; body?: object };
  /** Where each setting lands (`contract/settings.test.ts`): the neutral inference settings, the tool settings, its own block. */
  settings: {
    inference: Record<keyof InferenceConfig, Expected>;
    tools: Record<string, [ToolConfig, Expected]>;
    /** The provider's own settings block (its Turn.data key, and per field the value set and where it lands); `null` when it has none. */
    own: [TurnDataKey<object>, Record<string, [unknown, Expected]>] | null;
  };
  /** Scenarios engines of this wire skip, with the reason (none of the built-in ones). */
  skips?: Partial<Record<string, string>>;
}
