/**
 * Wire fidelity of the Responses engine: a message item's `phase` goes back with it; reasoning text goes back as
 * `reasoning_text` content; `thinkingBudget` becomes `reasoning.max_tokens`; `seed` and images on system blocks
 * are reported instead of dropped silently; hosted tool items (file search, code interpreter, MCP, image
 * generation) are kept and sent back. (Strict-mode nulls: `src/provider-kit/strict-nulls.test.ts`.)
 */
import { describe, expect, it } from "vitest";
import {
  KeyOpenAIInferenceConfig as KeyOpenAIConfigForTests,
  type OpenAIInferenceConfig as OpenAIConfigForTests,
} from "../../engine/inference-config.ts";
import { newReasoningBlock, newSystemTextBlock, newTurn, newUserTextBlock } from "../../turns/builders.ts";
import { KeyBlockMetaProvider } from "../../turns/keys.ts";
import type { Block, Turn } from "../../turns/types.ts";
import { preparedBuilder, runStreamHandler, setupLocalServer } from "../test-support.ts";
import { KeyResponsesPhase, OPENAI_RESPONSES_PROVIDER } from "./descriptor.ts";
import { buildResponsesRequest as buildFromPrepared, type ResponsesRequestOptions } from "./request.ts";
import { ResponsesStreamHandler } from "./stream.ts";

const buildResponsesRequest = preparedBuilder<
  OpenAIConfigForTests,
  ResponsesRequestOptions & { openai?: OpenAIConfigForTests },
  ReturnType<typeof buildFromPrepared>
>(buildFromPrepared, KeyOpenAIConfigForTests, "openai");

const _server = setupLocalServer();
const own = (block: Block) => KeyBlockMetaProvider.set(block, OPENAI_RESPONSES_PROVIDER);
const request = (turn: Turn, inference = {}, model = "gpt-5-mini") =>
  buildResponsesRequest(turn, { model, stream: false, inference });

describe("OpenAI Responses wire fidelity", () => {
  it("keeps a message item's phase and sends it back on the same message", () => {
    const { output } = runStreamHandler(OPENAI_RESPONSES_PROVIDER, (out) => {
      const handler = new ResponsesStreamHandler(out);
      handler.handleResponse({
        id: "resp_1",
        status: "completed",
        output: [
          {
            type: "message",
            id: "msg_1",
            role: "assistant",
            phase: "commentary",
            content: [{ type: "output_text", text: "Looking it up.", annotations: [] }],
          },
        ],
      });
      return handler.outcome;
    });
    const text = output.find((block) => block.kind === "llm_text")!;
    expect(KeyResponsesPhase.get(text)).toBe("commentary");
    const { body } = request(newTurn([newUserTextBlock("Hi"), text]));
    expect(body.input[1]).toMatchObject({ type: "message", id: "msg_1", phase: "commentary" });
  });

  it("replays reasoning text as reasoning_text content, but not text that is only the summary", () => {
    const withText = own(newReasoningBlock({ text: "Step 1, step 2.", summary: ["Plan"], itemId: "rs_1" }));
    const summaryOnly = own(newReasoningBlock({ text: "Plan", summary: ["Plan"], itemId: "rs_2" }));
    const { body } = request(newTurn([newUserTextBlock("Q"), withText, summaryOnly]));
    expect(body.input[1]).toEqual({
      type: "reasoning",
      id: "rs_1",
      summary: [{ type: "summary_text", text: "Plan" }],
      content: [{ type: "reasoning_text", text: "Step 1, step 2." }],
    });
    expect(body.input[2]).not.toHaveProperty("content");
  });

  it("sends thinkingBudget as reasoning.max_tokens and reports seed and system images", () => {
    const turn = newTurn([
      {
        ...newSystemTextBlock("Be brief."),
        payload: { text: "Be brief.", images: [{ mediaType: "image/png", url: "https://x/y.png" }] },
      },
      newUserTextBlock("Q"),
    ]);
    const { body, warnings } = request(turn, { thinkingBudget: 2048, seed: 7 });
    expect(body.reasoning).toMatchObject({ max_tokens: 2048 });
    expect(body).not.toHaveProperty("seed");
    expect(warnings).toEqual([
      "turn.blocks[0] (system): images on a system block are not sent (Responses instructions are text only); put them on a user block",
      "seed not sent: the Responses API takes none",
    ]);
    expect(request(newTurn([newUserTextBlock("Q")]), { thinkingBudget: 512 }, "gpt-4.1").warnings).toEqual([
      "thinkingBudget not sent: gpt-4.1 does not reason",
    ]);
  });

  it("keeps hosted tool items and sends them back", () => {
    const items = [
      { type: "file_search_call", id: "fs_1", status: "completed", queries: ["q"], results: null },
      {
        type: "code_interpreter_call",
        id: "ci_1",
        status: "completed",
        code: "1+1",
        container_id: "c",
        outputs: [],
      },
      { type: "mcp_list_tools", id: "ml_1", server_label: "docs", tools: [] },
      { type: "mcp_call", id: "mc_1", server_label: "docs", name: "search", arguments: "{}", output: "ok" },
      { type: "image_generation_call", id: "ig_1", status: "completed", result: "iVBOR" },
    ];
    const { output } = runStreamHandler(OPENAI_RESPONSES_PROVIDER, (out) => {
      const handler = new ResponsesStreamHandler(out);
      handler.handleResponse({ id: "resp_2", status: "completed", output: items });
      return handler.outcome;
    });
    expect(output.map((block) => block.kind)).toEqual(["other", "other", "other", "other", "other"]);
    const { body, warnings } = request(newTurn([newUserTextBlock("Q"), ...output]));
    expect(body.input.slice(1)).toEqual(items);
    expect(warnings).toEqual([]);
  });
});
