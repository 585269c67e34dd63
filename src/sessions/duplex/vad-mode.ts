/**
 * VAD mode of a duplex session, for providers without bidirectional streaming: a {@link VoiceActivityDetector}
 * finds the end of each spoken turn, a {@link Transcriber} turns it into text, any unary engine answers (with its
 * tools), and a {@link SpeechSynthesizer} speaks the answer sentence by sentence. Text input works too: a text
 * turn ends on an explicit end of turn. Turns are answered one at a time, in order.
 *
 * Barge-in (the user starts speaking during the answer): `ignore` lets the answer finish (the new speech is the
 * next turn), `immediate` stops the answer and its speech at once, `after-sentence` lets the sentence being
 * spoken finish first. An interrupted answer keeps what was generated, ends with an `interrupted` chunk, and is
 * saved as a turn.
 */
import type { Engine } from "../../engine/engine.ts";
import { GeppettoError } from "../../engine/errors.ts";
import { addUsage } from "../../engine/totals.ts";
import type { EngineBuilder } from "../../session/engine-builder.ts";
import type { ExecutionHandle } from "../../session/execution-handle.ts";
import type { Session } from "../../session/session.ts";
import { newId } from "../../turns/builders.ts";
import type { JsonObject } from "../../turns/json.ts";
import { blockFromMessage } from "../messages.ts";
import { type RunRecord, RunRecordKey, sessionParts } from "../run-record.ts";
import type { SpeechSynthesizer, Transcriber } from "./speech-clients.ts";
import type { DuplexDriver, DuplexHost, DuplexInput, ImageFrame } from "./types.ts";
import { type VadOptions, VoiceActivityDetector } from "./vad.ts";

/**
 * What the user's speech during an answer does to it.
 *
 * @example
 * vadMode({ engine, transcriber, bargeIn: "after-sentence" satisfies BargeInPolicy })
 */
export type BargeInPolicy = "ignore" | "immediate" | "after-sentence";

/**
 * Options of {@link vadMode}.
 *
 * @example
 * vadMode({ engine, transcriber: openAITranscriber({ baseURL, apiKey }), speech: openAISpeech({ baseURL, apiKey }) })
 */
export interface VadModeOptions {
  /** The unary engine that answers (or a builder with tools and middlewares). */
  engine: Engine | EngineBuilder;
  transcriber: Transcriber;
  /** Speaks the answers; without it the answers are text only. */
  speech?: SpeechSynthesizer;
  /** Input sample rate (default 16000) and detector thresholds. */
  vad?: Partial<VadOptions>;
  /** Default `immediate`. */
  bargeIn?: BargeInPolicy;
}

type UserTurn = { audio: Uint8Array } | { text: string };

interface Answer {
  turnId: string;
  handle: ExecutionHandle | undefined;
  controller: AbortController;
  stopAfterSentence: boolean;
  interrupted: boolean;
  /** The answer audio the reader had taken when an immediate barge-in stopped it. */
  audioPlayedMs?: number;
}

const SENTENCE_END = /[.!?…](?:\s|$)/;

/**
 * The VAD mode: turn detection, transcription, a unary engine, speech.
 *
 * @example
 * const session = await DuplexSession.open({ mode: vadMode({ engine, transcriber, speech, bargeIn: "after-sentence" }) });
 */
export function vadMode(options: VadModeOptions): () => DuplexDriver {
  return () => new VadDriver(options);
}

class VadDriver implements DuplexDriver {
  readonly inputSampleRate: number;
  readonly accepts = { frames: true, video: false };
  readonly #options: VadModeOptions;
  readonly #vad: VoiceActivityDetector;
  #host!: DuplexHost;
  #session!: Session;
  #text = "";
  #frame: ImageFrame | undefined;
  #turns: Promise<void> = Promise.resolve();
  #answer: Answer | undefined;
  #closed = false;

  constructor(options: VadModeOptions) {
    this.#options = options;
    this.inputSampleRate = options.vad?.sampleRate ?? 16_000;
    this.#vad = new VoiceActivityDetector({ ...options.vad, sampleRate: this.inputSampleRate });
  }

  async start(host: DuplexHost): Promise<void> {
    this.#host = host;
    const { builder, Session } = await sessionParts(this.#options.engine);
    const conversation = host.conversation();
    this.#session = new Session({
      id: host.sessionId,
      runner: builder.build(),
      busyPolicy: "queue",
      history: conversation.blocks.length > 0 ? [conversation] : [],
    });
  }

  async send(input: DuplexInput): Promise<void> {
    if (input.type === "audio") {
      for (const event of this.#vad.push(input.data)) {
        if (event.type === "speech-start") this.#bargeIn();
        else this.#enqueue({ audio: event.audio });
      }
    } else if (input.type === "text") {
      this.#text += input.text;
      if (input.endOfTurn) this.#endTextTurn();
    } else if (input.type === "end-of-turn") {
      this.#endTextTurn();
    } else if (input.type === "image") {
      this.#frame = input.frame;
    }
  }

  #endTextTurn(): void {
    if (this.#text.trim() === "") return;
    const text = this.#text;
    this.#text = "";
    this.#enqueue({ text });
  }

  #bargeIn(): void {
    const answer = this.#answer;
    const policy = this.#options.bargeIn ?? "immediate";
    if (!answer || policy === "ignore") return;
    answer.interrupted = true;
    if (policy === "after-sentence") {
      answer.stopAfterSentence = true;
      return;
    }
    answer.audioPlayedMs = this.#host.interruptPlayback(answer.turnId);
    answer.controller.abort();
    answer.handle?.cancel("barge-in");
  }

  #enqueue(turn: UserTurn): void {
    this.#turns = this.#turns.then(() => (this.#closed ? undefined : this.#exchange(turn)));
  }

  async #exchange(input: UserTurn): Promise<void> {
    const turnId = newId();
    const answer: Answer = {
      turnId,
      handle: undefined,
      controller: new AbortController(),
      stopAfterSentence: false,
      interrupted: false,
    };
    this.#answer = answer;
    const host = this.#host;
    try {
      host.emit({ type: "turn-start", turnId });
      const spoken = "audio" in input;
      const text = spoken
        ? await this.#options.transcriber.transcribe(
            input.audio,
            this.inputSampleRate,
            answer.controller.signal,
          )
        : input.text;
      if (spoken) host.emit({ type: "transcript", turnId, role: "user", text, final: true });
      const frame = this.#frame;
      this.#frame = undefined;
      const block = blockFromMessage({
        role: "user",
        content: text,
        source: spoken ? "transcript" : "text",
        ...(frame
          ? {
              attachments: [
                {
                  kind: "image",
                  mediaType: frame.mimeType,
                  data: Buffer.from(frame.data).toString("base64"),
                },
              ],
            }
          : {}),
      });
      const record: RunRecord = { system: host.systemPrompt(), results: [] };
      this.#session.appendNewTurnFromUserPrompt(block);
      const handle = this.#session.startInference({
        context: host.context.with(RunRecordKey, record),
      });
      answer.handle = handle;
      if (answer.controller.signal.aborted) handle.cancel("barge-in");
      await this.#stream(answer, handle);
      const outcome = await handle.result;
      if (answer.interrupted)
        host.emit({
          type: "interrupted",
          turnId,
          reason: "barge-in",
          ...(answer.audioPlayedMs === undefined ? {} : { audioPlayedMs: answer.audioPlayedMs }),
        });
      if (this.#closed) return;
      await host.commit(outcome.turn);
      const usage = record.results.reduce((total, each) => addUsage(total, each.usage), {});
      host.emit({ type: "turn-end", turnId, usage, interrupted: answer.interrupted });
    } catch (error) {
      if (this.#closed) return;
      host.fail(
        GeppettoError.is(error)
          ? error
          : new GeppettoError(`duplex turn ${turnId} failed: ${(error as Error).message}`, {
              code: "internal_error",
              fault: "provider",
              cause: error,
            }),
      );
    } finally {
      if (this.#answer === answer) this.#answer = undefined;
    }
  }

  /** Forwards the answer's chunks, and speaks it sentence by sentence while it streams. */
  async #stream(answer: Answer, handle: ExecutionHandle): Promise<void> {
    const host = this.#host;
    const { turnId } = answer;
    let pending = "";
    let speaking: Promise<void> = Promise.resolve();
    const speak = (sentence: string) => {
      if (!this.#options.speech || sentence.trim() === "") return;
      speaking = speaking.then(() => this.#speak(answer, sentence));
      speaking.catch(() => {}); // awaited below; this only keeps an early failure from being unhandled
    };
    for await (const event of handle) {
      if (event.type === "partial") {
        host.emit({ type: "text-delta", turnId, delta: event.delta });
        pending += event.delta;
        let match = SENTENCE_END.exec(pending);
        while (match) {
          const end = match.index + match[0].length;
          speak(pending.slice(0, end));
          pending = pending.slice(end);
          match = SENTENCE_END.exec(pending);
        }
      } else if (event.type === "tool-call") {
        const args = (event.toolCall.input ?? {}) as JsonObject;
        host.emit({ type: "tool-call", turnId, id: event.toolCall.id, name: event.toolCall.name, args });
      } else if (event.type === "tool-result") {
        const { id, name, result, error } = event.toolResult;
        host.emit({ type: "tool-result", turnId, id, name: name ?? "", result, ...(error ? { error } : {}) });
      }
      // A full response stream stops the answer's stream here, and so the engine's reading of its response.
      const full = host.writable();
      if (full) await full;
    }
    speak(pending);
    await speaking;
  }

  async #speak(answer: Answer, sentence: string): Promise<void> {
    const speech = this.#options.speech!;
    if (answer.controller.signal.aborted) return;
    try {
      for await (const data of speech.synthesize(sentence, answer.controller.signal)) {
        if (answer.controller.signal.aborted) return;
        this.#host.emit({ type: "audio-delta", turnId: answer.turnId, data, format: speech.format });
        const full = this.#host.writable();
        if (full) await full;
      }
    } catch (error) {
      if (!answer.controller.signal.aborted) throw error;
      return;
    }
    if (answer.stopAfterSentence) {
      answer.controller.abort();
      answer.handle?.cancel("barge-in");
    }
  }

  async close(): Promise<void> {
    this.#closed = true;
    if (this.#answer) {
      this.#answer.controller.abort();
      this.#answer.handle?.cancel("session closed");
    }
    await this.#turns.catch(() => {});
  }
}
