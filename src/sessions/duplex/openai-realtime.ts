/**
 * OpenAI Realtime (`wss://api.openai.com/v1/realtime?model=…`, the GA interface or the beta one) as a duplex
 * mode: `session.update` with the instructions, tools, PCM16 24 kHz audio both ways, server VAD turn detection
 * and input transcription;
 * `input_audio_buffer.append` for audio, `conversation.item.create` + `response.create` for text and images;
 * audio, audio-transcript and text deltas, function calls (answered with `function_call_output` items) and
 * `response.done` usage back.
 */

import { parseToolArguments } from "../../engine/output.ts";
import type { Usage } from "../../events/types.ts";
import type { JsonObject } from "../../turns/json.ts";
import { RealtimeDriver } from "./realtime-mode.ts";
import type { RealtimeEvent, RealtimeModeOptions, RealtimeProtocol } from "./realtime-protocol.ts";
import type { DuplexDriver } from "./types.ts";

/**
 * Options of {@link openAIRealtimeMode}.
 *
 * @example
 * openAIRealtimeMode({ apiKey: process.env.OPENAI_API_KEY!, model: "gpt-realtime", voice: "marin", registry })
 */
export interface OpenAIRealtimeOptions extends RealtimeModeOptions {
  /** Default `wss://api.openai.com/v1/realtime`. */
  url?: string;
  apiKey?: string;
  model: string;
  voice?: string;
  /** Input transcription model (default `whisper-1`). */
  transcriptionModel?: string;
  /** `audio` (default: audio and its transcript) or `text` only. */
  output?: "audio" | "text";
  /** Server VAD (default) or none (turns end on `endTurn()`). */
  turnDetection?: "server_vad" | "none";
  /**
   * `ga` (default): the generally available interface (`session.type: "realtime"`, `audio.input`/`audio.output`
   * settings, `response.output_audio.*` events); `beta`: the `OpenAI-Beta: realtime=v1` interface.
   */
  apiVersion?: "ga" | "beta";
}

function base64(data: Uint8Array): string {
  return Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString("base64");
}

function usageOf(usage: JsonObject | undefined): Usage | undefined {
  if (!usage) return undefined;
  const result: Usage = {};
  if (typeof usage.input_tokens === "number") result.inputTokens = usage.input_tokens;
  if (typeof usage.output_tokens === "number") result.outputTokens = usage.output_tokens;
  if (typeof usage.total_tokens === "number") result.totalTokens = usage.total_tokens;
  return result;
}

/**
 * The OpenAI Realtime wire protocol.
 *
 * @example
 * new RealtimeDriver(openAIRealtimeProtocol({ model: "gpt-realtime", apiKey }), { registry })
 */
export function openAIRealtimeProtocol(options: OpenAIRealtimeOptions): RealtimeProtocol {
  const audio = (options.output ?? "audio") === "audio";
  const ga = (options.apiVersion ?? "ga") === "ga";
  return {
    provider: "openai-realtime",
    model: options.model,
    inputSampleRate: 24_000,
    outputFormat: { encoding: "pcm16", sampleRate: 24_000 },
    accepts: { frames: true, video: false },
    schemaDialect: "json-schema",
    connection() {
      const url = new URL(options.url ?? "wss://api.openai.com/v1/realtime");
      url.searchParams.set("model", options.model);
      const headers: Record<string, string> = ga ? {} : { "OpenAI-Beta": "realtime=v1" };
      if (options.apiKey) headers.Authorization = `Bearer ${options.apiKey}`;
      return { url: url.toString(), headers };
    },
    setup({ instructions, tools, history }) {
      const detection =
        (options.turnDetection ?? "server_vad") === "server_vad" ? { type: "server_vad" } : null;
      const transcription = { model: options.transcriptionModel ?? "whisper-1" };
      const format = { type: "audio/pcm", rate: 24_000 };
      const session: JsonObject = ga
        ? {
            type: "realtime",
            model: options.model,
            output_modalities: audio ? ["audio"] : ["text"],
            audio: {
              input: { format, transcription, turn_detection: detection },
              output: options.voice ? { format, voice: options.voice } : { format },
            },
            tools: tools.map((tool) => ({ type: "function", ...tool })),
          }
        : {
            modalities: audio ? ["audio", "text"] : ["text"],
            input_audio_format: "pcm16",
            output_audio_format: "pcm16",
            input_audio_transcription: transcription,
            turn_detection: detection,
            tools: tools.map((tool) => ({ type: "function", ...tool })),
          };
      if (instructions !== undefined) session.instructions = instructions;
      if (options.voice && !ga) session.voice = options.voice;
      const messages: JsonObject[] = [{ type: "session.update", session }];
      for (const message of history) {
        if (message.role !== "user" && message.role !== "assistant") continue;
        if (message.content === "") continue;
        const type = message.role === "user" ? "input_text" : ga ? "output_text" : "text";
        messages.push({
          type: "conversation.item.create",
          item: { type: "message", role: message.role, content: [{ type, text: message.content }] },
        });
      }
      return messages;
    },
    encode(input) {
      switch (input.type) {
        case "audio":
          return [{ type: "input_audio_buffer.append", audio: base64(input.data) }];
        case "text":
          return [
            {
              type: "conversation.item.create",
              item: { type: "message", role: "user", content: [{ type: "input_text", text: input.text }] },
            },
            { type: "response.create" },
          ];
        case "image":
          return [
            {
              type: "conversation.item.create",
              item: {
                type: "message",
                role: "user",
                content: [
                  {
                    type: "input_image",
                    image_url: `data:${input.frame.mimeType};base64,${base64(input.frame.data)}`,
                  },
                ],
              },
            },
          ];
        case "end-of-turn":
          return [{ type: "input_audio_buffer.commit" }, { type: "response.create" }];
        default:
          return [];
      }
    },
    toolResults(results) {
      return [
        ...results.map((result) => ({
          type: "conversation.item.create",
          item: {
            type: "function_call_output",
            call_id: result.id,
            output: JSON.stringify(result.error === undefined ? result.result : { error: result.error }),
          },
        })),
        { type: "response.create" },
      ];
    },
    decode(message): RealtimeEvent[] {
      switch (message.type) {
        case "session.updated":
          return [{ type: "ready" }];
        case "input_audio_buffer.speech_started":
          return [{ type: "speech-started" }];
        case "conversation.item.input_audio_transcription.completed":
          return typeof message.transcript === "string"
            ? [{ type: "user-transcript", text: message.transcript }]
            : [];
        case "response.audio.delta":
        case "response.output_audio.delta":
          return typeof message.delta === "string"
            ? [{ type: "audio-delta", data: Buffer.from(message.delta, "base64") }]
            : [];
        case "response.audio_transcript.delta":
        case "response.output_audio_transcript.delta":
          return typeof message.delta === "string"
            ? [{ type: "transcript-delta", delta: message.delta }]
            : [];
        case "response.text.delta":
        case "response.output_text.delta":
          return typeof message.delta === "string" ? [{ type: "text-delta", delta: message.delta }] : [];
        case "response.done": {
          const response = (message.response ?? {}) as JsonObject;
          const events: RealtimeEvent[] = [];
          const usage = usageOf(response.usage as JsonObject | undefined);
          if (usage) events.push({ type: "usage", usage });
          const calls = ((response.output ?? []) as JsonObject[])
            .filter((item) => item.type === "function_call")
            .map((item) => ({
              id: String(item.call_id),
              name: String(item.name),
              args: parseToolArguments(typeof item.arguments === "string" ? item.arguments : "{}").args,
            }));
          const cancelled = response.status === "cancelled";
          if (calls.length > 0 && !cancelled) events.push({ type: "tool-calls", calls });
          else events.push({ type: "response-done", cancelled });
          return events;
        }
        case "error": {
          const error = (message.error ?? {}) as JsonObject;
          return [{ type: "error", message: String(error.message ?? "unknown error") }];
        }
        default:
          return [];
      }
    },
  };
}

/**
 * The OpenAI Realtime mode of a duplex session.
 *
 * @example
 * const session = await DuplexSession.open({
 *   mode: openAIRealtimeMode({ apiKey: process.env.OPENAI_API_KEY!, model: "gpt-realtime", registry }),
 *   systemPrompt: "You are a friendly voice assistant.",
 * });
 */
export function openAIRealtimeMode(options: OpenAIRealtimeOptions): () => DuplexDriver {
  return () => new RealtimeDriver(openAIRealtimeProtocol(options), options);
}
