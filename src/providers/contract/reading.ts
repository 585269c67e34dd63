/**
 * Helpers the contract readers of the wire protocols share: picking records out of a body, JSON text read back,
 * the messages shape of OpenAI Chat and Ollama, and the two ways a wire carries call ids.
 *
 * Test support only: nothing here is exported from the package.
 */
import { type BlockMetadataKey, KeyBlockMetaProvider } from "../../turns/keys.ts";
import type { ToolCallBlock } from "../../turns/types.ts";
import type { CallIdentity, WireToolCall, WireView } from "./protocol.ts";

/** A JSON object of a body. */
export type Json = Record<string, unknown>;

/**
 * The objects of a list (nothing when it is no list).
 *
 * @example
 * records([{ a: 1 }, 2]) // [{ a: 1 }]
 */
export const records = (value: unknown): Json[] =>
  Array.isArray(value) ? value.filter((item): item is Json => typeof item === "object" && item !== null) : [];

/**
 * Parses JSON text, keeping anything else as it is.
 *
 * @example
 * parseMaybe('{"a":1}') // { a: 1 }
 * parseMaybe("sunny") // "sunny"
 */
export function parseMaybe(value: unknown): unknown {
  if (typeof value !== "string") return value;
  try {
    return JSON.parse(value);
  } catch {
    return value;
  }
}

/**
 * `rest` with the id first when there is one.
 *
 * @example
 * withId(undefined, { name: "f" }) // { name: "f" }
 */
export const withId = <T extends object>(id: unknown, rest: T): T & { id?: string } =>
  typeof id === "string" ? { id, ...rest } : rest;

/**
 * An empty view, filled by a reader.
 *
 * @example
 * const view = emptyView();
 */
export const emptyView = (): WireView => ({
  toolCalls: [],
  toolResults: [],
  assistantText: "",
  reasoning: [],
});

/**
 * OpenAI Chat and Ollama share the messages shape (tool_calls on assistant messages, `tool` messages).
 *
 * @example
 * readMessages(body, parseMaybe).toolCalls // [{ id: "call_1", name: "get_weather", args: { city: "Paris" } }]
 */
export function readMessages(body: unknown, argsOf: (raw: unknown) => unknown): WireView {
  const view = emptyView();
  for (const message of records((body as Json).messages)) {
    if (message.role === "assistant") {
      if (typeof message.content === "string") view.assistantText += message.content;
      if (message.reasoning_content !== undefined) view.reasoning.push(message.reasoning_content);
      if (message.reasoning !== undefined) view.reasoning.push(message.reasoning);
      if (message.thinking !== undefined) view.reasoning.push(message.thinking);
      for (const call of records(message.tool_calls)) {
        const fn = call.function as Json;
        view.toolCalls.push(withId(call.id, { name: String(fn.name), args: argsOf(fn.arguments) }));
      }
    }
    if (message.role === "tool") {
      const output = parseMaybe(message.content);
      const result = typeof message.tool_name === "string" ? { name: message.tool_name, output } : { output };
      view.toolResults.push(withId(message.tool_call_id, result));
    }
  }
  return view;
}

/**
 * Wires that carry every call id, on the call and on its result (OpenAI, Anthropic).
 *
 * @example
 * const calls = () => CALL_IDS_SENT;
 */
export const CALL_IDS_SENT: CallIdentity = {
  expectedCall: (call): WireToolCall => ({
    id: call.payload.id,
    name: call.payload.name,
    args: call.payload.args,
  }),
  expectedResult: (call) => ({ id: call.payload.id }),
  keepsProviderCallIds: true,
};

/**
 * The id the provider itself gave (kept under `key`), for wires that send only those back (Gemini, Ollama).
 *
 * @example
 * ownCallId("gemini", KeyGeminiCallId)(call) // "abc" or undefined
 */
export const ownCallId =
  (provider: string, key: BlockMetadataKey<string>) =>
  (call: ToolCallBlock): string | undefined =>
    KeyBlockMetaProvider.get(call) === provider ? key.get(call) : undefined;
