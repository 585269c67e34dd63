/**
 * Clients of the OpenAI-compatible audio endpoints a VAD-mode duplex session uses: `/audio/transcriptions`
 * (speech to text, sent as a WAV file in a multipart form) and `/audio/speech` (text to PCM16 audio, streamed).
 * Any server with the same endpoints works (OpenAI, a local Whisper or TTS server, the testing kit's).
 * Errors name the endpoint and status, never the API key.
 */
import { ProviderError } from "../../engine/errors.ts";
import { wavFromPcm16 } from "./audio.ts";
import type { AudioFormat } from "./types.ts";

/**
 * Turns a user's speech into text.
 *
 * @example
 * const text = await transcriber.transcribe(pcm16, 16000, signal);
 */
export interface Transcriber {
  transcribe(pcm: Uint8Array, sampleRate: number, signal?: AbortSignal): Promise<string>;
}

/**
 * Turns answer text into audio chunks.
 *
 * @example
 * for await (const chunk of speech.synthesize("Hello!", signal)) speaker.write(chunk);
 */
export interface SpeechSynthesizer {
  /** The format of the chunks `synthesize` yields. */
  readonly format: AudioFormat;
  synthesize(text: string, signal?: AbortSignal): AsyncIterable<Uint8Array>;
}

/**
 * Where an OpenAI-compatible audio endpoint is.
 *
 * @example
 * const options: OpenAIAudioOptions = { baseURL: "https://api.openai.com/v1", apiKey: process.env.OPENAI_API_KEY! };
 */
export interface OpenAIAudioOptions {
  /** Up to `/v1`, e.g. `https://api.openai.com/v1`. */
  baseURL: string;
  apiKey?: string;
  model?: string;
  fetch?: typeof fetch;
}

function headersOf(options: OpenAIAudioOptions): Record<string, string> {
  return options.apiKey ? { authorization: `Bearer ${options.apiKey}` } : {};
}

async function failure(response: Response, endpoint: string, provider: string): Promise<ProviderError> {
  const body = (await response.text().catch(() => "")).slice(0, 300);
  return new ProviderError(
    `${endpoint} answered HTTP ${response.status}${body ? `: ${body}` : ""}`,
    { provider, status: response.status },
    { retryable: response.status >= 500 || response.status === 429 },
  );
}

/**
 * A transcriber over `POST <baseURL>/audio/transcriptions` (model default `whisper-1`).
 *
 * @example
 * const transcriber = openAITranscriber({ baseURL: "https://api.openai.com/v1", apiKey, model: "gpt-4o-transcribe" });
 */
export function openAITranscriber(options: OpenAIAudioOptions): Transcriber {
  const endpoint = `${options.baseURL.replace(/\/$/, "")}/audio/transcriptions`;
  const fetcher = options.fetch ?? fetch;
  return {
    async transcribe(pcm, sampleRate, signal) {
      const form = new FormData();
      form.set(
        "file",
        new Blob([wavFromPcm16(pcm, sampleRate) as Uint8Array<ArrayBuffer>], { type: "audio/wav" }),
        "speech.wav",
      );
      form.set("model", options.model ?? "whisper-1");
      form.set("response_format", "json");
      const response = await fetcher(endpoint, {
        method: "POST",
        headers: headersOf(options),
        body: form,
        ...(signal ? { signal } : {}),
      });
      if (!response.ok) throw await failure(response, endpoint, "openai-transcription");
      const body = (await response.json()) as { text?: unknown };
      if (typeof body.text !== "string")
        throw new ProviderError(
          `${endpoint} answered without a text field`,
          { provider: "openai-transcription" },
          {
            code: "invalid_response",
          },
        );
      return body.text;
    },
  };
}

/**
 * A speech synthesizer over `POST <baseURL>/audio/speech` with `response_format: "pcm"` (24 kHz PCM16 mono,
 * streamed as it is generated). Model default `tts-1`, voice default `alloy`.
 *
 * @example
 * const speech = openAISpeech({ baseURL: "https://api.openai.com/v1", apiKey, voice: "nova" });
 */
export function openAISpeech(options: OpenAIAudioOptions & { voice?: string }): SpeechSynthesizer {
  const endpoint = `${options.baseURL.replace(/\/$/, "")}/audio/speech`;
  const fetcher = options.fetch ?? fetch;
  return {
    format: { encoding: "pcm16", sampleRate: 24_000 },
    async *synthesize(text, signal) {
      const response = await fetcher(endpoint, {
        method: "POST",
        headers: { ...headersOf(options), "content-type": "application/json" },
        body: JSON.stringify({
          model: options.model ?? "tts-1",
          voice: options.voice ?? "alloy",
          input: text,
          response_format: "pcm",
        }),
        ...(signal ? { signal } : {}),
      });
      if (!response.ok) throw await failure(response, endpoint, "openai-speech");
      if (!response.body) return;
      let odd: Uint8Array | undefined;
      for await (const piece of response.body as AsyncIterable<Uint8Array>) {
        let bytes = piece;
        if (odd) {
          bytes = new Uint8Array(odd.byteLength + piece.byteLength);
          bytes.set(odd);
          bytes.set(piece, odd.byteLength);
          odd = undefined;
        }
        const even = bytes.byteLength - (bytes.byteLength % 2);
        if (even < bytes.byteLength) odd = bytes.slice(even);
        if (even > 0) yield bytes.subarray(0, even);
      }
    },
  };
}
