/**
 * The Gemini Live protocol (`BidiGenerateContent` over WebSocket) on the local realtime server: `setup`,
 * `clientContent`, `realtimeInput` (audio, video, `audioStreamEnd`) and `toolResponse` from the client;
 * `setupComplete`, `serverContent` (model audio or text, input and output transcriptions, `interrupted`,
 * `turnComplete`), `toolCall` and `usageMetadata` back, from a {@link ScriptedConversation}.
 */
import type WebSocket from "ws";
import type { JsonObject } from "../../turns/json.ts";
import { type ConversationEvent, type RealtimeScriptOptions, ScriptedConversation } from "./conversation.ts";
import type { RealtimeConnectionLog } from "./openai-realtime.ts";

/**
 * The WebSocket path of Gemini Live (v1beta).
 *
 * @example
 * new WebSocket(`ws://127.0.0.1:${port}${GEMINI_LIVE_PATH}`)
 */
export const GEMINI_LIVE_PATH =
  "/ws/google.ai.generativelanguage.v1beta.GenerativeService.BidiGenerateContent";

function encode(data: Uint8Array): string {
  return Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString("base64");
}

/**
 * Serves one Gemini Live connection.
 *
 * @example
 * sockets.on("connection", (socket) => serveGeminiLive(socket, {}, log, wait));
 */
export function serveGeminiLive(
  socket: WebSocket,
  options: RealtimeScriptOptions,
  log: RealtimeConnectionLog,
  wait: (ms: number) => Promise<void>,
): void {
  const send = (message: JsonObject) => {
    if (socket.readyState !== socket.OPEN) return;
    socket.send(JSON.stringify(message));
    if (socket.bufferedAmount > log.maxBufferedBytes) log.maxBufferedBytes = socket.bufferedAmount;
  };
  const toolResponses = new Set<string>();
  const emit = (change: ConversationEvent) => {
    switch (change.type) {
      case "user-transcript":
        return send({ serverContent: { inputTranscription: { text: change.text } } });
      case "audio":
        return send({
          serverContent: {
            modelTurn: {
              parts: [{ inlineData: { mimeType: "audio/pcm;rate=24000", data: encode(change.data) } }],
            },
          },
        });
      case "transcript":
        return send({ serverContent: { outputTranscription: { text: change.delta } } });
      case "text":
        return send({ serverContent: { modelTurn: { parts: [{ text: change.delta }] } } });
      case "tool-calls":
        toolResponses.add(change.responseId);
        return send({
          toolCall: {
            functionCalls: change.calls.map((call) => ({ id: call.id, name: call.name, args: call.args })),
          },
        });
      case "interrupted":
        return send({ serverContent: { interrupted: true } });
      case "response-done": {
        const usageMetadata = {
          promptTokenCount: change.usage.inputTokens,
          responseTokenCount: change.usage.outputTokens,
          totalTokenCount: change.usage.inputTokens + change.usage.outputTokens,
        };
        if (toolResponses.delete(change.responseId)) return send({ usageMetadata });
        if (change.status === "cancelled") return;
        send({ serverContent: { generationComplete: true } });
        return send({ serverContent: { turnComplete: true }, usageMetadata });
      }
      default:
        return;
    }
  };
  const conversation = new ScriptedConversation(options, 16_000, emit, wait);
  socket.on("message", (raw) => {
    let message: JsonObject;
    try {
      message = JSON.parse(raw.toString()) as JsonObject;
    } catch {
      socket.close(1007, "message is not JSON");
      return;
    }
    const realtime = message.realtimeInput as JsonObject | undefined;
    const audio = realtime?.audio as JsonObject | undefined;
    log.received.push(
      audio
        ? { realtimeInput: { audio: { bytes: Buffer.from(String(audio.data), "base64").byteLength } } }
        : message,
    );
    if (message.setup) {
      const setup = message.setup as JsonObject;
      log.setup = setup;
      const instruction = setup.systemInstruction as { parts?: { text?: string }[] } | undefined;
      conversation.instructions = instruction?.parts?.map((part) => part.text ?? "").join("");
      conversation.tools = ((setup.tools ?? []) as JsonObject[]).flatMap((tool) =>
        ((tool.functionDeclarations ?? []) as JsonObject[]).map((declaration) => String(declaration.name)),
      );
      const modalities = (setup.generationConfig as JsonObject | undefined)?.responseModalities;
      conversation.audioOut = !(Array.isArray(modalities) && !modalities.includes("AUDIO"));
      const detection = (setup.realtimeInputConfig as JsonObject | undefined)?.automaticActivityDetection as
        | JsonObject
        | undefined;
      conversation.serverVad(detection?.disabled !== true);
      return send({ setupComplete: {} });
    }
    if (realtime) {
      if (audio) return conversation.audio(Buffer.from(String(audio.data), "base64"));
      if (realtime.video) {
        conversation.frames++;
        return;
      }
      if (realtime.audioStreamEnd === true) {
        conversation.commitAudio();
        void conversation.respond();
      }
      return;
    }
    if (message.clientContent) {
      const content = message.clientContent as JsonObject;
      for (const turn of (content.turns ?? []) as JsonObject[]) {
        const text = ((turn.parts ?? []) as JsonObject[]).map((part) => String(part.text ?? "")).join("");
        if (turn.role === "model") conversation.history();
        else conversation.text(text);
      }
      if (content.turnComplete === true) void conversation.respond();
      return;
    }
    if (message.toolResponse) {
      const responses = ((message.toolResponse as JsonObject).functionResponses ?? []) as JsonObject[];
      let complete = false;
      for (const response of responses)
        complete =
          conversation.toolResult(String(response.id), JSON.stringify(response.response)) || complete;
      if (complete) void conversation.respond();
    }
  });
}
