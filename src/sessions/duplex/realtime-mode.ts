/**
 * Realtime (ASM) mode of a duplex session: one long-running WebSocket connection to a provider that streams both
 * ways (OpenAI Realtime, Gemini Live). A {@link RealtimeProtocol} translates between the provider's messages and
 * a few normalized events; this driver turns those into response chunks, executes tool calls through the tool
 * registry and answers them, treats the user's speech during an answer as barge-in (an `interrupted` chunk;
 * the provider is told how much of the answer's audio was heard, and the partial answer is kept, marked with
 * {@link KeyBlockMetaInterrupted}), stops reading the socket while the response stream is full, and commits each complete exchange (user transcript or text, tool calls and results, answer) to the state.
 *
 * A connection that drops mid-session ends the session with an `error` chunk; the state keeps every complete
 * exchange (the one under way is not saved).
 */
import type WebSocket from "ws";
import { type InferenceResult, KeyInferenceResult } from "../../engine/engine.ts";
import { GeppettoError, ProviderError } from "../../engine/errors.ts";
import { addUsage } from "../../engine/totals.ts";
import { RunContext } from "../../events/context.ts";
import type { Usage } from "../../events/types.ts";
import {
  newAssistantTextBlock,
  newId,
  newSystemTextBlock,
  newToolCallBlock,
  newToolUseBlock,
} from "../../turns/builders.ts";
import type { JsonObject, JsonValue } from "../../turns/json.ts";
import { blockMetadataKey } from "../../turns/keys.ts";
import { loadWs } from "../../turns/lazy-require.ts";
import type { Block } from "../../turns/types.ts";
import { blockFromMessage, messagesFromTurn } from "../messages.ts";
import type { RealtimeEvent, RealtimeModeOptions, RealtimeProtocol } from "./realtime-protocol.ts";
import type { DuplexDriver, DuplexHost, DuplexInput } from "./types.ts";

/**
 * Block metadata on the partial answer of an exchange cut short by barge-in: why, and how much of its audio the
 * reader had taken (the provider was told that much was heard).
 *
 * @example
 * KeyBlockMetaInterrupted.get(block) // { reason: "barge-in", audioPlayedMs: 420 }
 */
export const KeyBlockMetaInterrupted = blockMetadataKey<{ reason: "barge-in"; audioPlayedMs?: number }>(
  "geppetto",
  "interrupted",
  1,
);

interface Exchange {
  turnId: string;
  /** The provider's id of the answer item whose audio plays (what barge-in truncates). */
  audioItemId: string | undefined;
  audioPlayedMs: number | undefined;
  user: string | undefined;
  spoken: boolean;
  assistant: string;
  blocks: Block[];
  usage: Usage;
  responding: boolean;
  interrupted: boolean;
}

/**
 * The driver of a realtime mode, for a protocol.
 *
 * @example
 * const mode = () => new RealtimeDriver(myProtocol, { registry });
 */
export class RealtimeDriver implements DuplexDriver {
  readonly inputSampleRate: number;
  readonly accepts: { frames: boolean; video: boolean };
  readonly traced: { provider: string; model?: string };
  readonly #protocol: RealtimeProtocol;
  readonly #options: RealtimeModeOptions;
  readonly #tools = new AbortController();
  #host!: DuplexHost;
  #socket: WebSocket | undefined;
  #exchange: Exchange | undefined;
  /** An exchange cut short by barge-in, until its (cancelled) answer ends; new input starts the next one. */
  #interrupted: Exchange | undefined;
  #text = "";
  #closing = false;
  #closed: Promise<void> = Promise.resolve();
  #work: Promise<void> = Promise.resolve();

  constructor(protocol: RealtimeProtocol, options: RealtimeModeOptions = {}) {
    this.#protocol = protocol;
    this.#options = options;
    this.inputSampleRate = protocol.inputSampleRate;
    this.accepts = protocol.accepts;
    this.traced =
      protocol.model === undefined
        ? { provider: protocol.provider }
        : { provider: protocol.provider, model: protocol.model };
  }

  async start(host: DuplexHost): Promise<void> {
    this.#host = host;
    const { url, headers } = this.#protocol.connection();
    const where = url.replace(/\?.*$/, "");
    const tools = (this.#options.registry?.list() ?? []).map((tool) => ({
      name: tool.name,
      description: tool.description,
      parameters: tool.parametersFor(this.#protocol.schemaDialect),
    }));
    const setup = this.#protocol.setup({
      instructions: host.systemPrompt(),
      tools,
      history: messagesFromTurn(host.conversation()).filter((message) => message.role !== "system"),
    });
    // Connect only now: what comes before can fail on bad settings (an unknown variable in the instructions).
    const socket = new (loadWs().WebSocket)(url, {
      headers,
      handshakeTimeout: this.#options.connectTimeoutMs ?? 10_000,
      // One message per event-loop turn: a chunk reaches the reader as soon as its message is read, not after
      // every other message that came in the same network read (a burst of deltas).
      allowSynchronousEvents: false,
    });
    this.#socket = socket;
    this.#closed = new Promise((resolve) => socket.once("close", () => resolve()));
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        socket.terminate();
        reject(
          new ProviderError(
            `${where}: no setup acknowledgement in time`,
            { provider: this.#protocol.provider },
            { code: "timeout_first_byte" },
          ),
        );
      }, this.#options.connectTimeoutMs ?? 10_000);
      const failed = (error: GeppettoError) => {
        clearTimeout(timer);
        socket.removeAllListeners("message");
        reject(error);
      };
      socket.once("unexpected-response", (_request, response) => {
        socket.terminate();
        failed(
          new ProviderError(`${where} refused the WebSocket upgrade with HTTP ${response.statusCode}`, {
            provider: this.#protocol.provider,
            status: response.statusCode ?? 0,
          }),
        );
      });
      socket.once("error", (error) =>
        failed(
          new ProviderError(
            `cannot connect to ${where}: ${error.message}`,
            { provider: this.#protocol.provider },
            { code: "connection_error", cause: error },
          ),
        ),
      );
      socket.once("open", () => {
        for (const message of setup) socket.send(JSON.stringify(message));
      });
      const onReady = (data: WebSocket.RawData) => {
        const events = this.#decode(data);
        if (events.some((event) => event.type === "ready")) {
          clearTimeout(timer);
          socket.off("message", onReady);
          socket.on("message", (raw) => this.#onMessage(raw));
          socket.on("close", (code) => this.#onClose(code, where));
          socket.removeAllListeners("error");
          socket.on("error", () => {}); // the close that follows reports it
          resolve();
        } else {
          const error = events.find((event) => event.type === "error");
          if (error?.type === "error")
            failed(new ProviderError(`${where}: ${error.message}`, { provider: this.#protocol.provider }));
        }
      };
      socket.on("message", onReady);
    });
  }

  #decode(data: WebSocket.RawData): RealtimeEvent[] {
    try {
      return this.#protocol.decode(JSON.parse(data.toString()) as JsonObject);
    } catch (error) {
      return [
        { type: "error", message: `unreadable message from the provider: ${(error as Error).message}` },
      ];
    }
  }

  #sendWire(messages: JsonObject[]): void {
    const socket = this.#socket;
    if (!socket || socket.readyState !== socket.OPEN) return;
    for (const message of messages) socket.send(JSON.stringify(message));
  }

  async send(input: DuplexInput): Promise<void> {
    if (input.type === "text") {
      this.#text += input.text;
      if (!input.endOfTurn) return;
      return this.#sendText();
    }
    if (input.type === "end-of-turn" && this.#text !== "") return this.#sendText();
    this.#sendWire(this.#protocol.encode(input));
  }

  #sendText(): void {
    const text = this.#text;
    this.#text = "";
    if (text.trim() === "") return;
    const exchange = this.#current();
    exchange.user = (exchange.user ?? "") + text;
    this.#sendWire(this.#protocol.encode({ type: "text", text, endOfTurn: true }));
  }

  #current(): Exchange {
    if (!this.#exchange) {
      this.#exchange = {
        turnId: newId(),
        user: undefined,
        spoken: false,
        assistant: "",
        audioItemId: undefined,
        audioPlayedMs: undefined,
        blocks: [],
        usage: {},
        responding: false,
        interrupted: false,
      };
      this.#host.emit({ type: "turn-start", turnId: this.#exchange.turnId });
    }
    return this.#exchange;
  }

  #onMessage(data: WebSocket.RawData): void {
    for (const event of this.#decode(data)) this.#handle(event);
    const full = this.#host.writable();
    const socket = this.#socket;
    if (full && socket && !socket.isPaused) {
      // The reader is behind: stop reading the socket (TCP then slows the provider) until it catches up.
      socket.pause();
      void full.then(() => socket.resume());
    }
  }

  #handle(event: RealtimeEvent): void {
    const host = this.#host;
    switch (event.type) {
      case "speech-started": {
        const exchange = this.#exchange;
        if (exchange?.responding && !exchange.interrupted) {
          exchange.interrupted = true;
          this.#interrupted = exchange;
          this.#exchange = undefined;
          const audioPlayedMs = host.interruptPlayback(exchange.turnId);
          exchange.audioPlayedMs = audioPlayedMs;
          if (exchange.audioItemId !== undefined && this.#protocol.truncate)
            this.#sendWire(
              this.#protocol.truncate({ itemId: exchange.audioItemId, audioEndMs: audioPlayedMs }),
            );
          host.emit({ type: "interrupted", turnId: exchange.turnId, reason: "barge-in", audioPlayedMs });
        }
        this.#current().spoken = true;
        return;
      }
      case "user-transcript": {
        const exchange = this.#current();
        exchange.spoken = true;
        exchange.user = (exchange.user ?? "") + event.text;
        host.emit({
          type: "transcript",
          turnId: exchange.turnId,
          role: "user",
          text: event.text,
          final: true,
        });
        return;
      }
      case "text-delta":
      case "transcript-delta": {
        const exchange = this.#current();
        if (exchange.interrupted) return;
        exchange.responding = true;
        exchange.assistant += event.delta;
        host.emit(
          event.type === "text-delta"
            ? { type: "text-delta", turnId: exchange.turnId, delta: event.delta }
            : {
                type: "transcript",
                turnId: exchange.turnId,
                role: "assistant",
                text: event.delta,
                final: false,
              },
        );
        return;
      }
      case "audio-delta": {
        const exchange = this.#current();
        if (exchange.interrupted) return;
        exchange.responding = true;
        if (event.itemId !== undefined) exchange.audioItemId = event.itemId;
        host.emit({
          type: "audio-delta",
          turnId: exchange.turnId,
          data: event.data,
          format: this.#protocol.outputFormat,
        });
        return;
      }
      case "usage":
        this.#current().usage = addUsage(this.#current().usage, event.usage);
        return;
      case "tool-calls": {
        const exchange = this.#current();
        exchange.responding = true;
        this.#queueWork(() => this.#runTools(exchange, event.calls));
        return;
      }
      case "response-done": {
        const interrupted = event.cancelled ? this.#interrupted : undefined;
        const exchange = interrupted ?? this.#exchange;
        if (!exchange) return;
        if (interrupted) this.#interrupted = undefined;
        else this.#exchange = undefined;
        this.#queueWork(() => this.#commit(exchange));
        return;
      }
      case "error":
        host.fail(
          new ProviderError(`${this.#protocol.provider} realtime error: ${event.message}`, {
            provider: this.#protocol.provider,
          }),
        );
        return;
      case "ready":
        return;
    }
  }

  /** Runs `work` after the work before it; a failure ends the session. */
  #queueWork(work: () => Promise<void>): void {
    this.#work = this.#work.then(work).catch((error: unknown) => {
      if (this.#closing) return;
      this.#host.fail(
        GeppettoError.is(error)
          ? error
          : new GeppettoError(`realtime session failed: ${(error as Error).message}`, {
              code: "internal_error",
              fault: "provider",
              cause: error,
            }),
      );
    });
  }

  async #runTools(
    exchange: Exchange,
    calls: { id: string; name: string; args: JsonObject }[],
  ): Promise<void> {
    const registry = this.#options.registry;
    for (const call of calls) {
      exchange.blocks.push(newToolCallBlock(call));
      this.#host.emit({ type: "tool-call", turnId: exchange.turnId, ...call });
    }
    const context = RunContext.background()
      .withSignal(this.#tools.signal)
      .withIds({ sessionId: this.#host.sessionId, turnId: exchange.turnId });
    const { results } = registry
      ? await (await import("../../tools/executor.ts")).executeToolCalls(calls, context, { registry })
      : {
          results: calls.map((call) => ({
            toolCallId: call.id,
            name: call.name,
            result: null as JsonValue,
            error: "no tool registry is configured",
          })),
        };
    const answers = results.map((result) => ({
      id: result.toolCallId,
      name: result.name,
      result: result.result,
      ...(result.error === undefined ? {} : { error: result.error }),
    }));
    for (const answer of answers) {
      exchange.blocks.push(
        newToolUseBlock(answer.id, answer.result, {
          name: answer.name,
          ...(answer.error ? { error: answer.error } : {}),
        }),
      );
      this.#host.emit({ type: "tool-result", turnId: exchange.turnId, ...answer });
    }
    if (!this.#closing) this.#sendWire(this.#protocol.toolResults(answers));
  }

  async #commit(exchange: Exchange): Promise<void> {
    if (this.#closing) return;
    const conversation = this.#host.conversation();
    const blocks: Block[] = [];
    const instructions = this.#host.systemPrompt();
    if (conversation.blocks.length === 0 && instructions !== undefined)
      blocks.push(newSystemTextBlock(instructions));
    if (exchange.user !== undefined)
      blocks.push(
        blockFromMessage({
          role: "user",
          content: exchange.user,
          source: exchange.spoken ? "transcript" : "text",
        }),
      );
    blocks.push(...exchange.blocks);
    if (exchange.assistant !== "") {
      const answer = newAssistantTextBlock(exchange.assistant);
      blocks.push(
        exchange.interrupted
          ? KeyBlockMetaInterrupted.set(answer, {
              reason: "barge-in",
              ...(exchange.audioPlayedMs === undefined ? {} : { audioPlayedMs: exchange.audioPlayedMs }),
            })
          : answer,
      );
    }
    const result: InferenceResult = {
      provider: this.#protocol.provider,
      finishClass: exchange.interrupted ? "interrupted" : "completed",
      truncated: exchange.interrupted,
      usage: exchange.usage,
    };
    await this.#host.commit(
      KeyInferenceResult.set(
        { ...conversation, id: newId(), blocks: [...conversation.blocks, ...blocks] },
        result,
      ),
    );
    this.#host.emit({
      type: "turn-end",
      turnId: exchange.turnId,
      usage: exchange.usage,
      interrupted: exchange.interrupted,
    });
  }

  #onClose(code: number, where: string): void {
    if (this.#closing) return;
    this.#host.fail(
      new ProviderError(
        `the ${this.#protocol.provider} realtime connection to ${where} closed mid-session (WebSocket code ${code}); the state keeps every complete turn`,
        { provider: this.#protocol.provider },
        { code: "stream_interrupted", retryable: true },
      ),
    );
  }

  async close(): Promise<void> {
    this.#closing = true;
    this.#tools.abort();
    const socket = this.#socket;
    if (socket && socket.readyState !== socket.CLOSED) {
      socket.resume(); // a paused socket would not read the provider's close frame
      socket.close(1000);
      const timer = setTimeout(() => socket.terminate(), 1000);
      await this.#closed;
      clearTimeout(timer);
    }
    await this.#work.catch(() => {});
  }
}
