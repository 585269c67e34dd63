/**
 * The chunks of a duplex session: what the caller sends (audio, text, image frames, video chunks, end of turn)
 * and what the response stream yields (text and audio deltas, transcripts, tool calls and results, turn
 * boundaries, interruptions, errors), and the driver contract the VAD and realtime modes implement.
 */
import type { GeppettoError } from "../../engine/errors.ts";
import type { RunContext } from "../../events/context.ts";
import type { Usage } from "../../events/types.ts";
import type { JsonObject, JsonValue } from "../../turns/json.ts";
import type { Turn } from "../../turns/types.ts";

/**
 * An image frame for realtime video (one still: JPEG, PNG…).
 *
 * @example
 * await session.sendFrame({ data: jpeg, mimeType: "image/jpeg", width: 640, height: 480, frameNumber: 1, timestamp: Date.now() });
 */
export interface ImageFrame {
  data: Uint8Array;
  mimeType: string;
  width?: number;
  height?: number;
  frameNumber: number;
  /** Milliseconds since the epoch when it was captured. */
  timestamp: number;
}

/**
 * A piece of encoded video (H.264, VP8…).
 *
 * @example
 * await session.sendVideoChunk({ data, mimeType: "video/webm", chunkIndex: 0, keyFrame: true, timestamp: Date.now(), durationMs: 500 });
 */
export interface VideoChunk {
  data: Uint8Array;
  mimeType: string;
  width?: number;
  height?: number;
  chunkIndex: number;
  keyFrame: boolean;
  timestamp: number;
  durationMs: number;
}

/**
 * The audio a session takes and gives: 16-bit little-endian PCM, mono.
 *
 * @example
 * const format: AudioFormat = { encoding: "pcm16", sampleRate: 16000 };
 */
export interface AudioFormat {
  encoding: "pcm16";
  sampleRate: number;
  channels?: 1;
}

/**
 * One input chunk.
 *
 * @example
 * await session.sendChunk({ type: "audio", data: pcm16, format: { encoding: "pcm16", sampleRate: 16000 } });
 */
export type DuplexInput =
  | { type: "audio"; data: Uint8Array; format?: AudioFormat }
  | { type: "text"; text: string; endOfTurn?: boolean }
  | { type: "image"; frame: ImageFrame }
  | { type: "video"; chunk: VideoChunk }
  /** The user's turn is over (text input, or push-to-talk audio). */
  | { type: "end-of-turn" };

/**
 * One chunk of the response stream. Every chunk of one exchange carries its `turnId`.
 *
 * @example
 * for await (const chunk of session.response()) if (chunk.type === "audio-delta") speaker.write(chunk.data);
 */
export type DuplexOutput =
  | { type: "turn-start"; turnId: string }
  | { type: "transcript"; turnId: string; role: "user" | "assistant"; text: string; final: boolean }
  | { type: "text-delta"; turnId: string; delta: string }
  | { type: "audio-delta"; turnId: string; data: Uint8Array; format: AudioFormat }
  | { type: "tool-call"; turnId: string; id: string; name: string; args: JsonObject }
  | { type: "tool-result"; turnId: string; id: string; name: string; result: JsonValue; error?: string }
  /** The user spoke over the answer and it was cut short (`reason`: `barge-in`). */
  | { type: "interrupted"; turnId: string; reason: "barge-in" | "cancelled" }
  | { type: "turn-end"; turnId: string; usage?: Usage; interrupted: boolean }
  /** The session failed; it is over (the state keeps every complete turn). */
  | { type: "error"; error: GeppettoError };

/**
 * What a driver gets from its session.
 *
 * @example
 * host.emit({ type: "text-delta", turnId, delta: "Hi" });
 */
export interface DuplexHost {
  readonly sessionId: string;
  /** The context the session's work runs in (its tracer, logger and sinks; the `duplex_session` span current). */
  readonly context: RunContext;
  /** Adds a chunk to the response stream. */
  emit(chunk: DuplexOutput): void;
  /** The conversation so far. */
  conversation(): Turn;
  /** The rendered system prompt (throws for an unknown variable). */
  systemPrompt(): string | undefined;
  /** Makes `turn` the conversation (one more complete exchange) and saves it. */
  commit(turn: Turn): Promise<void>;
  /** Ends the session with an error (emitted, then the stream closes). */
  fail(error: GeppettoError): void;
}

/**
 * One mode of a duplex session (VAD over a unary engine, or a realtime provider connection).
 *
 * @example
 * DuplexSession.open({ mode: () => myDriver satisfies DuplexDriver })
 */
export interface DuplexDriver {
  /** The PCM16 sample rate audio input must have. */
  readonly inputSampleRate: number;
  /** Whether image frames and video chunks are accepted. */
  readonly accepts: { frames: boolean; video: boolean };
  /**
   * The provider model whose answers the exchanges are (a realtime mode): the session then traces each exchange as
   * a `chat {model}` span. Unset when the driver's inferences trace themselves (VAD mode runs a Session).
   */
  readonly traced?: { provider: string; model?: string };
  /** Connects (realtime) or gets ready. */
  start(host: DuplexHost): Promise<void>;
  /** Handles one validated input chunk. */
  send(input: DuplexInput): Promise<void>;
  /** Stops: cancels what runs, closes connections, and waits for it. */
  close(): Promise<void>;
}
