/**
 * PCM16 audio helpers: loudness of a frame, WAV wrapping for transcription, and synthetic signals (tones and
 * silence) for tests and demos.
 */

/**
 * The root-mean-square level of 16-bit little-endian samples, from 0 (silence) to 1 (full scale).
 *
 * @example
 * rmsLevel(pcm, 0, pcm.byteLength) > 0.02 // speech-loud
 */
export function rmsLevel(pcm: Uint8Array, start: number, end: number): number {
  const view = new DataView(pcm.buffer, pcm.byteOffset, pcm.byteLength);
  let sum = 0;
  let count = 0;
  for (let offset = start; offset + 1 < end; offset += 2) {
    const sample = view.getInt16(offset, true) / 32768;
    sum += sample * sample;
    count++;
  }
  return count === 0 ? 0 : Math.sqrt(sum / count);
}

/**
 * PCM16 mono samples wrapped in a WAV (RIFF) header.
 *
 * @example
 * new Blob([wavFromPcm16(pcm, 16000)], { type: "audio/wav" })
 */
export function wavFromPcm16(pcm: Uint8Array, sampleRate: number): Uint8Array {
  const wav = new Uint8Array(44 + pcm.byteLength);
  const view = new DataView(wav.buffer);
  const ascii = (offset: number, text: string) => {
    for (let index = 0; index < text.length; index++) view.setUint8(offset + index, text.charCodeAt(index));
  };
  ascii(0, "RIFF");
  view.setUint32(4, 36 + pcm.byteLength, true);
  ascii(8, "WAVE");
  ascii(12, "fmt ");
  view.setUint32(16, 16, true);
  view.setUint16(20, 1, true);
  view.setUint16(22, 1, true);
  view.setUint32(24, sampleRate, true);
  view.setUint32(28, sampleRate * 2, true);
  view.setUint16(32, 2, true);
  view.setUint16(34, 16, true);
  ascii(36, "data");
  view.setUint32(40, pcm.byteLength, true);
  wav.set(pcm, 44);
  return wav;
}

/**
 * The PCM16 samples of a WAV file (its `data` chunk) and its sample rate; undefined when it is not PCM16 mono.
 *
 * @example
 * const { pcm, sampleRate } = pcm16FromWav(bytes)!;
 */
export function pcm16FromWav(wav: Uint8Array): { pcm: Uint8Array; sampleRate: number } | undefined {
  if (wav.byteLength < 44) return undefined;
  const view = new DataView(wav.buffer, wav.byteOffset, wav.byteLength);
  const text = (offset: number) => String.fromCharCode(...wav.subarray(offset, offset + 4));
  if (text(0) !== "RIFF" || text(8) !== "WAVE") return undefined;
  let offset = 12;
  let sampleRate = 0;
  while (offset + 8 <= wav.byteLength) {
    const id = text(offset);
    const size = view.getUint32(offset + 4, true);
    if (id === "fmt ") {
      if (view.getUint16(offset + 8, true) !== 1 || view.getUint16(offset + 10, true) !== 1) return undefined;
      if (view.getUint16(offset + 22, true) !== 16) return undefined;
      sampleRate = view.getUint32(offset + 12, true);
    }
    if (id === "data") return { pcm: wav.subarray(offset + 8, offset + 8 + size), sampleRate };
    offset += 8 + size + (size % 2);
  }
  return undefined;
}

/**
 * A sine tone as PCM16 mono (`amplitude` from 0 to 1).
 *
 * @example
 * const speech = pcm16Tone({ sampleRate: 16000, durationMs: 400, frequency: 220, amplitude: 0.3 });
 */
export function pcm16Tone(options: {
  sampleRate: number;
  durationMs: number;
  frequency?: number;
  amplitude?: number;
}): Uint8Array {
  const samples = Math.round((options.sampleRate * options.durationMs) / 1000);
  const pcm = new Uint8Array(samples * 2);
  const view = new DataView(pcm.buffer);
  const frequency = options.frequency ?? 220;
  const amplitude = options.amplitude ?? 0.3;
  for (let index = 0; index < samples; index++) {
    const value = Math.sin((2 * Math.PI * frequency * index) / options.sampleRate) * amplitude * 32767;
    view.setInt16(index * 2, Math.round(value), true);
  }
  return pcm;
}

/**
 * Silence as PCM16 mono.
 *
 * @example
 * pcm16Silence({ sampleRate: 16000, durationMs: 600 })
 */
export function pcm16Silence(options: { sampleRate: number; durationMs: number }): Uint8Array {
  return new Uint8Array(Math.round((options.sampleRate * options.durationMs) / 1000) * 2);
}

/**
 * Milliseconds of PCM16 mono audio.
 *
 * @example
 * pcm16DurationMs(32_000, 16_000) // 1000
 */
export function pcm16DurationMs(byteLength: number, sampleRate: number): number {
  return (byteLength / 2 / sampleRate) * 1000;
}

/**
 * Splits bytes into pieces of at most `size` bytes (views, not copies).
 *
 * @example
 * for (const chunk of chunksOf(pcm, 640)) await session.sendAudio(chunk);
 */
export function chunksOf(data: Uint8Array, size: number): Uint8Array[] {
  const pieces: Uint8Array[] = [];
  for (let offset = 0; offset < data.byteLength; offset += size)
    pieces.push(data.subarray(offset, offset + size));
  return pieces;
}
