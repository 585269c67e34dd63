/**
 * The events of the hosted tools of the Responses API (web search, file search, code interpreter, image
 * generation, remote MCP): the stream's progress events and the finished output items, mapped to geppetto's
 * event families (`web-search-*`, `file-search-*`, `code-interpreter-*`, `image-generation-*`, `mcp-call-*`,
 * `mcp-list-tools-*`). The items themselves are kept as `other` blocks and sent back (see `request.ts`).
 */
import type { EventDraft } from "../../events/types.ts";
import type { JsonValue } from "../../turns/json.ts";
import type { ResponsesOutputItem, ResponsesStreamEvent } from "./wire.ts";

/** A stream event's progress moment → the geppetto event type (`.completed` waits for the finished item). */
const PROGRESS: Readonly<Record<string, string>> = {
  "response.web_search_call.in_progress": "web-search-started",
  "response.web_search_call.searching": "web-search-searching",
  "response.file_search_call.in_progress": "file-search-started",
  "response.file_search_call.searching": "file-search-searching",
  "response.code_interpreter_call.in_progress": "code-interpreter-started",
  "response.code_interpreter_call.interpreting": "code-interpreter-interpreting",
  "response.code_interpreter_call_code.delta": "code-interpreter-code-delta",
  "response.image_generation_call.in_progress": "image-generation-started",
  "response.image_generation_call.generating": "image-generation-generating",
  "response.image_generation_call.partial_image": "image-generation-partial",
  "response.mcp_call.in_progress": "mcp-call-started",
  "response.mcp_call_arguments.delta": "mcp-call-arguments-delta",
  "response.mcp_list_tools.in_progress": "mcp-list-tools-started",
};

/**
 * The geppetto event of a hosted tool's stream event, without its metadata; undefined for any other event.
 *
 * @example
 * hostedProgressEvent({ type: "response.file_search_call.searching", item_id: "fs_1" })
 * // { type: "file-search-searching", itemId: "fs_1" }
 */
export function hostedProgressEvent(event: ResponsesStreamEvent): EventDraft | undefined {
  const type = PROGRESS[event.type];
  if (type === undefined) return undefined;
  const draft: Record<string, JsonValue> = { type, itemId: event.item_id ?? "" };
  if (type.endsWith("-delta")) draft.delta = event.delta ?? "";
  if (type === "image-generation-partial") {
    if (typeof event.partial_image_index === "number") draft.partialImageIndex = event.partial_image_index;
    if (typeof event.partial_image_b64 === "string") draft.partialImageBase64 = event.partial_image_b64;
  }
  return draft as unknown as EventDraft;
}

/** Copies the fields of `item` that are set, under geppetto's names. */
function fieldsOf(item: ResponsesOutputItem, names: Record<string, string>): Record<string, JsonValue> {
  const out: Record<string, JsonValue> = {};
  for (const [wire, name] of Object.entries(names)) {
    const value = item[wire];
    if (value !== undefined && value !== null) out[name] = value as JsonValue;
  }
  return out;
}

/**
 * The `-done` event of a finished hosted-tool item, without its metadata; undefined for other items.
 *
 * @example
 * hostedDoneEvent({ type: "mcp_call", id: "mcp_1", server_label: "docs", name: "search", output: "…" })
 * // { type: "mcp-call-done", itemId: "mcp_1", serverLabel: "docs", name: "search", output: "…" }
 */
export function hostedDoneEvent(item: ResponsesOutputItem): EventDraft | undefined {
  const itemId = item.id ?? "";
  let draft: Record<string, JsonValue>;
  switch (item.type) {
    case "web_search_call":
      draft = { type: "web-search-done", itemId };
      if (item.action?.query !== undefined) draft.query = item.action.query;
      if (item.action?.sources !== undefined) draft.sources = item.action.sources;
      break;
    case "file_search_call":
      draft = {
        type: "file-search-done",
        itemId,
        ...fieldsOf(item, { queries: "queries", results: "results" }),
      };
      break;
    case "code_interpreter_call":
      draft = {
        type: "code-interpreter-done",
        itemId,
        ...fieldsOf(item, { code: "code", outputs: "outputs" }),
      };
      break;
    case "image_generation_call":
      draft = { type: "image-generation-done", itemId, ...fieldsOf(item, { result: "result" }) };
      break;
    case "mcp_call":
      draft = {
        type: "mcp-call-done",
        itemId,
        ...fieldsOf(item, {
          server_label: "serverLabel",
          name: "name",
          arguments: "arguments",
          output: "output",
          error: "error",
        }),
      };
      break;
    case "mcp_list_tools":
      draft = {
        type: "mcp-list-tools-done",
        itemId,
        ...fieldsOf(item, { server_label: "serverLabel", tools: "tools", error: "error" }),
      };
      break;
    default:
      return undefined;
  }
  return draft as unknown as EventDraft;
}
