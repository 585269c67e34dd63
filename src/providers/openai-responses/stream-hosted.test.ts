/**
 * The hosted tools of the Responses API publish their event families (seed 002): file-search-*,
 * code-interpreter-*, image-generation-*, mcp-call-* and mcp-list-tools-*, from a hand-written stream in the
 * API's documented event names, and from a whole (non-streamed) response; the items stay in the Turn.
 */
import { describe, expect, it } from "vitest";
import { runStreamHandler } from "../test-support.ts";
import { OPENAI_RESPONSES_PROVIDER } from "./descriptor.ts";
import { ResponsesStreamHandler } from "./stream.ts";
import type { ResponsesOutputItem, ResponsesStreamEvent } from "./wire.ts";

const ITEMS: ResponsesOutputItem[] = [
  { type: "file_search_call", id: "fs_1", status: "completed", queries: ["q"], results: [{ file_id: "f" }] },
  {
    type: "code_interpreter_call",
    id: "ci_1",
    status: "completed",
    code: "1+1",
    outputs: [{ type: "logs", logs: "2" }],
  },
  { type: "image_generation_call", id: "ig_1", status: "completed", result: "iVBOR" },
  { type: "mcp_list_tools", id: "ml_1", server_label: "docs", tools: [{ name: "search" }] },
  {
    type: "mcp_call",
    id: "mc_1",
    server_label: "docs",
    name: "search",
    arguments: '{"q":"x"}',
    output: "ok",
  },
];

/** The stream of one hosted item: added, its progress events, done. */
function streamOf(item: ResponsesOutputItem, index: number): ResponsesStreamEvent[] {
  const at = { item_id: item.id ?? "", output_index: index };
  const progress: Record<string, ResponsesStreamEvent[]> = {
    file_search_call: [
      { type: "response.file_search_call.in_progress", ...at },
      { type: "response.file_search_call.searching", ...at },
      { type: "response.file_search_call.completed", ...at },
    ],
    code_interpreter_call: [
      { type: "response.code_interpreter_call.in_progress", ...at },
      { type: "response.code_interpreter_call_code.delta", ...at, delta: "1+" },
      { type: "response.code_interpreter_call_code.delta", ...at, delta: "1" },
      { type: "response.code_interpreter_call_code.done", ...at, code: "1+1" },
      { type: "response.code_interpreter_call.interpreting", ...at },
      { type: "response.code_interpreter_call.completed", ...at },
    ],
    image_generation_call: [
      { type: "response.image_generation_call.in_progress", ...at },
      { type: "response.image_generation_call.generating", ...at },
      {
        type: "response.image_generation_call.partial_image",
        ...at,
        partial_image_index: 0,
        partial_image_b64: "iV",
      },
      { type: "response.image_generation_call.completed", ...at },
    ],
    mcp_list_tools: [
      { type: "response.mcp_list_tools.in_progress", ...at },
      { type: "response.mcp_list_tools.completed", ...at },
    ],
    mcp_call: [
      { type: "response.mcp_call.in_progress", ...at },
      { type: "response.mcp_call_arguments.delta", ...at, delta: '{"q":' },
      { type: "response.mcp_call_arguments.delta", ...at, delta: '"x"}' },
      { type: "response.mcp_call_arguments.done", ...at, arguments: '{"q":"x"}' },
      { type: "response.mcp_call.completed", ...at },
    ],
  };
  return [
    { type: "response.output_item.added", output_index: index, item: { ...item, status: "in_progress" } },
    ...(progress[item.type] ?? []),
    { type: "response.output_item.done", output_index: index, item },
  ];
}

const HOSTED = /^(file-search|code-interpreter|image-generation|mcp-call|mcp-list-tools)-/;

describe("Responses hosted tools: event families", () => {
  it("publishes each family's progress, deltas and done event from the stream, and keeps the items", () => {
    const { sink, output } = runStreamHandler(OPENAI_RESPONSES_PROVIDER, (out) => {
      const handler = new ResponsesStreamHandler(out);
      handler.handle({ type: "response.created", response: { id: "resp_1", status: "in_progress" } });
      ITEMS.forEach((item, index) => {
        for (const event of streamOf(item, index)) handler.handle(event);
      });
      handler.handle({ type: "response.completed", response: { id: "resp_1", status: "completed" } });
      return handler.outcome;
    });
    const events = sink.events
      .filter((event) => HOSTED.test(event.type))
      .map(({ meta: _meta, ...rest }) => rest);
    expect(events).toEqual([
      { type: "file-search-started", itemId: "fs_1" },
      { type: "file-search-searching", itemId: "fs_1" },
      { type: "file-search-done", itemId: "fs_1", queries: ["q"], results: [{ file_id: "f" }] },
      { type: "code-interpreter-started", itemId: "ci_1" },
      { type: "code-interpreter-code-delta", itemId: "ci_1", delta: "1+" },
      { type: "code-interpreter-code-delta", itemId: "ci_1", delta: "1" },
      { type: "code-interpreter-interpreting", itemId: "ci_1" },
      { type: "code-interpreter-done", itemId: "ci_1", code: "1+1", outputs: [{ type: "logs", logs: "2" }] },
      { type: "image-generation-started", itemId: "ig_1" },
      { type: "image-generation-generating", itemId: "ig_1" },
      { type: "image-generation-partial", itemId: "ig_1", partialImageIndex: 0, partialImageBase64: "iV" },
      { type: "image-generation-done", itemId: "ig_1", result: "iVBOR" },
      { type: "mcp-list-tools-started", itemId: "ml_1" },
      { type: "mcp-list-tools-done", itemId: "ml_1", serverLabel: "docs", tools: [{ name: "search" }] },
      { type: "mcp-call-started", itemId: "mc_1" },
      { type: "mcp-call-arguments-delta", itemId: "mc_1", delta: '{"q":' },
      { type: "mcp-call-arguments-delta", itemId: "mc_1", delta: '"x"}' },
      {
        type: "mcp-call-done",
        itemId: "mc_1",
        serverLabel: "docs",
        name: "search",
        arguments: '{"q":"x"}',
        output: "ok",
      },
    ]);
    expect(output.map((block) => (block.kind === "other" ? block.payload.data : block.kind))).toEqual(ITEMS);
    // Every event of an item names the item's block.
    const blockOf = new Map(
      output.map((block) => [(block.payload as { data: { id: string } }).data.id, block.id]),
    );
    for (const event of sink.events.filter((each) => HOSTED.test(each.type))) {
      expect(event.meta.blockId).toBe(blockOf.get((event as { itemId: string }).itemId));
    }
  });

  it("publishes the done events of a whole response too", () => {
    const { sink } = runStreamHandler(OPENAI_RESPONSES_PROVIDER, (out) => {
      const handler = new ResponsesStreamHandler(out);
      handler.handleResponse({ id: "resp_2", status: "completed", output: ITEMS });
      return handler.outcome;
    });
    expect(sink.events.filter((event) => HOSTED.test(event.type)).map((event) => event.type)).toEqual([
      "file-search-done",
      "code-interpreter-done",
      "image-generation-done",
      "mcp-list-tools-done",
      "mcp-call-done",
    ]);
  });
});
