/**
 * The realtime session recording format: JSON Lines, one WebSocket message per line after a header line.
 *
 * ```jsonl
 * {"format":"geppetto-realtime-recording","version":1,"protocol":"openai-realtime","model":"gpt-realtime","date":"2026-12-02T03:00:00.000Z","source":"recorded through geppetto's proxy","path":"/v1/realtime?model=gpt-realtime","headers":{"authorization":"[redacted]"}}
 * {"direction":"client","timeMs":0,"text":"{\"type\":\"session.update\",…}"}
 * {"direction":"server","timeMs":41.5,"text":"{\"type\":\"session.updated\",…}"}
 * {"direction":"client","timeMs":80.2,"binary":"AAECAw=="}
 * ```
 *
 * `direction` is `client` (client → server) or `server` (server → client); `timeMs` is milliseconds since the
 * connection opened; a message is `text` (a text frame, as sent) or `binary` (a binary frame, base64).
 */
import { CallerError } from "../../engine/errors.ts";

/** The realtime protocols a recording can hold. */
export type RecordedProtocol = "openai-realtime" | "gemini-live";

/**
 * The first line of a recording.
 *
 * @example
 * const header: RecordingHeader = { format: "geppetto-realtime-recording", version: 1, protocol: "gemini-live",
 *   model: "gemini-live-2.5-flash-preview", date: new Date().toISOString(), source: "scripted local server" };
 */
export interface RecordingHeader {
  format: "geppetto-realtime-recording";
  version: 1;
  protocol: RecordedProtocol;
  /** The model asked for (from the URL or the setup message), when known. */
  model?: string;
  /** When the session was recorded (ISO 8601). */
  date: string;
  /** Where the recording comes from: the upstream URL (without credentials), a project and licence, etc. */
  source: string;
  /** The request path and query of the WebSocket upgrade, credentials redacted. */
  path?: string;
  /** Request headers of the upgrade that were forwarded, credentials redacted. */
  headers?: Record<string, string>;
}

/**
 * One recorded WebSocket message.
 *
 * @example
 * const line: RecordedMessage = { direction: "server", timeMs: 12, text: '{"type":"session.created"}' };
 */
export interface RecordedMessage {
  direction: "client" | "server";
  timeMs: number;
  text?: string;
  /** Base64 of a binary frame. */
  binary?: string;
}

/**
 * A whole recording: its header and messages, in order.
 *
 * @example
 * const recording = parseRecording(await readFile("session.realtime.jsonl", "utf8"), "session.realtime.jsonl");
 */
export interface RealtimeRecording {
  header: RecordingHeader;
  messages: RecordedMessage[];
  /** The line number of each message in the file (1-based), when parsed from one. */
  lines?: number[];
}

/**
 * The type of a message, as replay matches it: the `type` field of an OpenAI Realtime event, the top-level key of
 * a Gemini Live message (`setup`, `realtimeInput`, `toolResponse`…), `binary` for a binary frame, `text` for
 * text that is not a JSON object.
 *
 * @example
 * messageType({ direction: "client", timeMs: 0, text: '{"type":"input_audio_buffer.append"}' }) // "input_audio_buffer.append"
 */
export function messageType(message: RecordedMessage): string {
  if (message.text === undefined) return "binary";
  try {
    const value: unknown = JSON.parse(message.text);
    if (typeof value !== "object" || value === null || Array.isArray(value)) return "text";
    const record = value as Record<string, unknown>;
    if (typeof record.type === "string") return record.type;
    return Object.keys(record).sort().join("+") || "{}";
  } catch {
    return "text";
  }
}

/**
 * Serializes one line (header or message) of a recording, with its newline.
 *
 * @example
 * stream.write(recordingLine({ direction: "client", timeMs: 0, text: "{}" }));
 */
export function recordingLine(line: RecordingHeader | RecordedMessage): string {
  return `${JSON.stringify(line)}\n`;
}

function invalid(where: string, line: number, what: string): never {
  throw new CallerError(`${where}:${line}: ${what}`, { code: "invalid_input" });
}

/**
 * Parses a recording; a bad line is an error naming the file (`where`) and the line.
 *
 * @example
 * const { header, messages } = parseRecording(text, "fixtures/realtime/session.realtime.jsonl");
 */
export function parseRecording(text: string, where = "recording"): RealtimeRecording {
  const lines = text.split("\n");
  let header: RecordingHeader | undefined;
  const messages: RecordedMessage[] = [];
  const numbers: number[] = [];
  lines.forEach((raw, index) => {
    const line = index + 1;
    if (raw.trim() === "") return;
    let value: Record<string, unknown>;
    try {
      value = JSON.parse(raw) as Record<string, unknown>;
    } catch {
      invalid(where, line, "not a JSON line");
    }
    if (typeof value !== "object" || value === null || Array.isArray(value))
      invalid(where, line, "a line must be a JSON object");
    if (!header) {
      if (value.format !== "geppetto-realtime-recording" || value.version !== 1)
        invalid(
          where,
          line,
          'the first line must be a header {"format":"geppetto-realtime-recording","version":1,…}',
        );
      if (value.protocol !== "openai-realtime" && value.protocol !== "gemini-live")
        invalid(
          where,
          line,
          `unknown protocol ${JSON.stringify(value.protocol)} (openai-realtime or gemini-live)`,
        );
      if (typeof value.date !== "string" || typeof value.source !== "string")
        invalid(where, line, "the header needs a date and a source");
      header = value as unknown as RecordingHeader;
      return;
    }
    if (value.direction !== "client" && value.direction !== "server")
      invalid(where, line, `direction must be "client" or "server" (got ${JSON.stringify(value.direction)})`);
    if (typeof value.timeMs !== "number" || !(value.timeMs >= 0))
      invalid(where, line, "timeMs must be a number of milliseconds ≥ 0");
    if ((typeof value.text === "string") === (typeof value.binary === "string"))
      invalid(where, line, "a message has exactly one of text or binary (base64)");
    messages.push(value as unknown as RecordedMessage);
    numbers.push(line);
  });
  if (!header) invalid(where, 1, "empty recording (no header line)");
  return { header, messages, lines: numbers };
}
