/**
 * The protocol-neutral core of the local realtime server: one scripted conversation per WebSocket connection.
 * Audio input goes through a server-side voice-activity detector (turn detection and barge-in like the real
 * services); a finished spoken turn is transcribed and answered; answers stream as audio, transcript or text
 * deltas word by word (paced, so a test can speak over them); tool calls wait for their results.
 */
import { pcm16Tone } from "../../sessions/duplex/audio.ts";
import { VoiceActivityDetector } from "../../sessions/duplex/vad.ts";
import type { JsonObject } from "../../turns/json.ts";

/**
 * One scripted answer.
 *
 * @example
 * const reply: RealtimeReply = { text: "It is sunny.", usage: { inputTokens: 20, outputTokens: 5 } };
 */
export interface RealtimeReply {
  text?: string;
  toolCalls?: { name: string; args: JsonObject }[];
  usage?: { inputTokens: number; outputTokens: number };
}

/**
 * What a scripted answer is computed from.
 *
 * @example
 * respond: (input: RealtimeReplyInput) => ({ text: `You said ${input.userText}` })
 */
export interface RealtimeReplyInput {
  /** The user's text or transcript of this turn ("" when the answer continues after tool results). */
  userText: string;
  /** Results of the tool calls of the previous answer, by tool name. */
  toolResults: { name: string; output: string }[];
  instructions: string | undefined;
  tools: string[];
  /** Answers given on this connection so far. */
  answered: number;
}

/**
 * How the realtime protocols of the local server answer.
 *
 * @example
 * await startRealtimeServer({ wordPacingMs: 5, transcribe: () => "hello" } satisfies RealtimeScriptOptions)
 */
export interface RealtimeScriptOptions {
  /** The answer to each turn (default: `You said: <text>`). */
  respond?: (input: RealtimeReplyInput) => RealtimeReply;
  /** The transcript of a spoken turn (default: `speech of <N> ms`). */
  transcribe?: (pcm: Uint8Array, sampleRate: number) => string;
  /** Milliseconds between answer words (default 0). */
  wordPacingMs?: number;
  /** Milliseconds of answer audio per character (default 10). */
  msPerCharacter?: number;
}

/**
 * What the core tells its protocol to send.
 *
 * @example
 * const event: ConversationEvent = { type: "speech-started" };
 */
export type ConversationEvent =
  | { type: "speech-started" }
  | { type: "speech-stopped" }
  | { type: "user-transcript"; text: string }
  | { type: "response-start"; responseId: string }
  | { type: "audio"; responseId: string; data: Uint8Array }
  | { type: "transcript"; responseId: string; delta: string }
  | { type: "text"; responseId: string; delta: string }
  | { type: "tool-calls"; responseId: string; calls: { id: string; name: string; args: JsonObject }[] }
  | { type: "interrupted"; responseId: string }
  | {
      type: "response-done";
      responseId: string;
      status: "completed" | "cancelled";
      usage: { inputTokens: number; outputTokens: number };
    };

const OUTPUT_RATE = 24_000;

/**
 * One connection's conversation.
 *
 * @example
 * const conversation = new ScriptedConversation({}, 24_000, (event) => send(event), wait);
 */
export class ScriptedConversation {
  readonly #options: RealtimeScriptOptions;
  readonly #emit: (event: ConversationEvent) => void;
  readonly #wait: (ms: number) => Promise<void>;
  readonly #inputRate: number;
  #vad: VoiceActivityDetector | undefined;
  #manualAudio: Uint8Array[] = [];
  #userText = "";
  #toolResults: { name: string; output: string }[] = [];
  #pendingCalls = new Map<string, string>();
  #responding: { id: string; cancelled: boolean } | undefined;
  #answered = 0;
  #sequence = 0;
  instructions: string | undefined;
  tools: string[] = [];
  audioOut = true;
  /** Image frames and video chunks received. */
  frames = 0;

  constructor(
    options: RealtimeScriptOptions,
    inputRate: number,
    emit: (event: ConversationEvent) => void,
    wait: (ms: number) => Promise<void>,
  ) {
    this.#options = options;
    this.#inputRate = inputRate;
    this.#emit = emit;
    this.#wait = wait;
    this.serverVad(true);
  }

  serverVad(enabled: boolean): void {
    this.#vad = enabled
      ? new VoiceActivityDetector({ sampleRate: this.#inputRate, silenceMs: 300 })
      : undefined;
  }

  audio(pcm: Uint8Array): void {
    if (!this.#vad) {
      this.#manualAudio.push(pcm);
      return;
    }
    for (const event of this.#vad.push(pcm)) {
      if (event.type === "speech-start") {
        this.#emit({ type: "speech-started" });
        this.cancel();
      } else {
        this.#emit({ type: "speech-stopped" });
        this.#spoken(event.audio);
        void this.respond();
      }
    }
  }

  /** Push-to-talk: the audio since the last commit is the user's turn. */
  commitAudio(): void {
    const total = this.#manualAudio.reduce((sum, part) => sum + part.byteLength, 0);
    const joined = new Uint8Array(total);
    let offset = 0;
    for (const part of this.#manualAudio) {
      joined.set(part, offset);
      offset += part.byteLength;
    }
    this.#manualAudio = [];
    if (total > 0) this.#spoken(joined);
  }

  #spoken(pcm: Uint8Array): void {
    const text =
      this.#options.transcribe?.(pcm, this.#inputRate) ??
      `speech of ${Math.round((pcm.byteLength / 2 / this.#inputRate) * 1000)} ms`;
    this.#userText += text;
    this.#emit({ type: "user-transcript", text });
  }

  text(text: string): void {
    this.#userText += text;
  }

  /** An earlier assistant message (a continued conversation's history): the user text before it is history too. */
  history(): void {
    this.#userText = "";
  }

  /** A tool result; returns true when it was the last one the previous answer waited for. */
  toolResult(callId: string, output: string): boolean {
    const name = this.#pendingCalls.get(callId);
    if (name === undefined) return false;
    this.#pendingCalls.delete(callId);
    this.#toolResults.push({ name, output });
    return this.#pendingCalls.size === 0;
  }

  cancel(): void {
    const responding = this.#responding;
    if (!responding || responding.cancelled) return;
    responding.cancelled = true;
    this.#emit({ type: "interrupted", responseId: responding.id });
  }

  async respond(): Promise<void> {
    if (this.#responding && !this.#responding.cancelled) return;
    const responding = { id: `resp_${++this.#sequence}`, cancelled: false };
    this.#responding = responding;
    const input: RealtimeReplyInput = {
      userText: this.#userText,
      toolResults: this.#toolResults,
      instructions: this.instructions,
      tools: this.tools,
      answered: this.#answered++,
    };
    this.#userText = "";
    this.#toolResults = [];
    const reply = this.#options.respond?.(input) ?? { text: `You said: ${input.userText}` };
    const responseId = responding.id;
    this.#emit({ type: "response-start", responseId });
    const usage = reply.usage ?? {
      inputTokens: input.userText.length,
      outputTokens: (reply.text ?? "").length,
    };
    if (reply.toolCalls && reply.toolCalls.length > 0) {
      const calls = reply.toolCalls.map((call, index) => ({
        id: `call_${this.#sequence}_${index}`,
        ...call,
      }));
      for (const call of calls) this.#pendingCalls.set(call.id, call.name);
      this.#emit({ type: "tool-calls", responseId, calls });
      this.#emit({ type: "response-done", responseId, status: "completed", usage });
      this.#responding = undefined;
      return;
    }
    for (const word of (reply.text ?? "").match(/\S+\s*/g) ?? []) {
      if (responding.cancelled) break;
      if (this.audioOut) {
        const durationMs = word.length * (this.#options.msPerCharacter ?? 10);
        this.#emit({
          type: "audio",
          responseId,
          data: pcm16Tone({ sampleRate: OUTPUT_RATE, durationMs, frequency: 330, amplitude: 0.2 }),
        });
        this.#emit({ type: "transcript", responseId, delta: word });
      } else this.#emit({ type: "text", responseId, delta: word });
      if (this.#options.wordPacingMs) await this.#wait(this.#options.wordPacingMs);
    }
    this.#emit({
      type: "response-done",
      responseId,
      status: responding.cancelled ? "cancelled" : "completed",
      usage,
    });
    if (this.#responding === responding) this.#responding = undefined;
  }
}
