/**
 * The floor: the cheapest honest consumer — fetch, a newline search for the SSE framing (every provider sends
 * one `data:` line per event, so each such line is an event), JSON.parse of the data, one callback per token.
 * Every other client's figures are divided by this one's.
 */
import type { BenchClient, ClientDefinition } from "./types.ts";

type OnData = (data: string) => void;

async function streamSSE(url: string, headers: Record<string, string>, body: object, onData: OnData) {
  const response = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify(body),
  });
  if (!response.ok || response.body === null) throw new Error(`floor: HTTP ${response.status}`);
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let rest = "";
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    const buffer =
      rest === "" ? decoder.decode(value, { stream: true }) : rest + decoder.decode(value, { stream: true });
    let start = 0;
    let end = buffer.indexOf("\n", start);
    while (end !== -1) {
      // "data: " is 6 characters; event:, id: and blank lines are skipped.
      if (buffer.startsWith("data: ", start)) onData(buffer.slice(start + 6, end));
      start = end + 1;
      end = buffer.indexOf("\n", start);
    }
    rest = start === 0 ? buffer : buffer.slice(start);
  }
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
      const onToken = (token: string): void => {
        if (text === "" && onFirstToken) onFirstToken();
        text += token;
      };
      await streamSSE(url, { authorization: "Bearer bench" }, request(`text-${tokens}`), (data) => {
        if (data === "[DONE]") return;
        const content = (JSON.parse(data) as OpenAIChunk).choices[0]?.delta.content;
        if (content) onToken(content);
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
      const onToken = (token: string): void => {
        if (text === "" && onFirstToken) onFirstToken();
        text += token;
      };
      await streamSSE(url, headers, request(`text-${tokens}`), (data) => {
        const event = JSON.parse(data) as AnthropicEvent;
        if (event.type === "content_block_delta" && event.delta?.type === "text_delta" && event.delta.text) {
          onToken(event.delta.text);
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
  label: "fetch + newline search for SSE framing + JSON.parse + a callback per token (OpenAI Chat wire)",
  protocol: "openai",
  floor: true,
  load: async (origin) => openAIFloor(origin),
};

export const floorAnthropic: ClientDefinition = {
  name: "floor-anthropic",
  label:
    "fetch + newline search for SSE framing + JSON.parse + a callback per token (Anthropic Messages wire)",
  protocol: "anthropic",
  floor: true,
  load: async (origin) => anthropicFloor(origin),
};
