/**
 * The OpenAI-compatible audio endpoints of the local realtime server: `POST /v1/audio/transcriptions` (a WAV in
 * a multipart form → `{ text }`) and `POST /v1/audio/speech` (`{ input }` → PCM16 24 kHz mono, streamed in
 * 100 ms chunks). What they answer is scripted by the server's options.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { pcm16DurationMs, pcm16FromWav, pcm16Tone } from "../../sessions/duplex/audio.ts";

/**
 * How the audio endpoints answer.
 *
 * @example
 * await startRealtimeServer({ transcribe: () => "hi", speechPacingMs: 5 })
 */
export interface AudioEndpointOptions {
  /** The transcript of a spoken turn (default: `speech of <N> ms`). */
  transcribe?: (pcm: Uint8Array, sampleRate: number) => string;
  /** Milliseconds of audio per character of speech input (default 10). */
  speechMsPerCharacter?: number;
  /** Milliseconds between speech chunks (default 0). */
  speechPacingMs?: number;
  /** Largest request body accepted (default 25 MiB, OpenAI's limit). */
  maxBodyBytes?: number;
}

/**
 * One audio request the server received.
 *
 * @example
 * server.audioRequests.filter((request: AudioRequest) => request.path.endsWith("/speech"))
 */
export interface AudioRequest {
  path: string;
  /** The transcript answered, or the text to speak. */
  text: string;
  model?: string;
  /** Transcriptions: the audio's duration. */
  durationMs?: number;
}

/**
 * The sample rate of the speech endpoint's PCM16 output (OpenAI's `pcm` format).
 *
 * @example
 * pcm16DurationMs(bytes.byteLength, SPEECH_SAMPLE_RATE)
 */
export const SPEECH_SAMPLE_RATE = 24_000;

async function readBody(request: IncomingMessage, limit: number): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.byteLength;
    if (size > limit) return undefined;
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

function reply(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { "content-type": "application/json" });
  response.end(JSON.stringify(body));
}

function error(response: ServerResponse, status: number, message: string): void {
  reply(response, status, { error: { message, type: "invalid_request_error" } });
}

/**
 * Serves one audio request; returns false when the path is not an audio endpoint.
 *
 * @example
 * if (await serveAudio(request, response, options, log, wait)) return;
 */
export async function serveAudio(
  request: IncomingMessage,
  response: ServerResponse,
  options: AudioEndpointOptions,
  log: AudioRequest[],
  wait: (ms: number) => Promise<void>,
): Promise<boolean> {
  const path = (request.url ?? "").split("?")[0]!;
  if (path !== "/v1/audio/transcriptions" && path !== "/v1/audio/speech") return false;
  if (request.method !== "POST") {
    error(response, 405, `${path} takes POST`);
    return true;
  }
  const body = await readBody(request, options.maxBodyBytes ?? 25 * 1024 * 1024);
  if (!body) {
    error(response, 413, "request body too large");
    return true;
  }
  if (path === "/v1/audio/transcriptions") {
    const form = await new Request("http://local/", {
      method: "POST",
      headers: { "content-type": request.headers["content-type"] ?? "" },
      body,
    })
      .formData()
      .catch(() => undefined);
    const file = form?.get("file");
    if (!form || !(file instanceof Blob)) {
      error(response, 400, "expected a multipart form with a file field");
      return true;
    }
    const wav = pcm16FromWav(new Uint8Array(await file.arrayBuffer()));
    if (!wav) {
      error(response, 400, "the file is not a PCM16 mono WAV");
      return true;
    }
    const durationMs = pcm16DurationMs(wav.pcm.byteLength, wav.sampleRate);
    const text = options.transcribe?.(wav.pcm, wav.sampleRate) ?? `speech of ${Math.round(durationMs)} ms`;
    const model = form.get("model");
    log.push({ path, text, durationMs, ...(typeof model === "string" ? { model } : {}) });
    reply(response, 200, { text });
    return true;
  }
  let input: { input?: unknown; model?: unknown };
  try {
    input = JSON.parse(body.toString("utf8"));
  } catch {
    error(response, 400, "expected a JSON body");
    return true;
  }
  if (typeof input.input !== "string" || input.input === "") {
    error(response, 400, "input must be a non-empty string");
    return true;
  }
  log.push({ path, text: input.input, ...(typeof input.model === "string" ? { model: input.model } : {}) });
  const audio = pcm16Tone({
    sampleRate: SPEECH_SAMPLE_RATE,
    durationMs: input.input.length * (options.speechMsPerCharacter ?? 10),
    frequency: 330,
    amplitude: 0.2,
  });
  response.writeHead(200, { "content-type": "audio/pcm" });
  const chunk = (SPEECH_SAMPLE_RATE / 10) * 2;
  for (let offset = 0; offset < audio.byteLength && !response.destroyed; offset += chunk) {
    response.write(audio.subarray(offset, offset + chunk));
    if (options.speechPacingMs) await wait(options.speechPacingMs);
  }
  response.end();
  return true;
}
