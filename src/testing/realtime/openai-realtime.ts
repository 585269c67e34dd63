/**
 * The OpenAI Realtime protocol (`/v1/realtime`; the GA interface, or the beta one for a client that sends
 * `OpenAI-Beta: realtime=v1`) on the local realtime server: the client events a session
 * sends (`session.update`, `input_audio_buffer.append|commit`, `conversation.item.create`, `response.create`,
 * `response.cancel`, `conversation.item.truncate`) and the server events of the real service, from a
 * {@link ScriptedConversation}.
 */
import type WebSocket from "ws";
import type { JsonObject } from "../../turns/json.ts";
import { type ConversationEvent, type RealtimeScriptOptions, ScriptedConversation } from "./conversation.ts";

/**
 * What a realtime connection received (for assertions).
 *
 * @example
 * server.realtimeConnections.at(-1)?.setup?.instructions
 */
export interface RealtimeConnectionLog {
  protocol: "openai-realtime" | "gemini-live";
  /** The request path and query (the model). */
  path: string;
  /** The setup the client sent (`session.update`'s session, or Gemini's `setup`). */
  setup: JsonObject | undefined;
  /** Every client message, in order (audio payloads replaced by their byte count). */
  received: JsonObject[];
  /** The most bytes the server had queued unsent on this connection (a client that stops reading grows it). */
  maxBufferedBytes: number;
  /** The messages of the `error` events the server sent (a refused client event). */
  errors: string[];
}

function encode(data: Uint8Array): string {
  return Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString("base64");
}

/**
 * Serves one OpenAI Realtime connection.
 *
 * @example
 * sockets.on("connection", (socket) => serveOpenAIRealtime(socket, {}, log, wait, false));
 */
export function serveOpenAIRealtime(
  socket: WebSocket,
  options: RealtimeScriptOptions,
  log: RealtimeConnectionLog,
  wait: (ms: number) => Promise<void>,
  beta: boolean,
): void {
  const audioDelta = beta ? "response.audio.delta" : "response.output_audio.delta";
  const transcriptDelta = beta ? "response.audio_transcript.delta" : "response.output_audio_transcript.delta";
  const textDelta = beta ? "response.text.delta" : "response.output_text.delta";
  let event = 0;
  const send = (message: JsonObject) => {
    if (socket.readyState !== socket.OPEN) return;
    if (message.type === "error") log.errors.push(String((message.error as JsonObject).message));
    socket.send(JSON.stringify({ event_id: `event_${++event}`, ...message }));
    if (socket.bufferedAmount > log.maxBufferedBytes) log.maxBufferedBytes = socket.bufferedAmount;
  };
  const outputs = new Map<string, JsonObject[]>();
  /** The answer message items, with the milliseconds of audio sent in each (what a truncate may cut). */
  const items = new Map<string, { audioMs: number }>();
  /** The answer's message item: announced with `response.output_item.added` before its first delta. */
  const itemOf = (responseId: string): string => {
    const id = `item_${responseId}`;
    if (!items.has(id)) {
      items.set(id, { audioMs: 0 });
      send({
        type: "response.output_item.added",
        response_id: responseId,
        output_index: 0,
        item: {
          id,
          object: "realtime.item",
          type: "message",
          status: "in_progress",
          role: "assistant",
          content: [],
        },
      });
    }
    return id;
  };
  const emit = (change: ConversationEvent) => {
    switch (change.type) {
      case "speech-started":
        return send({
          type: "input_audio_buffer.speech_started",
          audio_start_ms: 0,
          item_id: `item_${event}`,
        });
      case "speech-stopped":
        send({ type: "input_audio_buffer.speech_stopped", audio_end_ms: 0, item_id: `item_${event}` });
        return send({ type: "input_audio_buffer.committed", item_id: `item_${event}` });
      case "user-transcript":
        return send({
          type: "conversation.item.input_audio_transcription.completed",
          item_id: `item_${event}`,
          content_index: 0,
          transcript: change.text,
        });
      case "response-start":
        outputs.set(change.responseId, []);
        return send({
          type: "response.created",
          response: { id: change.responseId, object: "realtime.response", status: "in_progress", output: [] },
        });
      case "audio": {
        const itemId = itemOf(change.responseId);
        items.get(itemId)!.audioMs += (change.data.byteLength / 2 / 24_000) * 1000;
        return send({
          type: audioDelta,
          response_id: change.responseId,
          item_id: itemId,
          output_index: 0,
          content_index: 0,
          delta: encode(change.data),
        });
      }
      case "transcript":
        return send({
          type: transcriptDelta,
          response_id: change.responseId,
          item_id: itemOf(change.responseId),
          output_index: 0,
          content_index: 0,
          delta: change.delta,
        });
      case "text":
        return send({
          type: textDelta,
          response_id: change.responseId,
          item_id: itemOf(change.responseId),
          output_index: 0,
          content_index: 0,
          delta: change.delta,
        });
      case "tool-calls":
        for (const call of change.calls) {
          const item = {
            type: "function_call",
            id: `item_${call.id}`,
            call_id: call.id,
            name: call.name,
            arguments: JSON.stringify(call.args),
            status: "completed",
          };
          outputs.get(change.responseId)?.push(item);
          send({
            type: "response.function_call_arguments.done",
            response_id: change.responseId,
            call_id: call.id,
            name: call.name,
            arguments: item.arguments,
          });
        }
        return;
      case "interrupted":
        return;
      case "response-done":
        send({
          type: "response.done",
          response: {
            id: change.responseId,
            object: "realtime.response",
            status: change.status,
            output: outputs.get(change.responseId) ?? [],
            usage: {
              input_tokens: change.usage.inputTokens,
              output_tokens: change.usage.outputTokens,
              total_tokens: change.usage.inputTokens + change.usage.outputTokens,
            },
          },
        });
        outputs.delete(change.responseId);
        return;
    }
  };
  const conversation = new ScriptedConversation(options, 24_000, emit, wait);
  send({ type: "session.created", session: { id: "sess_local", object: "realtime.session" } });
  socket.on("message", (raw) => {
    let message: JsonObject;
    try {
      message = JSON.parse(raw.toString()) as JsonObject;
    } catch {
      send({ type: "error", error: { type: "invalid_request_error", message: "message is not JSON" } });
      return;
    }
    log.received.push(
      message.type === "input_audio_buffer.append"
        ? { type: message.type, bytes: Buffer.from(String(message.audio), "base64").byteLength }
        : message,
    );
    switch (message.type) {
      case "session.update": {
        const session = (message.session ?? {}) as JsonObject;
        log.setup = session;
        conversation.instructions =
          typeof session.instructions === "string" ? session.instructions : undefined;
        conversation.tools = ((session.tools ?? []) as JsonObject[]).map((tool) => String(tool.name));
        const modalities = session.output_modalities ?? session.modalities;
        conversation.audioOut = !(Array.isArray(modalities) && !modalities.includes("audio"));
        const input = ((session.audio ?? {}) as JsonObject).input as JsonObject | undefined;
        conversation.serverVad((beta ? session.turn_detection : input?.turn_detection) !== null);
        return send({ type: "session.updated", session: { id: "sess_local", ...session } });
      }
      case "input_audio_buffer.append":
        return conversation.audio(Buffer.from(String(message.audio), "base64"));
      case "input_audio_buffer.commit":
        return conversation.commitAudio();
      case "conversation.item.create": {
        const item = (message.item ?? {}) as JsonObject;
        if (item.type === "function_call_output") {
          conversation.toolResult(String(item.call_id), String(item.output));
          return;
        }
        if (item.role === "assistant") conversation.history();
        if (item.role !== "user") return;
        for (const part of (item.content ?? []) as JsonObject[]) {
          if (part.type === "input_text") conversation.text(String(part.text));
          if (part.type === "input_image") conversation.frames++;
        }
        return;
      }
      case "response.create":
        void conversation.respond();
        return;
      case "response.cancel":
        return conversation.cancel();
      case "conversation.item.truncate": {
        const itemId = String(message.item_id);
        const item = items.get(itemId);
        const end = message.audio_end_ms;
        if (!item)
          return send({
            type: "error",
            error: { type: "invalid_request_error", message: `Item with item_id '${itemId}' not found.` },
          });
        if (typeof end !== "number" || end < 0 || end > Math.ceil(item.audioMs))
          return send({
            type: "error",
            error: {
              type: "invalid_request_error",
              message: `audio_end_ms ${String(end)} is beyond the ${Math.round(item.audioMs)} ms of audio of item '${itemId}'.`,
            },
          });
        return send({
          type: "conversation.item.truncated",
          item_id: itemId,
          content_index: message.content_index ?? 0,
          audio_end_ms: end,
        });
      }
      default:
        send({
          type: "error",
          error: { type: "invalid_request_error", message: `unknown client event ${String(message.type)}` },
        });
    }
  });
}
