/**
 * A whole (non-streaming) Responses object replayed as the stream events that would have produced it, so the
 * streaming and non-streaming paths share one handler.
 */
import type { ResponsesOutputItem, ResponsesResponse, ResponsesStreamEvent } from "./wire.ts";

function replayItem(
  index: number,
  item: ResponsesOutputItem,
  handle: (event: ResponsesStreamEvent) => void,
): void {
  const base: { output_index: number; item_id?: string } = { output_index: index };
  if (item.id !== undefined) base.item_id = item.id;
  switch (item.type) {
    case "message": {
      handle({ ...base, type: "response.output_item.added", item: { ...item, content: [] } });
      (item.content ?? []).forEach((part, contentIndex) => {
        const delta = part.text ?? part.refusal ?? "";
        handle({ ...base, type: "response.output_text.delta", content_index: contentIndex, delta });
        for (const annotation of part.annotations ?? []) {
          handle({ ...base, type: "response.output_text.annotation.added", annotation });
        }
      });
      break;
    }
    case "reasoning":
      handle({ ...base, type: "response.output_item.added", item: { ...item, summary: [] } });
      (item.summary ?? []).forEach((part, summaryIndex) => {
        handle({
          ...base,
          type: "response.reasoning_summary_part.added",
          summary_index: summaryIndex,
        });
        const delta = part.text;
        handle({
          ...base,
          type: "response.reasoning_summary_text.delta",
          summary_index: summaryIndex,
          delta,
        });
      });
      break;
    case "function_call":
      handle({ ...base, type: "response.output_item.added", item: { ...item, arguments: "" } });
      handle({ ...base, type: "response.function_call_arguments.delta", delta: item.arguments ?? "" });
      break;
    default:
      handle({ ...base, type: "response.output_item.added", item });
  }
  handle({ ...base, type: "response.output_item.done", item });
}

/**
 * Calls `handle` with the stream events equivalent to a response object, in order.
 *
 * @example
 * replayResponse(await response.json(), (event) => handler.handle(event));
 */
export function replayResponse(
  response: ResponsesResponse,
  handle: (event: ResponsesStreamEvent) => void,
): void {
  handle({ type: "response.created", response });
  (response.output ?? []).forEach((item, index) => {
    replayItem(index, item, handle);
  });
  const status = response.status ?? "completed";
  const type =
    status === "failed"
      ? "response.failed"
      : status === "incomplete"
        ? "response.incomplete"
        : "response.completed";
  handle({ type, response });
}
