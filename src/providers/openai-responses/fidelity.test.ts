/**
 * Wire fidelity of the Responses engine: a message item's `phase` goes back with it; reasoning text goes back as
 * `reasoning_text` content; `thinkingBudget` becomes `reasoning.max_tokens`; `seed` and images on system blocks
 * are reported instead of dropped silently; hosted tool items (file search, code interpreter, MCP, image
 * generation) are kept and sent back; a strict-mode `null` for an optional argument is read as absent.
 */
import { describe, expect, it } from "vitest";
import type { ToolCatalog, ToolDescription } from "../../engine/tools.ts";
import { ToolCatalogKey } from "../../engine/tools.ts";
import { RunContext } from "../../events/context.ts";
import {
  newReasoningBlock,
  newSystemTextBlock,
  newTurn,
  newUserTextBlock,
  pendingToolCalls,
} from "../../turns/builders.ts";
import { KeyBlockMetaProvider } from "../../turns/keys.ts";
import type { Block, Turn } from "../../turns/types.ts";
import { runStreamHandler, setupLocalServer } from "../test-support.ts";
import { createOpenAIResponsesEngine } from "./engine.ts";
import { KeyResponsesPhase, OPENAI_RESPONSES_PROVIDER } from "./metadata.ts";
import { buildResponsesRequest } from "./request.ts";
import { ResponsesStreamHandler } from "./stream.ts";

const server = setupLocalServer();
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
      "seed is not supported by the Responses API and was not sent",
    ]);
    expect(request(newTurn([newUserTextBlock("Q")]), { thinkingBudget: 512 }, "gpt-4.1").warnings).toEqual([
      "thinkingBudget is not sent: gpt-4.1 does not reason",
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

describe("strict mode and optional parameters", () => {
  const original: ToolDescription = {
    name: "get_weather",
    description: "Weather of a city.",
    parameters: {
      type: "object",
      properties: { city: { type: "string" }, unit: { type: "string" } },
      required: ["city"],
    },
  };
  const strict: ToolDescription = {
    ...original,
    parameters: {
      type: "object",
      properties: { city: { type: "string" }, unit: { type: ["string", "null"] } },
      required: ["city", "unit"],
      additionalProperties: false,
    },
    strict: true,
  };
  const catalog: ToolCatalog = { toolsFor: (dialect) => [dialect === "openai-strict" ? strict : original] };

  it("reads null for an optional property as absent", async () => {
    server.respond({
      script: { toolCalls: [{ id: "call_1", name: "get_weather", arguments: { city: "Oslo", unit: null } }] },
    });
    const engine = createOpenAIResponsesEngine({
      model: "gpt-5-mini",
      apiKey: "k",
      baseURL: server.baseURL("openai-responses"),
      env: {},
    });
    const out = await engine.runInference(
      newTurn([newUserTextBlock("Weather in Oslo?")]),
      RunContext.background().with(ToolCatalogKey, catalog),
    );
    expect(pendingToolCalls(out).map((call) => call.payload.args)).toEqual([{ city: "Oslo" }]);
    const body = server.requests.at(-1)?.body as { tools: { parameters: unknown }[] };
    expect(body.tools[0]?.parameters).toEqual(strict.parameters);
  });
});
