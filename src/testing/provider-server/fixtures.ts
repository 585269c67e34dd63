/**
 * Loads a recorded file in the formats of `fixtures/providers` (the recorded corpus in the repository) into a Reply the server can send.
 */
import { loadYaml } from "../../turns/lazy-modules.ts";
import type { ProtocolModule, Reply } from "./types.ts";

/** `node:fs` as Node holds it: an `import` of it would load its promise API and streams (about 34 of Node's modules). */
const fs = process.getBuiltinModule("node:fs");

const SSE = "text/event-stream";
const JSON_TYPE = "application/json";

/** Splits raw bytes into frames at event boundaries, keeping every byte. */
function splitEvents(text: string): string[] {
  const frames: string[] = [];
  const boundary = /\r\n\r\n|\n\n|\r\r/g;
  let start = 0;
  for (let match = boundary.exec(text); match; match = boundary.exec(text)) {
    const end = match.index + match[0].length;
    frames.push(text.slice(start, end));
    start = end;
  }
  if (start < text.length) frames.push(text.slice(start));
  return frames;
}

/** The status of a JSON error body, guessed from its content when the recording does not say. */
export function statusOfErrorBody(body: unknown): number {
  if (typeof body !== "object" || body === null || !("error" in body)) return 200;
  const error = (body as { error: unknown }).error;
  if (error === null || error === undefined || error === false) return 200;
  if (typeof error === "object") {
    const { code, type } = error as { code?: unknown; type?: unknown };
    if (typeof code === "number" && code >= 400) return code;
    if (code === "insufficient_quota" || type === "insufficient_quota" || code === "rate_limit_exceeded")
      return 429;
    if (type === "authentication_error") return 401;
    if (type === "overloaded_error") return 529;
    if (type === "not_found_error") return 404;
  }
  return 400;
}

/** Parses an httprr trace and returns exchange `index`'s response. */
function httprrReply(text: string, index: number): Reply {
  const buffer = Buffer.from(text, "utf8");
  let offset = buffer.indexOf("\n") + 1;
  for (let exchange = 0; offset < buffer.length; exchange++) {
    const lineEnd = buffer.indexOf("\n", offset);
    const [requestBytes, responseBytes] = buffer
      .subarray(offset, lineEnd)
      .toString()
      .trim()
      .split(" ")
      .map(Number);
    if (requestBytes === undefined || responseBytes === undefined) break;
    const responseStart = lineEnd + 1 + requestBytes;
    const response = buffer.subarray(responseStart, responseStart + responseBytes);
    offset = responseStart + responseBytes;
    if (exchange === index) return parseRawResponse(response);
  }
  throw new Error(`httprr trace has no exchange ${index}`);
}

/** The recorded response headers a replay sends: content type, request ids, retry and rate-limit, provider timing. */
const REPLAYED_HEADERS = new Set([
  "content-type",
  "x-request-id",
  "request-id",
  "retry-after",
  "openai-processing-ms",
  "openai-version",
  "x-envoy-upstream-service-time",
]);

function parseRawResponse(raw: Buffer): Reply {
  const headerEnd = raw.indexOf("\r\n\r\n");
  const head = raw.subarray(0, headerEnd).toString().split(/\r?\n/);
  const status = Number(head[0]?.split(" ")[1] ?? 200);
  const headers: Record<string, string> = {};
  for (const line of head.slice(1)) {
    const colon = line.indexOf(":");
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  let body = raw.subarray(headerEnd + 4);
  if (headers["transfer-encoding"]?.includes("chunked")) body = dechunk(body);
  const kept: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (REPLAYED_HEADERS.has(name) || name.includes("ratelimit")) kept[name] = value;
  }
  return { status, headers: kept, frames: [body] };
}

function dechunk(body: Buffer): Buffer {
  const parts: Buffer[] = [];
  let offset = 0;
  while (offset < body.length) {
    const lineEnd = body.indexOf("\r\n", offset);
    const size = Number.parseInt(body.subarray(offset, lineEnd).toString(), 16);
    if (!size) break;
    parts.push(body.subarray(lineEnd + 2, lineEnd + 2 + size));
    offset = lineEnd + 2 + size + 2;
  }
  return Buffer.concat(parts);
}

/**
 * Reads a fixture file into a Reply. `streaming` picks the stream or whole-body form for recordings that can
 * be replayed both ways (`.replay.json`); other formats are what they are.
 *
 * @example
 * const reply = loadFixture("openai-chat/stream-tool-call.sse", openaiChat, true);
 */
export function loadFixture(path: string, protocol: ProtocolModule, streaming: boolean): Reply {
  const streamType = protocol.streamContentType ?? SSE;
  const text = fs.readFileSync(path, "utf8");
  if (path.endsWith(".sse"))
    return { status: 200, headers: { "content-type": SSE }, frames: splitEvents(text) };
  if (path.endsWith(".chunks.txt")) {
    const frame = protocol.frameChunk ?? ((line: string) => `data: ${line}\n\n`);
    const frames = text
      .split("\n")
      .filter((line) => line.trim().length > 0)
      .map(frame);
    if (protocol.chunksTrailer) frames.push(protocol.chunksTrailer);
    return { status: 200, headers: { "content-type": streamType }, frames };
  }
  if (path.endsWith(".jsonl")) {
    const frames = text
      .split("\n")
      .filter((line) => line.trim().length > 0)
      .map((line) => `${line}\n`);
    return { status: 200, headers: { "content-type": "application/x-ndjson" }, frames };
  }
  if (path.endsWith(".httprr.txt")) return httprrReply(text, 0);
  if (path.endsWith(".cassette.yaml.txt")) return cassetteReply(text, path);
  if (path.endsWith(".replay.json")) {
    const interaction = (JSON.parse(text) as { interactions: { response: ReplayResponse }[] })
      .interactions[0];
    if (!interaction) throw new Error(`${path}: no interaction`);
    const { statusCode, bodySegments } = interaction.response;
    if (statusCode >= 400 || !streaming) {
      return {
        status: statusCode,
        headers: { "content-type": JSON_TYPE },
        frames: [JSON.stringify(bodySegments[0])],
      };
    }
    const frames = bodySegments.map((segment) => `data: ${JSON.stringify(segment)}\r\n\r\n`);
    return { status: statusCode, headers: { "content-type": SSE }, frames };
  }
  if (path.endsWith(".session.json")) {
    const entry = (JSON.parse(text) as { Entries: { StatusCode: number; ResponseBody: unknown }[] })
      .Entries[0];
    if (!entry) throw new Error(`${path}: no entry`);
    return {
      status: entry.StatusCode,
      headers: { "content-type": JSON_TYPE },
      frames: [JSON.stringify(entry.ResponseBody)],
    };
  }
  if (path.endsWith(".json")) {
    return {
      status: statusOfErrorBody(JSON.parse(text)),
      headers: { "content-type": JSON_TYPE },
      frames: [text],
    };
  }
  throw new Error(
    `${path}: unknown fixture format (expected .sse, .chunks.txt, .jsonl, .json, .httprr.txt, .cassette.yaml.txt, .replay.json, .session.json)`,
  );
}

interface CassetteInteraction {
  response?: {
    body?: { string?: string };
    headers?: Record<string, string[] | string>;
    status?: { code?: number };
  };
}

/** A VCR cassette (pydantic-ai): replays the first interaction's response body as it was sent. */
function cassetteReply(text: string, path: string): Reply {
  const cassette = loadYaml().parse(text) as { interactions?: CassetteInteraction[] };
  const response = cassette.interactions?.[0]?.response;
  const body = response?.body?.string;
  if (typeof body !== "string") throw new Error(`${path}: interactions[0].response.body.string is missing`);
  const headers = response?.headers ?? {};
  const declared = headers["content-type"] ?? headers["Content-Type"];
  const contentType = (Array.isArray(declared) ? declared[0] : declared) ?? SSE;
  const status = response?.status?.code ?? 200;
  const frames = contentType.startsWith(SSE) ? splitEvents(body) : [body];
  return { status, headers: { "content-type": contentType }, frames };
}

interface ReplayResponse {
  statusCode: number;
  bodySegments: unknown[];
}
