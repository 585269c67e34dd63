/**
 * The floor: the least work any client must do — fetch, split the SSE stream into events, JSON.parse each
 * data line, keep the deltas. Every other client's figures are divided by this one's.
 */
import type { BenchClient, ClientDefinition } from "./types.ts";

type OnData = (data: string, eventType: string) => void;

async function streamSSE(url: string, headers: Record<string, string>, body: object, onData: OnData) {
  const response = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify(body),
  });
  if (!response.ok || response.body === null) throw new Error(`floor: HTTP ${response.status}`);
  const decoder = new TextDecoder();
  let buffer = "";
  for await (const bytes of response.body) {
    buffer += decoder.decode(bytes, { stream: true });
    let end = buffer.indexOf("\n\n");
    let start = 0;
    while (end >= 0) {
      dispatch(buffer.slice(start, end), onData);
      start = end + 2;
      end = buffer.indexOf("\n\n", start);
    }
    buffer = buffer.slice(start);
  }
}

function dispatch(block: string, onData: OnData): void {
  let eventType = "message";
  let data = "";
  for (const line of block.split("\n")) {
    if (line.startsWith("data: ")) data = line.slice(6);
    else if (line.startsWith("event: ")) eventType = line.slice(7);
  }
  if (data !== "") onData(data, eventType);
}

interface OpenAIChunk {
  choices: { delta: { content?: string | null; tool_calls?: { function?: { arguments?: string } }[] } }[];
}

function openAIFloor(origin: string): BenchClient {
  const url = `${origin}/v1/chat/completions`;
  const request = (model: string) => ({ model, stream: true, messages: [{ role: "user", content: "hi" }] });
  return {
    async text(tokens, onFirstToken) {
      let text = "";
      await streamSSE(url, { authorization: "Bearer bench" }, request(`text-${tokens}`), (data) => {
        if (data === "[DONE]") return;
        const content = (JSON.parse(data) as OpenAIChunk).choices[0]?.delta.content;
        if (content) {
          if (text === "" && onFirstToken) onFirstToken();
          text += content;
        }
      });
      return text;
    },
    async tool(chunks) {
      let args = "";
      await streamSSE(url, { authorization: "Bearer bench" }, request(`tool-${chunks}`), (data) => {
        if (data === "[DONE]") return;
        const piece = (JSON.parse(data) as OpenAIChunk).choices[0]?.delta.tool_calls?.[0]?.function
          ?.arguments;
        if (piece) args += piece;
      });
      return JSON.parse(args);
    },
  };
}

interface AnthropicEvent {
  type: string;
  delta?: { type: string; text?: string; partial_json?: string };
}

function anthropicFloor(origin: string): BenchClient {
  const url = `${origin}/v1/messages`;
  const headers = { "x-api-key": "bench", "anthropic-version": "2023-06-01" };
  const request = (model: string) => ({
    model,
    max_tokens: 100_000,
    stream: true,
    messages: [{ role: "user", content: "hi" }],
  });
  return {
    async text(tokens, onFirstToken) {
      let text = "";
      await streamSSE(url, headers, request(`text-${tokens}`), (data) => {
        const event = JSON.parse(data) as AnthropicEvent;
        if (event.type === "content_block_delta" && event.delta?.type === "text_delta" && event.delta.text) {
          if (text === "" && onFirstToken) onFirstToken();
          text += event.delta.text;
        }
      });
      return text;
    },
    async tool(chunks) {
      let args = "";
      await streamSSE(url, headers, request(`tool-${chunks}`), (data) => {
        const event = JSON.parse(data) as AnthropicEvent;
        if (event.type === "content_block_delta" && event.delta?.type === "input_json_delta") {
          args += event.delta.partial_json ?? "";
        }
      });
      return JSON.parse(args);
    },
  };
}

export const floorOpenAI: ClientDefinition = {
  name: "floor",
  label: "fetch + minimal SSE splitting + JSON.parse (OpenAI Chat wire)",
  protocol: "openai",
  floor: true,
  load: async (origin) => openAIFloor(origin),
};

export const floorAnthropic: ClientDefinition = {
  name: "floor-anthropic",
  label: "fetch + minimal SSE splitting + JSON.parse (Anthropic Messages wire)",
  protocol: "anthropic",
  floor: true,
  load: async (origin) => anthropicFloor(origin),
};
