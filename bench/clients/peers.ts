/**
 * The peers: the libraries people would otherwise pick, each used the way its documentation shows for
 * streaming (text deltas; tool-call arguments accumulated as the library hands them out).
 */
import type { ToolSet } from "ai";
import { TOOL_NAME } from "../workload.ts";
import { type BenchClient, type ClientDefinition, perKey } from "./types.ts";

const TOOL_PARAMETERS = {
  type: "object",
  properties: { items: { type: "string" } },
  required: ["items"],
  additionalProperties: false,
} as const;

export const openaiSdk: ClientDefinition = {
  name: "openai-sdk",
  label: "openai (official SDK), chat.completions.create({stream: true})",
  protocol: "openai",
  async load(origin): Promise<BenchClient> {
    const { default: OpenAI } = await import("openai");
    const client = new OpenAI({ apiKey: "bench", baseURL: `${origin}/v1`, maxRetries: 0 });
    const messages = [{ role: "user" as const, content: "hi" }];
    return {
      async text(tokens, onFirstToken) {
        const stream = await client.chat.completions.create({
          model: `text-${tokens}`,
          messages,
          stream: true,
        });
        let text = "";
        for await (const chunk of stream) {
          const content = chunk.choices[0]?.delta.content;
          if (content) {
            if (text === "" && onFirstToken) onFirstToken();
            text += content;
          }
        }
        return text;
      },
      async tool(chunks) {
        const stream = await client.chat.completions.create({
          model: `tool-${chunks}`,
          messages,
          stream: true,
          tools: [{ type: "function", function: { name: TOOL_NAME, parameters: TOOL_PARAMETERS } }],
        });
        let args = "";
        for await (const chunk of stream) {
          const piece = chunk.choices[0]?.delta.tool_calls?.[0]?.function?.arguments;
          if (piece) args += piece;
        }
        return JSON.parse(args);
      },
    };
  },
};

export const anthropicSdk: ClientDefinition = {
  name: "anthropic-sdk",
  label: "@anthropic-ai/sdk (official SDK), messages.create({stream: true})",
  protocol: "anthropic",
  async load(origin): Promise<BenchClient> {
    const { default: Anthropic } = await import("@anthropic-ai/sdk");
    const client = new Anthropic({ apiKey: "bench", baseURL: origin, maxRetries: 0 });
    const messages = [{ role: "user" as const, content: "hi" }];
    return {
      async text(tokens, onFirstToken) {
        const stream = await client.messages.create({
          model: `text-${tokens}`,
          max_tokens: 100_000,
          messages,
          stream: true,
        });
        let text = "";
        for await (const event of stream) {
          if (event.type === "content_block_delta" && event.delta.type === "text_delta") {
            if (text === "" && onFirstToken) onFirstToken();
            text += event.delta.text;
          }
        }
        return text;
      },
      async tool(chunks) {
        const stream = await client.messages.create({
          model: `tool-${chunks}`,
          max_tokens: 100_000,
          messages,
          stream: true,
          tools: [{ name: TOOL_NAME, input_schema: TOOL_PARAMETERS as never }],
        });
        let args = "";
        for await (const event of stream) {
          if (event.type === "content_block_delta" && event.delta.type === "input_json_delta") {
            args += event.delta.partial_json;
          }
        }
        return JSON.parse(args);
      },
    };
  },
};

export const vercelAi: ClientDefinition = {
  name: "vercel-ai",
  label: "ai (Vercel AI SDK) streamText + @ai-sdk/openai .chat()",
  protocol: "openai",
  async load(origin): Promise<BenchClient> {
    const { streamText, tool, jsonSchema } = await import("ai");
    const { createOpenAI } = await import("@ai-sdk/openai");
    const provider = createOpenAI({ apiKey: "bench", baseURL: `${origin}/v1` });
    const tools = {
      [TOOL_NAME]: tool({
        description: "records items",
        inputSchema: jsonSchema<{ items: string }>(TOOL_PARAMETERS),
      }),
    } as unknown as ToolSet;
    return {
      async text(tokens, onFirstToken) {
        const result = streamText({ model: provider.chat(`text-${tokens}`), prompt: "hi", maxRetries: 0 });
        let text = "";
        for await (const delta of result.textStream) {
          if (text === "" && delta !== "" && onFirstToken) onFirstToken();
          text += delta;
        }
        return text;
      },
      async tool(chunks) {
        const result = streamText({
          model: provider.chat(`tool-${chunks}`),
          prompt: "hi",
          maxRetries: 0,
          tools,
        });
        for await (const _part of result.fullStream) {
          // drain, as an application rendering the stream does
        }
        const calls = await result.toolCalls;
        return calls[0]?.input;
      },
    };
  },
};

interface LangChainChunk {
  content: unknown;
  tool_calls?: { args: unknown }[];
  concat(other: LangChainChunk): LangChainChunk;
}

export const langchain: ClientDefinition = {
  name: "langchain",
  label: "@langchain/openai ChatOpenAI (streaming, Chat Completions API)",
  protocol: "openai",
  async load(origin): Promise<BenchClient> {
    const { ChatOpenAI } = await import("@langchain/openai");
    const model = perKey(
      (name) =>
        new ChatOpenAI({
          model: name,
          apiKey: "bench",
          configuration: { baseURL: `${origin}/v1` },
          maxRetries: 0,
          streaming: true,
          useResponsesApi: false,
        }),
    );
    const withTools = perKey((name) =>
      model(name).bindTools([
        {
          type: "function",
          function: { name: TOOL_NAME, description: "records items", parameters: TOOL_PARAMETERS },
        },
      ]),
    );
    return {
      async text(tokens, onFirstToken) {
        let text = "";
        for await (const chunk of await model(`text-${tokens}`).stream("hi")) {
          const content = chunk.content;
          if (typeof content === "string" && content !== "") {
            if (text === "" && onFirstToken) onFirstToken();
            text += content;
          }
        }
        return text;
      },
      async tool(chunks) {
        let gathered: LangChainChunk | undefined;
        for await (const chunk of await withTools(`tool-${chunks}`).stream("hi")) {
          const next = chunk as unknown as LangChainChunk;
          gathered = gathered === undefined ? next : gathered.concat(next);
        }
        return gathered?.tool_calls?.[0]?.args;
      },
    };
  },
};
