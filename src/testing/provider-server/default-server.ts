/**
 * The default local provider: an OpenAI-compatible chat endpoint that answers any prompt like the embedded
 * default (streamed words, usage, stop). The Quick start runs the real OpenAI Chat engine against it when no
 * provider is configured.
 */
import { embeddedDefaultText } from "../embedded-default.ts";
import { type ProviderServer, startProviderServer } from "./server.ts";
import type { RecordedRequest, ResponseSpec } from "./types.ts";

/** The text of the last user message of an OpenAI Chat request body. */
export function lastUserPrompt(request: RecordedRequest): string {
  const messages = (request.body as { messages?: { role?: string; content?: unknown }[] } | undefined)
    ?.messages;
  if (!Array.isArray(messages)) return "";
  for (let index = messages.length - 1; index >= 0; index--) {
    const message = messages[index];
    if (message?.role !== "user") continue;
    if (typeof message.content === "string") return message.content;
    if (Array.isArray(message.content)) {
      return message.content
        .map((part: { type?: string; text?: string }) => (part.type === "text" ? (part.text ?? "") : ""))
        .join("");
    }
  }
  return "";
}

/** The default server's answer spec: the embedded default's text, word by word, with usage. */
export const defaultAnswer: ResponseSpec = {
  handler: (request) => {
    const prompt = lastUserPrompt(request);
    const text = embeddedDefaultText(prompt);
    return {
      script: {
        model: "geppetto-local-default",
        text,
        usage: {
          inputTokens: Math.max(1, Math.ceil(prompt.length / 4)),
          outputTokens: text.split(/\s+/).length,
        },
        stopReason: "stop",
      },
    };
  },
};

/**
 * Starts a local OpenAI-compatible server answering any prompt like the embedded default.
 * Point the OpenAI Chat engine at `server.baseURL()` with any API key (and `fetch: server.fetch` with
 * `inProcess`, which opens no port).
 *
 * @example
 * const server = await startDefaultProviderServer();
 * const engine = createOpenAIChatEngine({ model: "geppetto-local-default", apiKey: "local", baseURL: server.baseURL() });
 * try { await engine.runInference(turn, ctx) } finally { await server.close() }
 */
export function startDefaultProviderServer(
  options: { port?: number; pacingMs?: number; inProcess?: boolean } = {},
): Promise<ProviderServer> {
  const response: ResponseSpec = options.pacingMs
    ? { ...defaultAnswer, pacingMs: options.pacingMs }
    : defaultAnswer;
  // OpenAI Chat only (and its embeddings endpoint): the other wires' modules are not loaded.
  return startProviderServer({
    ...(options.port === undefined ? {} : { port: options.port }),
    ...(options.inProcess ? { inProcess: true } : {}),
    response,
    wires: ["openai-chat"],
  });
}
