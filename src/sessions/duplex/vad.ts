/**
 * A voice-activity detector over PCM16 mono: 20 ms frames, each loud or quiet by its RMS level; a turn starts
 * after `minSpeechMs` of loud frames and ends after `silenceMs` of quiet ones. Work per chunk grows with the
 * chunk, not with the turn so far (the turn's audio is kept as a list of frames and joined once, at the end).
 */
import { rmsLevel } from "./audio.ts";

/**
 * Thresholds of the {@link VoiceActivityDetector}.
 *
 * @example
 * new VoiceActivityDetector({ sampleRate: 16000, threshold: 0.03, silenceMs: 700 })
 */
export interface VadOptions {
  sampleRate: number;
  /** RMS level (0 to 1) from which a frame counts as speech. Default 0.02. */
  threshold?: number;
  /** Loud time before a turn starts. Default 60 ms. */
  minSpeechMs?: number;
  /** Quiet time that ends a turn. Default 500 ms. */
  silenceMs?: number;
  /** A turn longer than this ends anyway. Default 30 s. */
  maxTurnMs?: number;
  /** Frame length. Default 20 ms. */
  frameMs?: number;
}

/**
 * What the detector found in a chunk.
 *
 * @example
 * if (event.type === "speech-end") transcribe(event.audio);
 */
export type VadEvent = { type: "speech-start" } | { type: "speech-end"; audio: Uint8Array };

/**
 * Finds the user's turns in a stream of PCM16 chunks.
 *
 * @example
 * const vad = new VoiceActivityDetector({ sampleRate: 16000 });
 * for (const event of vad.push(chunk)) if (event.type === "speech-end") transcribe(event.audio);
 */
export class VoiceActivityDetector {
  readonly #frameBytes: number;
  readonly #threshold: number;
  readonly #startFrames: number;
  readonly #endFrames: number;
  readonly #maxFrames: number;
  #carry = new Uint8Array(0);
  #speaking = false;
  #loud = 0;
  #quiet = 0;
  #frames: Uint8Array[] = [];

  constructor(options: VadOptions) {
    const frameMs = options.frameMs ?? 20;
    const frameSamples = Math.max(1, Math.round((options.sampleRate * frameMs) / 1000));
    this.#frameBytes = frameSamples * 2;
    this.#threshold = options.threshold ?? 0.02;
    this.#startFrames = Math.max(1, Math.ceil((options.minSpeechMs ?? 60) / frameMs));
    this.#endFrames = Math.max(1, Math.ceil((options.silenceMs ?? 500) / frameMs));
    this.#maxFrames = Math.ceil((options.maxTurnMs ?? 30_000) / frameMs);
  }

  /** Whether a turn is under way. */
  get speaking(): boolean {
    return this.#speaking;
  }

  /** Feeds a chunk; returns what it completed. */
  push(chunk: Uint8Array): VadEvent[] {
    const events: VadEvent[] = [];
    let data = chunk;
    if (this.#carry.byteLength > 0) {
      data = new Uint8Array(this.#carry.byteLength + chunk.byteLength);
      data.set(this.#carry);
      data.set(chunk, this.#carry.byteLength);
    }
    let offset = 0;
    for (; offset + this.#frameBytes <= data.byteLength; offset += this.#frameBytes) {
      const frame = data.slice(offset, offset + this.#frameBytes);
      this.#frame(frame, rmsLevel(frame, 0, frame.byteLength) >= this.#threshold, events);
    }
    this.#carry = data.slice(offset);
    return events;
  }

  #frame(frame: Uint8Array, loud: boolean, events: VadEvent[]): void {
    if (!this.#speaking) {
      this.#loud = loud ? this.#loud + 1 : 0;
      if (loud) this.#frames.push(frame);
      else this.#frames = [];
      if (this.#loud >= this.#startFrames) {
        this.#speaking = true;
        this.#quiet = 0;
        events.push({ type: "speech-start" });
      }
      return;
    }
    this.#frames.push(frame);
    this.#quiet = loud ? 0 : this.#quiet + 1;
    if (this.#quiet >= this.#endFrames || this.#frames.length >= this.#maxFrames) {
      const audio = joinFrames(this.#frames);
      this.#frames = [];
      this.#speaking = false;
      this.#loud = 0;
      events.push({ type: "speech-end", audio });
    }
  }
}

function joinFrames(frames: Uint8Array[]): Uint8Array {
  const total = frames.reduce((sum, frame) => sum + frame.byteLength, 0);
  const joined = new Uint8Array(total);
  let offset = 0;
  for (const frame of frames) {
    joined.set(frame, offset);
    offset += frame.byteLength;
  }
  return joined;
}
