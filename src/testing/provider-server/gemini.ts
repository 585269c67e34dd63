/**
 * The Gemini protocol: POST /v1beta/models/{model}:generateContent (a whole response) and
 * :streamGenerateContent, as SSE with `?alt=sse` or else as one JSON array sent element by element.
 * Scripted answers render thoughts (`thought: true` parts), text parts carrying a thought signature on the first
 * one, and function calls (complete `args`, or `partialArgs` pieces when a call has `chunks` > 1).
 */
import { argumentsText, splitInto, tokensOf } from "./script.ts";
import type { ProtocolModule, RecordedRequest, Reply, ScriptedReply } from "./types.ts";

const METHOD =
  /^\/v1(?:alpha|beta)?\/(?:models|tunedModels)\/([^/:]+):(generateContent|streamGenerateContent)$/;

/** The signature the server puts on scripted answers (engines must send it back unchanged). */
export const GEMINI_LOCAL_SIGNATURE = "bG9jYWwtdGhvdWdodC1zaWduYXR1cmU=";

function modelOf(request: RecordedRequest): string {
  const path = request.path.split("?")[0] ?? "";
  return METHOD.exec(path)?.[1] ?? "local-model";
}

type Part = Record<string, unknown>;

function callParts(call: NonNullable<ScriptedReply["toolCalls"]>[number], first: boolean): Part[][] {
  const args = JSON.parse(argumentsText(call.arguments) || "{}") as Record<string, unknown>;
  const signature = first ? { thoughtSignature: GEMINI_LOCAL_SIGNATURE } : {};
  const chunks = call.chunks ?? 1;
  if (chunks <= 1) return [[{ functionCall: { name: call.name, args }, ...signature }]];
  const pieces: Part[][] = [[{ functionCall: { name: call.name, willContinue: true }, ...signature }]];
  for (const [key, value] of Object.entries(args)) {
    const jsonPath = `$.${key}`;
    if (typeof value === "string") {
      const parts = splitInto(value, chunks);
      parts.forEach((stringValue, index) => {
        const partial = {
          jsonPath,
          stringValue,
          ...(index < parts.length - 1 ? { willContinue: true } : {}),
        };
        pieces.push([{ functionCall: { partialArgs: [partial], willContinue: true } }]);
      });
    } else {
      const partial =
        typeof value === "number"
          ? { jsonPath, numberValue: value }
          : typeof value === "boolean"
            ? { jsonPath, boolValue: value }
            : { jsonPath, nullValue: null };
      pieces.push([{ functionCall: { partialArgs: [partial], willContinue: true } }]);
    }
  }
  pieces.push([{ functionCall: {} }]);
  return pieces;
}

function render(script: ScriptedReply, streaming: boolean, request: RecordedRequest): Reply {
  const model = script.model ?? modelOf(request);
  const tokens = tokensOf(script);
  const toolCalls = script.toolCalls ?? [];
  const chunks: Part[][] = [];
  if (script.reasoning) {
    for (const text of tokensOf({ text: script.reasoning })) chunks.push([{ text, thought: true }]);
  }
  tokens.forEach((text, index) => {
    chunks.push([index === 0 ? { text, thoughtSignature: GEMINI_LOCAL_SIGNATURE } : { text }]);
  });
  toolCalls.forEach((call, index) => {
    chunks.push(...callParts(call, index === 0 && tokens.length === 0));
  });
  const usage = script.usage ?? {};
  const promptTokenCount = usage.inputTokens ?? 10;
  const thoughtsTokenCount =
    usage.reasoningTokens ?? (script.reasoning ? tokensOf({ text: script.reasoning }).length : 0);
  const candidatesTokenCount = (usage.outputTokens ?? tokens.length) - (usage.reasoningTokens ?? 0);
  const usageMetadata: Record<string, unknown> = {
    promptTokenCount,
    candidatesTokenCount,
    totalTokenCount: promptTokenCount + candidatesTokenCount + thoughtsTokenCount,
  };
  if (thoughtsTokenCount > 0) usageMetadata.thoughtsTokenCount = thoughtsTokenCount;
  if (usage.cachedTokens) usageMetadata.cachedContentTokenCount = usage.cachedTokens;
  const finishReason = script.stopReason ?? "STOP";
  const envelope = { modelVersion: model, responseId: "local-response" };
  const response = (parts: Part[], last: boolean): Record<string, unknown> => {
    const candidate: Record<string, unknown> = { content: { parts, role: "model" }, index: 0 };
    if (last) candidate.finishReason = finishReason;
    return { candidates: [candidate], usageMetadata, ...envelope };
  };
  if (!streaming) {
    const merged: Part[] = [];
    if (script.reasoning) merged.push({ text: script.reasoning, thought: true });
    if (tokens.length > 0) merged.push({ text: tokens.join(""), thoughtSignature: GEMINI_LOCAL_SIGNATURE });
    toolCalls.forEach((call, index) => {
      merged.push(...callParts({ ...call, chunks: 1 }, index === 0 && tokens.length === 0).flat());
    });
    return {
      status: 200,
      headers: { "content-type": "application/json" },
      frames: [JSON.stringify(response(merged, true))],
    };
  }
  const elements = chunks.map((parts) => response(parts, false));
  elements.push(response([{ text: "" }], true));
  if (request.path.includes("alt=sse")) {
    return {
      status: 200,
      headers: { "content-type": "text/event-stream" },
      frames: elements.map((element) => `data: ${JSON.stringify(element)}\r\n\r\n`),
    };
  }
  const frames = elements.map(
    (element, index) => `${index === 0 ? "[" : "\n,\r\n"}${JSON.stringify(element)}`,
  );
  frames.push("]");
  return { status: 200, headers: { "content-type": "application/json" }, frames };
}

/**
 * The Gemini protocol module.
 *
 * @example
 * const server = await startProviderServer({ response: { fixture: "gemini/stream-text.chunks.txt" } });
 * const engine = createGeminiEngine({ model: "gemini-2.5-flash", apiKey: "test", baseURL: server.baseURL("gemini") });
 */
export const geminiProtocol: ProtocolModule = {
  name: "gemini",
  basePath: "/v1beta",
  matches: (method, path) => method === "POST" && METHOD.test(path),
  wantsStream: (request) => request.path.includes(":streamGenerateContent"),
  render,
};
