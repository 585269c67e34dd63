/**
 * The benchmark's provider server: minimal OpenAI Chat Completions, Anthropic Messages, OpenAI Responses, Gemini
 * (`streamGenerateContent?alt=sse`) and Ollama (`/api/chat`) streaming endpoints (the last three in wires.ts),
 * run in its own process so its CPU is not counted against the clients. Listens on 127.0.0.1 (port 0 unless
 * `--port N`), prints `{"port": N}` on stdout once listening, and streams the workload named by the request's
 * `model` (see workload.ts). Responses are built once per workload and cached; they are written
 * `EVENTS_PER_WRITE` SSE events at a time, yielding to the event loop between writes, so clients see a stream
 * of many small reads, as from a real provider.
 *
 *   npx node bench/server.ts [--port N]
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { geminiEvents, ollamaLines, responsesEvents } from "./wires.ts";
import { parseWorkloadModel, TOOL_NAME, textTokens, toolArgumentChunks, type Workload } from "./workload.ts";

/** SSE events per socket write. */
export const EVENTS_PER_WRITE = 10;

type Protocol = "openai" | "anthropic" | "responses" | "gemini" | "ollama";

const EVENTS: Record<Protocol, (model: string, workload: Workload) => string[]> = {
  openai: openAIEvents,
  anthropic: anthropicEvents,
  responses: responsesEvents,
  gemini: geminiEvents,
  ollama: ollamaLines,
};

const ROUTES: Record<string, Protocol> = {
  "/v1/chat/completions": "openai",
  "/v1/messages": "anthropic",
  "/v1/responses": "responses",
  "/api/chat": "ollama",
};

/** Gemini names the model in the path. */
const GEMINI_PATH = /^\/v1beta\/models\/([^/:]+):streamGenerateContent$/;

const cache = new Map<string, Buffer[]>();

/** The SSE events of an OpenAI Chat Completions stream for a workload. */
export function openAIEvents(model: string, workload: Workload): string[] {
  // What the OpenAI wire really sends per chunk (about 270 bytes per text event): a long id, the system
  // fingerprint and the `obfuscation` padding field that evens out chunk lengths.
  const base = {
    id: "chatcmpl-C8kQ2zXbVnJ4pWc7Lr1TfYd9mHsE",
    object: "chat.completion.chunk",
    created: 1_756_000_000,
    model,
    system_fingerprint: "fp_f33640a400",
  };
  let padding = 0;
  const chunk = (delta: object, finishReason: string | null = null): string => {
    padding++;
    const obfuscation = "Qz7xK2mVb9LpW4nR".slice(0, 4 + (padding % 8));
    const choices = [{ index: 0, delta, logprobs: null, finish_reason: finishReason }];
    return `data: ${JSON.stringify({ ...base, choices, obfuscation })}\n\n`;
  };
  const events: string[] = [];
  let completionTokens: number;
  if (workload.kind === "text") {
    events.push(chunk({ role: "assistant", content: "", refusal: null }));
    for (const token of textTokens(workload.tokens)) events.push(chunk({ content: token }));
    events.push(chunk({}, "stop"));
    completionTokens = workload.tokens;
  } else {
    events.push(
      chunk({
        role: "assistant",
        content: null,
        tool_calls: [
          { index: 0, id: "call_bench", type: "function", function: { name: TOOL_NAME, arguments: "" } },
        ],
      }),
    );
    for (const piece of toolArgumentChunks(workload.chunks)) {
      events.push(chunk({ tool_calls: [{ index: 0, function: { arguments: piece } }] }));
    }
    events.push(chunk({}, "tool_calls"));
    completionTokens = workload.chunks;
  }
  const usage = {
    prompt_tokens: 10,
    completion_tokens: completionTokens,
    total_tokens: 10 + completionTokens,
  };
  events.push(`data: ${JSON.stringify({ ...base, choices: [], usage })}\n\n`);
  events.push("data: [DONE]\n\n");
  return events;
}

/** The SSE events of an Anthropic Messages stream for a workload. */
export function anthropicEvents(model: string, workload: Workload): string[] {
  const event = (type: string, data: object): string =>
    `event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`;
  const events: string[] = [
    event("message_start", {
      message: {
        id: "msg_bench",
        type: "message",
        role: "assistant",
        model,
        content: [],
        stop_reason: null,
        stop_sequence: null,
        usage: { input_tokens: 10, output_tokens: 1 },
      },
    }),
  ];
  let outputTokens: number;
  let stopReason: string;
  if (workload.kind === "text") {
    events.push(event("content_block_start", { index: 0, content_block: { type: "text", text: "" } }));
    for (const token of textTokens(workload.tokens)) {
      events.push(event("content_block_delta", { index: 0, delta: { type: "text_delta", text: token } }));
    }
    outputTokens = workload.tokens;
    stopReason = "end_turn";
  } else {
    events.push(
      event("content_block_start", {
        index: 0,
        content_block: { type: "tool_use", id: "toolu_bench", name: TOOL_NAME, input: {} },
      }),
    );
    for (const piece of toolArgumentChunks(workload.chunks)) {
      events.push(
        event("content_block_delta", { index: 0, delta: { type: "input_json_delta", partial_json: piece } }),
      );
    }
    outputTokens = workload.chunks;
    stopReason = "tool_use";
  }
  events.push(event("content_block_stop", { index: 0 }));
  events.push(
    event("message_delta", {
      delta: { stop_reason: stopReason, stop_sequence: null },
      usage: { output_tokens: outputTokens },
    }),
  );
  events.push(event("message_stop", {}));
  return events;
}

function batches(events: string[]): Buffer[] {
  const result: Buffer[] = [];
  for (let index = 0; index < events.length; index += EVENTS_PER_WRITE) {
    result.push(Buffer.from(events.slice(index, index + EVENTS_PER_WRITE).join("")));
  }
  return result;
}

function responseFor(protocol: Protocol, model: string, workload: Workload): Buffer[] {
  const key = `${protocol}:${model}`;
  let cached = cache.get(key);
  if (!cached) {
    cached = batches(EVENTS[protocol](model, workload));
    cache.set(key, cached);
  }
  return cached;
}

async function readBody(request: IncomingMessage): Promise<string> {
  const parts: Buffer[] = [];
  for await (const part of request) parts.push(part as Buffer);
  return Buffer.concat(parts).toString("utf8");
}

function fail(response: ServerResponse, status: number, message: string): void {
  response.writeHead(status, { "content-type": "application/json" });
  response.end(JSON.stringify({ error: { type: "invalid_request_error", message } }));
}

async function stream(response: ServerResponse, body: Buffer[], protocol: Protocol): Promise<void> {
  response.writeHead(200, {
    "content-type": protocol === "ollama" ? "application/x-ndjson" : "text/event-stream",
    "cache-control": "no-cache",
    "x-request-id": "req_bench",
    "request-id": "req_bench",
  });
  for (let index = 0; index < body.length; index++) {
    if (response.destroyed) return;
    response.write(body[index]);
    if (index + 1 < body.length) await new Promise<void>((resolve) => setImmediate(resolve));
  }
  response.end();
}

async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
  const path = (request.url ?? "").split("?")[0];
  const geminiModel = GEMINI_PATH.exec(path ?? "")?.[1];
  const protocol: Protocol | undefined = geminiModel ? "gemini" : ROUTES[path ?? ""];
  if (request.method !== "POST" || protocol === undefined) {
    fail(response, 404, `no route for ${request.method} ${path}`);
    return;
  }
  const text = await readBody(request);
  let model: unknown;
  try {
    model = geminiModel ?? (JSON.parse(text) as { model?: unknown }).model;
  } catch {
    fail(response, 400, "request body is not JSON");
    return;
  }
  const workload = typeof model === "string" ? parseWorkloadModel(model) : undefined;
  if (workload === undefined || typeof model !== "string") {
    fail(response, 400, `model ${JSON.stringify(model)} names no workload (text-N or tool-N)`);
    return;
  }
  await stream(response, responseFor(protocol, model, workload), protocol);
}

function main(): void {
  const portFlag = process.argv.indexOf("--port");
  const port = portFlag >= 0 ? Number(process.argv[portFlag + 1]) : 0;
  const server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      if (!response.headersSent) fail(response, 500, String(error));
      else response.destroy();
    });
  });
  server.keepAliveTimeout = 60_000;
  server.listen(port, "127.0.0.1", () => {
    const address = server.address();
    if (address === null || typeof address === "string") throw new Error("server has no TCP address");
    process.stdout.write(`${JSON.stringify({ port: address.port })}\n`);
  });
  const stop = (): void => {
    server.close();
    server.closeAllConnections();
  };
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
  process.stdin.on("end", stop);
  process.stdin.resume();
}

if (import.meta.main) main();
