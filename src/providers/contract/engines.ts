/**
 * The engines as the contract suite and the provider-switch tests see them, one per provider of the registry
 * (`geppetto/provider-kit`): how to create each one against the local provider server (through the descriptor's
 * lazy loader), and, per wire protocol, how to read its request body back into one neutral shape (the tool calls
 * and results it sent, the assistant text, the reasoning it replayed). A provider registered before
 * {@link contractEngines} is called is in the suites like the built-in ones.
 *
 * Test support only: nothing here is exported from the package.
 */
import type { Engine } from "../../engine/engine.ts";
import type { ToolCatalog, ToolDescription } from "../../engine/tools.ts";
import type { EngineFactory, ProviderDescriptor, WireProtocol } from "../../provider-kit/descriptor.ts";
import { listProviders } from "../../provider-kit/registry.ts";
import type { ProviderServer } from "../../testing/provider-server/index.ts";
import type { JsonObject } from "../../turns/json.ts";
import { KeyBlockMetaProvider } from "../../turns/keys.ts";
import type { ToolCallBlock } from "../../turns/types.ts";
import { KeyGeminiCallId } from "../gemini/descriptor.ts";
import { KeyOllamaCallId } from "../ollama/descriptor.ts";
import { openAICompatibleProfile } from "../openai/descriptor.ts";

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

/** Settings a scenario may ask of an engine. */
export interface EngineSettings {
  /** Overrides the adapter's model. */
  model?: string;
  maxResponseTokens?: number;
}

/** How the suites read and check one wire protocol, whichever provider speaks it. */
export interface ProtocolAdapter {
  /** The model the suites ask for. */
  model: string;
  read(body: unknown): WireView;
  /** The call as the engine must send it back (own calls; the id only where the wire carries it). */
  expectedCall(call: ToolCallBlock): WireToolCall;
  /** The result of `call` as the engine must send it (`output` filled in by the caller). */
  expectedResult(call: ToolCallBlock): Omit<WireToolResult, "output">;
  /** True when the engine keeps the ids the provider gave to calls (Gemini has none on the wire: it generates). */
  keepsProviderCallIds: boolean;
  /** The protocol's stop reason for "the output hit max tokens". */
  maxTokensStopReason: string;
  /** A 400 in the provider's own error body, and the provider type/code the engine must read from it. */
  error: { body: unknown; providerType?: string; providerCode?: string };
  /** Scenarios this engine skips, with the reason (none today). */
  skips?: Partial<Record<string, string>>;
}

/** One engine in the contract table. */
export interface EngineAdapter extends ProtocolAdapter {
  /** The provider id: the engine's name in test titles. */
  name: string;
  /** The provider name the engine stamps on blocks (`geppetto.provider@v1`) and events. */
  provider: string;
  /** The wire protocol (the local server serves it under this name). */
  protocol: WireProtocol;
  /** True when the engine sends its own reasoning back (false for OpenAI Chat without a profile that does). */
  sendsReasoningBack: boolean;
  create(server: ProviderServer, settings?: EngineSettings): Engine;
}

/** The tools the scenarios offer: get_weather and get_time. */
export const CONTRACT_TOOLS: ToolDescription[] = [
  {
    name: "get_weather",
    description: "Current weather of a city.",
    parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"] },
  },
  {
    name: "get_time",
    description: "Current time in a time zone.",
    parameters: { type: "object", properties: { zone: { type: "string" } }, required: ["zone"] },
  },
];

/**
 * A tool catalog holding {@link CONTRACT_TOOLS} for every dialect.
 *
 * @example
 * const ctx = RunContext.background().with(ToolCatalogKey, contractCatalog);
 */
export const contractCatalog: ToolCatalog = { toolsFor: () => CONTRACT_TOOLS };

const API_KEY = "contract-test-key";

type Json = Record<string, unknown>;
const records = (value: unknown): Json[] =>
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
const withId = <T extends object>(id: unknown, rest: T): T & { id?: string } =>
  typeof id === "string" ? { id, ...rest } : rest;
const withName = <T extends object>(name: unknown, rest: T): T & { name?: string } =>
  typeof name === "string" ? { name, ...rest } : rest;

/** OpenAI Chat and Ollama share the messages shape (tool_calls on assistant messages, `tool` messages). */
function readMessages(body: unknown, argsOf: (raw: unknown) => unknown): WireView {
  const view: WireView = { toolCalls: [], toolResults: [], assistantText: "", reasoning: [] };
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
      const result = withName(message.tool_name, { output: parseMaybe(message.content) });
      view.toolResults.push(withId(message.tool_call_id, result));
    }
  }
  return view;
}

function readResponses(body: unknown): WireView {
  const view: WireView = { toolCalls: [], toolResults: [], assistantText: "", reasoning: [] };
  for (const item of records((body as Json).input)) {
    if (item.type === "function_call") {
      view.toolCalls.push({
        id: String(item.call_id),
        name: String(item.name),
        args: parseMaybe(item.arguments),
      });
    } else if (item.type === "function_call_output") {
      view.toolResults.push({ id: String(item.call_id), output: parseMaybe(item.output) });
    } else if (item.type === "reasoning") view.reasoning.push(item);
    else if (item.type === "message" && item.role === "assistant") {
      for (const part of records(item.content))
        if (typeof part.text === "string") view.assistantText += part.text;
    }
  }
  return view;
}

function readAnthropic(body: unknown): WireView {
  const view: WireView = { toolCalls: [], toolResults: [], assistantText: "", reasoning: [] };
  for (const message of records((body as Json).messages)) {
    for (const block of records(message.content)) {
      if (block.type === "tool_use") {
        view.toolCalls.push({ id: String(block.id), name: String(block.name), args: block.input });
      } else if (block.type === "tool_result") {
        view.toolResults.push({ id: String(block.tool_use_id), output: parseMaybe(block.content) });
      } else if (block.type === "thinking" || block.type === "redacted_thinking") view.reasoning.push(block);
      else if (block.type === "text" && message.role === "assistant")
        view.assistantText += String(block.text);
    }
  }
  return view;
}

function readGemini(body: unknown): WireView {
  const view: WireView = { toolCalls: [], toolResults: [], assistantText: "", reasoning: [] };
  for (const content of records((body as Json).contents)) {
    for (const part of records(content.parts)) {
      const call = part.functionCall as Json | undefined;
      const response = part.functionResponse as Json | undefined;
      if (call) view.toolCalls.push(withId(call.id, { name: String(call.name), args: call.args }));
      else if (response) {
        const output = (response.response as Json).output ?? response.response;
        view.toolResults.push(withId(response.id, { name: String(response.name), output }));
      } else if (part.thought === true || (part.thoughtSignature !== undefined && part.text === "")) {
        view.reasoning.push(part);
      } else if (typeof part.text === "string" && content.role === "model") view.assistantText += part.text;
    }
  }
  return view;
}

const idOnly = (call: ToolCallBlock) => ({ id: call.payload.id });
const sentWithId = (call: ToolCallBlock): WireToolCall => ({
  id: call.payload.id,
  name: call.payload.name,
  args: call.payload.args,
});
/** The id the provider itself gave, for engines that send only those back (Gemini, Ollama). */
const ownCallId = (provider: string, key: typeof KeyOllamaCallId) => (call: ToolCallBlock) =>
  KeyBlockMetaProvider.get(call) === provider ? key.get(call) : undefined;

const OPENAI_ERROR = {
  body: {
    error: {
      message: "Invalid value for 'temperature': must be at most 2.",
      type: "invalid_request_error",
      param: "temperature",
      code: "invalid_value",
    },
  },
  providerType: "invalid_request_error",
  providerCode: "invalid_value",
};

type ProviderSpecific = (
  provider: string,
) => Omit<ProtocolAdapter, "model" | "read" | "maxTokensStopReason" | "error">;
const withIds: ProviderSpecific = () => ({
  expectedCall: sentWithId,
  expectedResult: idOnly,
  keepsProviderCallIds: true,
});

/**
 * Each wire protocol as the suites see it. A protocol missing here does not compile.
 *
 * @example
 * PROTOCOL_ADAPTERS.anthropic.maxTokensStopReason // "max_tokens"
 */
export const PROTOCOL_ADAPTERS: Record<WireProtocol, ProtocolAdapter & { specific: ProviderSpecific }> = {
  "openai-chat": {
    model: "gpt-4o-mini",
    read: (body) => readMessages(body, parseMaybe),
    ...withIds("openai"),
    specific: withIds,
    maxTokensStopReason: "length",
    error: OPENAI_ERROR,
  },
  "openai-responses": {
    model: "gpt-5-mini",
    read: readResponses,
    ...withIds("openai-responses"),
    specific: withIds,
    maxTokensStopReason: "max_output_tokens",
    error: OPENAI_ERROR,
  },
  anthropic: {
    model: "claude-sonnet-4-5",
    read: readAnthropic,
    ...withIds("anthropic"),
    specific: withIds,
    maxTokensStopReason: "max_tokens",
    error: {
      body: {
        type: "error",
        error: { type: "invalid_request_error", message: "max_tokens: Field required" },
      },
      providerType: "invalid_request_error",
    },
  },
  gemini: {
    model: "gemini-2.5-flash",
    read: readGemini,
    // Gemini pairs calls and responses by name and order; only ids Gemini itself gave go back.
    ...geminiSpecific("gemini"),
    specific: geminiSpecific,
    maxTokensStopReason: "MAX_TOKENS",
    error: {
      body: {
        error: {
          code: 400,
          message: "API key not valid. Please pass a valid API key.",
          status: "INVALID_ARGUMENT",
          details: [
            {
              "@type": "type.googleapis.com/google.rpc.ErrorInfo",
              reason: "API_KEY_INVALID",
              domain: "googleapis.com",
            },
          ],
        },
      },
      // type = `status`, code = the ErrorInfo reason.
      providerType: "INVALID_ARGUMENT",
      providerCode: "API_KEY_INVALID",
    },
  },
  ollama: {
    model: "gpt-oss:20b",
    read: (body) => readMessages(body, (raw) => raw),
    // Ollama sends back only the ids it gave; tool results name the tool (no id on the wire).
    ...ollamaSpecific("ollama"),
    specific: ollamaSpecific,
    maxTokensStopReason: "length",
    // Ollama's error body is `{error: "<text>"}`: no type or code to read.
    error: { body: { error: 'invalid option provided: "num_predict" must be an integer' } },
  },
};

function geminiSpecific(provider: string): ReturnType<ProviderSpecific> {
  return {
    expectedCall: (call) =>
      withId(ownCallId(provider, KeyGeminiCallId)(call), {
        name: call.payload.name,
        args: call.payload.args,
      }),
    expectedResult: (call) => withId(ownCallId(provider, KeyGeminiCallId)(call), { name: call.payload.name }),
    keepsProviderCallIds: false,
  };
}

function ollamaSpecific(provider: string): ReturnType<ProviderSpecific> {
  return {
    expectedCall: (call) =>
      withId(ownCallId(provider, KeyOllamaCallId)(call), {
        name: call.payload.name,
        args: call.payload.args,
      }),
    expectedResult: (call) => ({ name: call.payload.name }),
    keepsProviderCallIds: true,
  };
}

function adapterOf(descriptor: ProviderDescriptor, factory: EngineFactory): EngineAdapter {
  const { specific, ...protocol } = PROTOCOL_ADAPTERS[descriptor.protocol];
  return {
    ...protocol,
    ...specific(descriptor.id),
    name: descriptor.id,
    provider: descriptor.id,
    protocol: descriptor.protocol,
    sendsReasoningBack:
      descriptor.protocol === "openai-chat"
        ? (openAICompatibleProfile(descriptor.id)?.sendReasoning ?? false)
        : true,
    create: (server, settings = {}) =>
      factory({
        model: settings.model ?? protocol.model,
        apiKey: API_KEY,
        baseURL: server.baseURL(descriptor.protocol),
        client: { maxRetries: 0 },
        env: {},
        ...(settings.maxResponseTokens === undefined
          ? {}
          : { inference: { maxResponseTokens: settings.maxResponseTokens } }),
      }),
  };
}

/**
 * One adapter per registered provider, its engine loaded through the descriptor's lazy loader.
 *
 * @example
 * const ENGINES = await contractEngines();
 * describe.each(ENGINES)("contract: $name", (adapter) => { … adapter.create(server) … });
 */
export async function contractEngines(): Promise<EngineAdapter[]> {
  return Promise.all(
    listProviders().map(async (descriptor) => adapterOf(descriptor, await descriptor.load())),
  );
}

/**
 * The body of the request the server received at `index` (negative counts from the end).
 *
 * @example
 * adapter.read(requestBody(server)).toolCalls
 */
export function requestBody(server: ProviderServer, index = -1): JsonObject {
  const request = server.requests.at(index);
  if (!request) throw new Error(`the provider server received no request at ${index}`);
  return request.body as JsonObject;
}
