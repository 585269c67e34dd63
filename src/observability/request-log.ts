/**
 * What the transport logs about a request: at debug one line (provider, model, URL without secrets, item types,
 * block counts, reasoning summary counts, tool names, content part types), at trace the whole body as YAML with
 * provider ids, encrypted reasoning and signatures redacted (unless the logger is `unredacted`). The shapes of
 * every provider's wire are read generically: `messages` (OpenAI Chat, Anthropic, Ollama), `input` (OpenAI
 * Responses), `contents` (Gemini).
 */
import { loadYaml } from "../turns/lazy-modules.ts";
import type { LogFields } from "./logger.ts";

/**
 * Fields holding a provider's ids: each distinct value is replaced by a numbered placeholder (`[id 1]`, `[id 2]`…),
 * the same one wherever it recurs, so a dump or a recording still shows which call a tool result answers.
 */
const ID_FIELDS = new Set([
  "id",
  "item_id",
  "call_id",
  "tool_call_id",
  "tool_use_id",
  "previous_response_id",
  "response_id",
  "conversation",
]);

/** Fields holding opaque state (encrypted reasoning, signatures): replaced by `[redacted N chars]`. */
const OPAQUE_FIELDS = new Set(["encrypted_content", "signature", "thought_signature", "thoughtSignature"]);

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * A copy of a provider body (a request, or a response event) with provider ids, encrypted reasoning and
 * signatures replaced (the data of Anthropic's `redacted_thinking` blocks too). Pass the same `ids` map to
 * several bodies to number their ids consistently.
 *
 * @example
 * redactRequestBody({ input: [{ type: "reasoning", id: "rs_1", encrypted_content: "gAAA…" }] })
 * // { input: [{ type: "reasoning", id: "[id 1]", encrypted_content: "[redacted 6 chars]" }] }
 */
export function redactRequestBody(body: unknown, ids: Map<string, string> = new Map()): unknown {
  if (Array.isArray(body)) return body.map((item) => redactRequestBody(item, ids));
  if (!isRecord(body)) return body;
  const out: Record<string, unknown> = {};
  const redactedThinking = body.type === "redacted_thinking";
  for (const [name, value] of Object.entries(body)) {
    if (typeof value === "string" && ID_FIELDS.has(name)) {
      let placeholder = ids.get(value);
      if (placeholder === undefined) {
        placeholder = `[id ${ids.size + 1}]`;
        ids.set(value, placeholder);
      }
      out[name] = placeholder;
    } else if (
      typeof value === "string" &&
      (OPAQUE_FIELDS.has(name) || (redactedThinking && name === "data"))
    ) {
      out[name] = `[redacted ${value.length} chars]`;
    } else out[name] = redactRequestBody(value, ids);
  }
  return out;
}

/**
 * The body as YAML for a trace log, redacted unless `unredacted`; `scrub` removes the transport's secrets from the
 * text in every mode.
 *
 * @example
 * logger.log("trace", "request body", { body: requestDumpYaml(body, false, transport.scrub) });
 */
export function requestDumpYaml(body: unknown, unredacted: boolean, scrub: (text: string) => string): string {
  let value = body;
  if (typeof body === "string") {
    try {
      value = JSON.parse(body);
    } catch {
      return scrub(body);
    }
  }
  return scrub(loadYaml().stringify(unredacted ? value : redactRequestBody(value), { lineWidth: 0 }));
}

function count(counts: Record<string, number>, key: string): void {
  counts[key] = (counts[key] ?? 0) + 1;
}

function countsText(counts: Record<string, number>): string | undefined {
  const entries = Object.entries(counts);
  return entries.length === 0 ? undefined : entries.map(([name, n]) => `${name}:${n}`).join(",");
}

function partTypesOf(content: unknown, parts: Record<string, number>): void {
  if (typeof content === "string") count(parts, "text");
  else if (Array.isArray(content)) {
    for (const part of content) {
      if (isRecord(part)) {
        const type = typeof part.type === "string" ? part.type : Object.keys(part)[0];
        if (type !== undefined) count(parts, type);
      }
    }
  }
}

function toolNames(tools: unknown): string[] {
  const names: string[] = [];
  if (!Array.isArray(tools)) return names;
  for (const tool of tools) {
    if (!isRecord(tool)) continue;
    if (isRecord(tool.function) && typeof tool.function.name === "string") names.push(tool.function.name);
    else if (typeof tool.name === "string") names.push(tool.name);
    else if (Array.isArray(tool.functionDeclarations)) {
      for (const declaration of tool.functionDeclarations)
        if (isRecord(declaration) && typeof declaration.name === "string") names.push(declaration.name);
    } else if (typeof tool.type === "string") names.push(tool.type);
  }
  return names;
}

/**
 * The debug summary of a request body: model, items (by role or type), content part types, reasoning summary
 * parts, tool names. Never a value of the conversation.
 *
 * @example
 * summarizeRequest({ model: "gpt-4o", messages: [{ role: "user", content: "hi" }] })
 * // { model: "gpt-4o", items: "user:1", parts: "text:1" }
 */
export function summarizeRequest(body: unknown): LogFields {
  let value = body;
  if (typeof body === "string") {
    try {
      value = JSON.parse(body);
    } catch {
      return { bodyChars: body.length };
    }
  }
  if (!isRecord(value)) return {};
  const items: Record<string, number> = {};
  const parts: Record<string, number> = {};
  let summaries = 0;
  const list = value.messages ?? value.input ?? value.contents;
  if (typeof list === "string") count(items, "text");
  else if (Array.isArray(list)) {
    for (const item of list) {
      if (!isRecord(item)) continue;
      const kind =
        typeof item.role === "string" ? item.role : typeof item.type === "string" ? item.type : "item";
      count(items, kind);
      partTypesOf(item.content ?? item.parts, parts);
      if (Array.isArray(item.summary)) summaries += item.summary.length;
    }
  }
  if (typeof value.system === "string" || Array.isArray(value.system)) count(items, "system");
  const fields: LogFields = {};
  if (typeof value.model === "string") fields.model = value.model;
  const itemsText = countsText(items);
  if (itemsText) fields.items = itemsText;
  const partsText = countsText(parts);
  if (partsText) fields.parts = partsText;
  if (summaries > 0) fields.reasoningSummaries = summaries;
  const tools = toolNames(value.tools);
  if (tools.length > 0) fields.tools = tools.join(",");
  if (value.stream === true) fields.stream = true;
  return fields;
}
