/**
 * DuplexSession: a bidirectional conversation. The caller sends audio, text, image frames and video chunks as
 * they come (from any number of async tasks: sends are taken one at a time, in call order) and reads one
 * response stream of chunks. Two modes, one API:
 *
 * - VAD mode ({@link vadMode}): a voice-activity detector finds the end of each spoken turn, a transcriber turns
 *   it into text, any unary engine answers (tools included), and a speech synthesizer speaks the answer.
 * - Realtime mode ({@link openAIRealtimeMode}, {@link geminiLiveMode}): one long-running WebSocket connection to
 *   a provider that streams both ways and detects turns itself.
 *
 * Every complete exchange lands in the state store like a unary turn; `messages()` shows the transcripts.
 */
import { CallerError, GeppettoError } from "../../engine/errors.ts";
import { RunContext } from "../../events/context.ts";
import type { DuplexObserver } from "../../observability/duplex-spans.ts";
import { newId } from "../../turns/builders.ts";
import type { Turn } from "../../turns/types.ts";
import { BaseSession, type ResolvedState, resolveState, type SessionStateOptions } from "../base-session.ts";
import { ChunkQueue } from "./chunk-queue.ts";
import type {
  AudioFormat,
  DuplexDriver,
  DuplexHost,
  DuplexInput,
  DuplexOutput,
  ImageFrame,
  VideoChunk,
} from "./types.ts";

/**
 * Options of {@link DuplexSession.open}.
 *
 * @example
 * await DuplexSession.open({ mode: vadMode({ engine, transcriber, speech }), systemPrompt: "Be brief." });
 */
export interface DuplexSessionOptions extends SessionStateOptions {
  /** Makes the driver of the mode: {@link vadMode}, {@link openAIRealtimeMode} or {@link geminiLiveMode}. */
  mode: () => DuplexDriver;
  /** A template (`{{name}}` from the variables) given to the model as its instructions. */
  systemPrompt?: string;
  /**
   * The context the session's work runs in: with a tracer (`geppetto/otel`) the session is traced (a
   * `duplex_session` span; a realtime mode's exchanges as `chat {model}` spans with their tool calls; a VAD mode's
   * inferences as usual), with a logger its inferences log.
   */
  context?: RunContext;
  /** The largest input chunk (audio, frame, video, text bytes) accepted. Default 1 MiB. */
  maxChunkBytes?: number;
  /**
   * Unread response chunks the session holds before it stops reading from the provider (the WebSocket, the
   * speech stream) until the reader catches up: a slow reader slows the session, nothing is dropped, and
   * memory stays bounded. Default 256. (What the provider sends behind the unread chunks, such as its report
   * that the user started speaking, waits too: read the stream as audio plays.)
   */
  responseCapacity?: number;
}

/**
 * A send after `close()` (or after the session failed).
 *
 * @example
 * await session.sendText("hi").catch((error) => error.code) // "session_closed"
 */
export class SessionClosedError extends GeppettoError {
  override name = "SessionClosedError";
  constructor(sessionId: string, what: string) {
    super(`${what}: duplex session ${sessionId} is closed`, { code: "session_closed", fault: "caller" });
  }
}

/**
 * Audio the session cannot take (not PCM16 mono at the mode's sample rate, or a torn sample).
 *
 * @example
 * catch (error) { if (error instanceof UnsupportedAudioError) console.error(error.message) }
 */
export class UnsupportedAudioError extends GeppettoError {
  override name = "UnsupportedAudioError";
  constructor(message: string) {
    super(message, { code: "unsupported_audio", fault: "caller" });
  }
}

/**
 * An input chunk over the configured size limit.
 *
 * @example
 * new DuplexSession({ …, maxChunkBytes: 64 * 1024 }) // a 100 KB frame is refused with this error
 */
export class ChunkTooLargeError extends GeppettoError {
  override name = "ChunkTooLargeError";
  constructor(what: string, size: number, limit: number) {
    super(`${what} is ${size} bytes, over the limit of ${limit} bytes (maxChunkBytes)`, {
      code: "frame_too_large",
      fault: "caller",
    });
  }
}

function sizeOf(input: DuplexInput): number {
  switch (input.type) {
    case "audio":
      return input.data.byteLength;
    case "text":
      return Buffer.byteLength(input.text);
    case "image":
      return input.frame.data.byteLength;
    case "video":
      return input.chunk.data.byteLength;
    default:
      return 0;
  }
}

function describe(input: DuplexInput): string {
  if (input.type === "image") return `image frame ${input.frame.frameNumber}`;
  if (input.type === "video") return `video chunk ${input.chunk.chunkIndex}`;
  return input.type === "audio" ? "audio chunk" : input.type === "text" ? "text chunk" : "end of turn";
}

/**
 * A bidirectional (voice, text, video) conversation.
 *
 * @example
 * const session = await DuplexSession.open({ mode: openAIRealtimeMode({ url, apiKey, model: "gpt-realtime" }) });
 * const reading = (async () => { for await (const chunk of session.response()) handle(chunk); })();
 * for await (const pcm of microphone) await session.sendChunk({ type: "audio", data: pcm });
 * await session.close();
 */
export class DuplexSession extends BaseSession {
  readonly #options: DuplexSessionOptions;
  readonly #driver: DuplexDriver;
  readonly #queue: ChunkQueue<DuplexOutput>;
  readonly #maxChunkBytes: number;
  /** The answer audio the reader has taken: turn, bytes, and bytes per millisecond. */
  #played = { turnId: "", bytes: 0, bytesPerMs: 48 };
  #sending: Promise<void> = Promise.resolve();
  #closed = false;
  #error: GeppettoError | undefined;
  #observer: DuplexObserver | undefined;
  #ended!: () => void;
  /** Resolves when the session has ended (closed or failed) and its saves are done. Never rejects. */
  readonly done: Promise<void>;

  private constructor(options: DuplexSessionOptions, resolved: ResolvedState) {
    super(resolved);
    this.#options = options;
    this.#driver = options.mode();
    this.#maxChunkBytes = options.maxChunkBytes ?? 1024 * 1024;
    const capacity = options.responseCapacity ?? 256;
    if (!Number.isInteger(capacity) || capacity < 1)
      throw new CallerError(`responseCapacity must be a positive integer, got ${capacity}`, {
        code: "invalid_input",
      });
    this.#queue = new ChunkQueue<DuplexOutput>({
      capacity,
      onTake: (chunk) => {
        if (chunk.type !== "audio-delta") return;
        if (chunk.turnId !== this.#played.turnId)
          this.#played = { turnId: chunk.turnId, bytes: 0, bytesPerMs: (chunk.format.sampleRate * 2) / 1000 };
        this.#played.bytes += chunk.data.byteLength;
      },
    });
    this.done = new Promise<void>((resolve) => {
      this.#ended = resolve;
    });
  }

  /** Opens a session (continuing the stored conversation `conversationId` when there is one) and connects. */
  static async open(options: DuplexSessionOptions): Promise<DuplexSession> {
    const session = new DuplexSession(options, await resolveState(options));
    await session.#start();
    return session;
  }

  async #start(): Promise<void> {
    const context = this.#options.context ?? RunContext.background();
    const { observeDuplexSession } = await import("../../observability/duplex-spans.ts");
    this.#observer = observeDuplexSession(context, this.id, this.#driver.traced);
    const host: DuplexHost = {
      sessionId: this.id,
      context: this.#observer?.ctx ?? context,
      emit: (chunk) => this.#emit(chunk),
      writable: () => this.#queue.writable(),
      interruptPlayback: (turnId) => {
        this.#queue.discard((chunk) => chunk.type === "audio-delta" && chunk.turnId === turnId);
        const played = this.#played;
        return played.turnId === turnId ? Math.floor(played.bytes / played.bytesPerMs) : 0;
      },
      conversation: () => this.conversation,
      systemPrompt: () =>
        this.#options.systemPrompt === undefined
          ? undefined
          : this.render(this.#options.systemPrompt, "the system prompt"),
      commit: (turn: Turn) => this.persist(turn),
      fail: (error) => this.#fail(error),
    };
    try {
      await this.#driver.start(host);
    } catch (error) {
      this.#observer?.fail(error);
      this.#observer?.end();
      this.#closed = true;
      this.#queue.close();
      this.#ended();
      throw error;
    }
  }

  /** The error that ended the session, if it failed. */
  get error(): GeppettoError | undefined {
    return this.#error;
  }

  /** Whether the session is closed (by `close()` or a failure). */
  get closed(): boolean {
    return this.#closed;
  }

  /** Response chunks waiting for the reader (at most about `responseCapacity`). */
  get bufferedChunks(): number {
    return this.#queue.size;
  }

  /** The response stream (read it once): chunks until the session ends. */
  response(): AsyncIterable<DuplexOutput> {
    return this.#queue;
  }

  /** Sends one chunk; resolves when the mode has taken it. Rejects with a clear error for bad input. */
  sendChunk(input: DuplexInput): Promise<void> {
    const send = this.#sending.then(() => this.#send(input));
    this.#sending = send.catch(() => {});
    return send;
  }

  /** Sends text; by default it ends the user's turn (`endOfTurn: false` to send more of it). */
  sendText(text: string, options: { endOfTurn?: boolean } = {}): Promise<void> {
    return this.sendChunk({ type: "text", text, endOfTurn: options.endOfTurn ?? true });
  }

  /** Sends PCM16 mono audio at the mode's sample rate. */
  sendAudio(data: Uint8Array, format?: AudioFormat): Promise<void> {
    return this.sendChunk(format ? { type: "audio", data, format } : { type: "audio", data });
  }

  /** Sends an image frame (realtime video). */
  sendFrame(frame: ImageFrame): Promise<void> {
    return this.sendChunk({ type: "image", frame });
  }

  /** Sends a chunk of encoded video. */
  sendVideoChunk(chunk: VideoChunk): Promise<void> {
    return this.sendChunk({ type: "video", chunk });
  }

  /** Ends the user's turn (push to talk, or text sent with `endOfTurn: false`). */
  endTurn(): Promise<void> {
    return this.sendChunk({ type: "end-of-turn" });
  }

  async #send(input: DuplexInput): Promise<void> {
    const what = describe(input);
    if (this.#closed) throw new SessionClosedError(this.id, `cannot send the ${what}`);
    const size = sizeOf(input);
    if (size > this.#maxChunkBytes) throw new ChunkTooLargeError(`the ${what}`, size, this.#maxChunkBytes);
    if (input.type === "audio") this.#checkAudio(input);
    if (input.type === "image" && !this.#driver.accepts.frames)
      throw new CallerError(`the ${what}: this duplex mode does not take image frames`, {
        code: "invalid_input",
      });
    if (input.type === "video" && !this.#driver.accepts.video)
      throw new CallerError(`the ${what}: this duplex mode does not take encoded video (send image frames)`, {
        code: "invalid_input",
      });
    if (input.type === "image" && !input.frame.mimeType.startsWith("image/"))
      throw new CallerError(
        `the ${what}: mimeType ${JSON.stringify(input.frame.mimeType)} is not an image type`,
        {
          code: "invalid_input",
        },
      );
    if (input.type === "text") this.#observer?.input(input.text);
    await this.#driver.send(input);
  }

  #checkAudio(input: Extract<DuplexInput, { type: "audio" }>): void {
    const rate = this.#driver.inputSampleRate;
    const format = input.format;
    if (format) {
      if (format.encoding !== "pcm16")
        throw new UnsupportedAudioError(
          `audio encoding ${JSON.stringify(format.encoding)} is not supported: send pcm16`,
        );
      if (format.sampleRate !== rate)
        throw new UnsupportedAudioError(
          `audio sample rate ${format.sampleRate} Hz is not supported by this mode: send ${rate} Hz PCM16`,
        );
      if ((format.channels ?? 1) !== 1)
        throw new UnsupportedAudioError(`audio with ${format.channels} channels is not supported: send mono`);
    }
    if (input.data.byteLength % 2 !== 0)
      throw new UnsupportedAudioError(
        `an audio chunk of ${input.data.byteLength} bytes is not whole PCM16 samples`,
      );
  }

  #emit(chunk: DuplexOutput): void {
    if (this.#closed) return;
    this.#observer?.chunk(chunk);
    this.#queue.push(chunk);
  }

  #fail(error: GeppettoError): void {
    if (this.#closed) return;
    this.#error = error;
    this.#observer?.fail(error);
    this.#queue.push({ type: "error", error });
    void this.#shutdown();
  }

  async #shutdown(): Promise<void> {
    this.#closed = true;
    try {
      await this.#driver.close();
      await this.saved().catch(() => {});
    } finally {
      this.#observer?.end();
      this.#queue.close();
      this.#ended();
    }
  }

  /** Ends the session: stops what runs (a partial answer is not saved as a turn), closes connections, waits. */
  async close(): Promise<void> {
    if (!this.#closed) await this.#shutdown();
    await this.done;
  }

  /**
   * A new session in the same mode whose conversation starts as this one's (shared blocks) under `forkId`.
   *
   * @example
   * const branch = await session.fork("retry");
   */
  async fork(forkId: string = newId()): Promise<DuplexSession> {
    const resolved = await this.forkState(forkId);
    const session = new DuplexSession({ ...this.#options, conversationId: forkId }, resolved);
    await session.#start();
    return session;
  }
}
