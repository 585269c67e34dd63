/**
 * Gemini Live (`BidiGenerateContent` over WebSocket) as a duplex mode: `setup` with the model, system
 * instruction, function declarations, response modality and input/output transcription; PCM16 16 kHz audio and
 * image frames or video as `realtimeInput`; text as `clientContent`; model audio (24 kHz), transcripts and text,
 * `toolCall` (answered with `toolResponse`), `interrupted` (barge-in), `turnComplete` and `usageMetadata` back.
 * The API key goes in the `x-goog-api-key` header, never in the address.
 */
import type { Usage } from "../../events/types.ts";
import type { JsonObject } from "../../turns/json.ts";
import { RealtimeDriver } from "./realtime-mode.ts";
import type { RealtimeEvent, RealtimeModeOptions, RealtimeProtocol } from "./realtime-protocol.ts";
import type { DuplexDriver } from "./types.ts";

/**
 * Options of {@link geminiLiveMode}.
 *
 * @example
 * geminiLiveMode({ apiKey: process.env.GEMINI_API_KEY!, model: "gemini-live-2.5-flash-preview", registry })
 */
export interface GeminiLiveOptions extends RealtimeModeOptions {
  /** Default `wss://generativelanguage.googleapis.com/ws/google.ai.generativelanguage.v1beta.GenerativeService.BidiGenerateContent`. */
  url?: string;
  apiKey?: string;
  /** With or without the `models/` prefix. */
  model: string;
  voice?: string;
  /** `audio` (default) or `text`. */
  output?: "audio" | "text";
  /** Automatic activity detection on the server (default) or none (turns end on `endTurn()`). */
  turnDetection?: "server" | "none";
}

const DEFAULT_URL =
  "wss://generativelanguage.googleapis.com/ws/google.ai.generativelanguage.v1beta.GenerativeService.BidiGenerateContent";

function base64(data: Uint8Array): string {
  return Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString("base64");
}

function usageOf(metadata: JsonObject): Usage {
  const usage: Usage = {};
  if (typeof metadata.promptTokenCount === "number") usage.inputTokens = metadata.promptTokenCount;
  const output = metadata.responseTokenCount ?? metadata.candidatesTokenCount;
  if (typeof output === "number") usage.outputTokens = output;
  if (typeof metadata.totalTokenCount === "number") usage.totalTokens = metadata.totalTokenCount;
  return usage;
}

/**
 * The Gemini Live wire protocol.
 *
 * @example
 * new RealtimeDriver(geminiLiveProtocol({ model: "gemini-live-2.5-flash-preview", apiKey }))
 */
export function geminiLiveProtocol(options: GeminiLiveOptions): RealtimeProtocol {
  const audio = (options.output ?? "audio") === "audio";
  return {
    provider: "gemini-live",
    model: options.model,
    inputSampleRate: 16_000,
    outputFormat: { encoding: "pcm16", sampleRate: 24_000 },
    accepts: { frames: true, video: true },
    schemaDialect: "gemini",
    connection() {
      const headers: Record<string, string> = {};
      if (options.apiKey) headers["x-goog-api-key"] = options.apiKey;
      return { url: options.url ?? DEFAULT_URL, headers };
    },
    setup({ instructions, tools, history }) {
      const generationConfig: JsonObject = { responseModalities: [audio ? "AUDIO" : "TEXT"] };
      if (options.voice)
        generationConfig.speechConfig = {
          voiceConfig: { prebuiltVoiceConfig: { voiceName: options.voice } },
        };
      const setup: JsonObject = {
        model: options.model.startsWith("models/") ? options.model : `models/${options.model}`,
        generationConfig,
      };
      if (instructions !== undefined) setup.systemInstruction = { parts: [{ text: instructions }] };
      if (tools.length > 0) setup.tools = [{ functionDeclarations: tools.map((tool) => ({ ...tool })) }];
      if (audio) {
        setup.inputAudioTranscription = {};
        setup.outputAudioTranscription = {};
      }
      if (options.turnDetection === "none")
        setup.realtimeInputConfig = { automaticActivityDetection: { disabled: true } };
      const messages: JsonObject[] = [{ setup }];
      const turns = history
        .filter(
          (message) => (message.role === "user" || message.role === "assistant") && message.content !== "",
        )
        .map((message) => ({
          role: message.role === "user" ? "user" : "model",
          parts: [{ text: message.content }],
        }));
      if (turns.length > 0) messages.push({ clientContent: { turns, turnComplete: false } });
      return messages;
    },
    encode(input) {
      switch (input.type) {
        case "audio":
          return [
            { realtimeInput: { audio: { data: base64(input.data), mimeType: "audio/pcm;rate=16000" } } },
          ];
        case "text":
          return [
            {
              clientContent: { turns: [{ role: "user", parts: [{ text: input.text }] }], turnComplete: true },
            },
          ];
        case "image":
          return [
            { realtimeInput: { video: { data: base64(input.frame.data), mimeType: input.frame.mimeType } } },
          ];
        case "video":
          return [
            { realtimeInput: { video: { data: base64(input.chunk.data), mimeType: input.chunk.mimeType } } },
          ];
        case "end-of-turn":
          return [{ realtimeInput: { audioStreamEnd: true } }];
        default:
          return [];
      }
    },
    toolResults(results) {
      return [
        {
          toolResponse: {
            functionResponses: results.map((result) => ({
              id: result.id,
              name: result.name,
              response: result.error === undefined ? { result: result.result } : { error: result.error },
            })),
          },
        },
      ];
    },
    decode(message): RealtimeEvent[] {
      const events: RealtimeEvent[] = [];
      if (message.setupComplete) events.push({ type: "ready" });
      const content = message.serverContent as JsonObject | undefined;
      if (content) {
        const input = content.inputTranscription as JsonObject | undefined;
        if (typeof input?.text === "string") events.push({ type: "user-transcript", text: input.text });
        for (const part of ((content.modelTurn as JsonObject | undefined)?.parts ?? []) as JsonObject[]) {
          const inline = part.inlineData as JsonObject | undefined;
          if (typeof inline?.data === "string")
            events.push({ type: "audio-delta", data: Buffer.from(inline.data, "base64") });
          if (typeof part.text === "string" && part.thought !== true)
            events.push({ type: "text-delta", delta: part.text });
        }
        const output = content.outputTranscription as JsonObject | undefined;
        if (typeof output?.text === "string") events.push({ type: "transcript-delta", delta: output.text });
      }
      if (message.usageMetadata)
        events.push({ type: "usage", usage: usageOf(message.usageMetadata as JsonObject) });
      if (content?.interrupted === true)
        events.push({ type: "speech-started" }, { type: "response-done", cancelled: true });
      if (content?.turnComplete === true) events.push({ type: "response-done", cancelled: false });
      const toolCall = message.toolCall as JsonObject | undefined;
      if (toolCall) {
        const calls = ((toolCall.functionCalls ?? []) as JsonObject[]).map((call) => ({
          id: String(call.id),
          name: String(call.name),
          args: (call.args ?? {}) as JsonObject,
        }));
        events.push({ type: "tool-calls", calls });
      }
      const error = message.error as JsonObject | undefined;
      if (error) events.push({ type: "error", message: String(error.message ?? "unknown error") });
      return events;
    },
  };
}

/**
 * The Gemini Live mode of a duplex session.
 *
 * @example
 * const session = await DuplexSession.open({
 *   mode: geminiLiveMode({ apiKey: process.env.GEMINI_API_KEY!, model: "gemini-live-2.5-flash-preview" }),
 *   systemPrompt: "Answer in one sentence.",
 * });
 */
export function geminiLiveMode(options: GeminiLiveOptions): () => DuplexDriver {
  return () => new RealtimeDriver(geminiLiveProtocol(options), options);
}
