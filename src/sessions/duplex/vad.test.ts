/** The voice-activity detector over synthetic PCM16: tone bursts and silence generated here. */
import { describe, expect, it } from "vitest";
import { chunksOf, pcm16DurationMs, pcm16FromWav, pcm16Silence, pcm16Tone, wavFromPcm16 } from "./audio.ts";
import { type VadEvent, VoiceActivityDetector } from "./vad.ts";

const RATE = 16_000;

function feed(vad: VoiceActivityDetector, audio: Uint8Array[], chunkBytes: number): VadEvent[] {
  const events: VadEvent[] = [];
  for (const part of audio) for (const chunk of chunksOf(part, chunkBytes)) events.push(...vad.push(chunk));
  return events;
}

describe("VoiceActivityDetector", () => {
  it("finds each burst as one turn that ends after the configured silence, whatever the chunk size", () => {
    for (const chunkBytes of [2, 318, 640, 4000]) {
      const vad = new VoiceActivityDetector({ sampleRate: RATE, silenceMs: 300 });
      const events = feed(
        vad,
        [
          pcm16Silence({ sampleRate: RATE, durationMs: 200 }),
          pcm16Tone({ sampleRate: RATE, durationMs: 400 }),
          pcm16Silence({ sampleRate: RATE, durationMs: 400 }),
          pcm16Tone({ sampleRate: RATE, durationMs: 200, frequency: 440 }),
          pcm16Silence({ sampleRate: RATE, durationMs: 400 }),
        ],
        chunkBytes,
      );
      expect(events.map((event) => event.type)).toEqual([
        "speech-start",
        "speech-end",
        "speech-start",
        "speech-end",
      ]);
      const [first, second] = events.filter((event) => event.type === "speech-end");
      expect(pcm16DurationMs(first!.audio.byteLength, RATE)).toBeCloseTo(400 + 300, -1);
      expect(pcm16DurationMs(second!.audio.byteLength, RATE)).toBeCloseTo(200 + 300, -1);
    }
  });

  it("ignores sound under the threshold, clicks shorter than minSpeechMs, and pauses shorter than silenceMs", () => {
    const vad = new VoiceActivityDetector({
      sampleRate: RATE,
      threshold: 0.1,
      minSpeechMs: 100,
      silenceMs: 300,
    });
    const events = feed(
      vad,
      [
        pcm16Tone({ sampleRate: RATE, durationMs: 500, amplitude: 0.05 }),
        pcm16Tone({ sampleRate: RATE, durationMs: 40, amplitude: 0.5 }),
        pcm16Silence({ sampleRate: RATE, durationMs: 400 }),
        pcm16Tone({ sampleRate: RATE, durationMs: 200, amplitude: 0.5 }),
        pcm16Silence({ sampleRate: RATE, durationMs: 200 }),
        pcm16Tone({ sampleRate: RATE, durationMs: 200, amplitude: 0.5 }),
        pcm16Silence({ sampleRate: RATE, durationMs: 300 }),
      ],
      640,
    );
    expect(events.map((event) => event.type)).toEqual(["speech-start", "speech-end"]);
    expect(vad.speaking).toBe(false);
  });

  it("ends a turn at maxTurnMs", () => {
    const vad = new VoiceActivityDetector({ sampleRate: RATE, maxTurnMs: 1000 });
    const events = feed(vad, [pcm16Tone({ sampleRate: RATE, durationMs: 1500 })], 3200);
    expect(events.filter((event) => event.type === "speech-end")).toHaveLength(1);
  });

  it("wraps PCM16 in WAV and reads it back", () => {
    const pcm = pcm16Tone({ sampleRate: RATE, durationMs: 50 });
    expect(pcm16FromWav(wavFromPcm16(pcm, RATE))).toEqual({ pcm, sampleRate: RATE });
    expect(pcm16FromWav(new Uint8Array(10))).toBeUndefined();
  });
});
