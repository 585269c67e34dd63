import { describe, expect, it } from "vitest";
import { CallerError } from "../../engine/errors.ts";
import {
  type ClaudeInferenceConfig,
  KeyClaudeInferenceConfig,
  KeyInferenceConfig,
  KeyToolConfig,
} from "../../engine/inference-config.ts";
import { KeyStructuredOutputConfig } from "../../engine/structured-output.ts";
import { ToolCatalogKey, type ToolDescription } from "../../engine/tools.ts";
import { RunContext } from "../../events/context.ts";
import {
  appendBlock,
  newAssistantTextBlock,
  newOtherBlock,
  newReasoningBlock,
  newSystemTextBlock,
  newToolCallBlock,
  newToolUseBlock,
  newTurn,
  newUserMultimodalBlock,
  newUserTextBlock,
  pendingToolCalls,
} from "../../turns/builders.ts";
import { KeyBlockMetaProvider } from "../../turns/keys.ts";
import { turnFromYaml, turnToYaml } from "../../turns/serialization.ts";
import type { Turn } from "../../turns/types.ts";
import { fixturePath, preparedBuilder, setupLocalServer } from "../test-support.ts";
import { ClaudeEngine, createClaudeEngine } from "./engine.ts";
import {
  ANTHROPIC_STRUCTURED_OUTPUTS_BETA,
  buildClaudeRequest as buildFromPrepared,
  type ClaudeRequest,
  type ClaudeRequestOptions,
} from "./request.ts";

const buildClaudeRequest = preparedBuilder<
  ClaudeInferenceConfig,
  ClaudeRequestOptions & { claude?: ClaudeInferenceConfig },
  ClaudeRequest
>(buildFromPrepared, KeyClaudeInferenceConfig, "claude");

const weather: ToolDescription = {
  name: "get_weather",
  description: "Weather for a city",
  parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"] },
};
const search: ToolDescription = { ...weather, name: "search", description: "Search" };
const withTools = RunContext.background().with(ToolCatalogKey, { toolsFor: () => [weather, search] });

function conversation(): Turn {
  return newTurn([
    newSystemTextBlock("Be brief."),
    newUserMultimodalBlock("What is this, and the weather in Paris?", [
      { mediaType: "image/png", data: "iVBORw0KGgo=" },
      { mediaType: "image/jpeg", url: "https://example.com/a.jpg" },
    ]),
    newReasoningBlock({ text: "Need the weather.", signature: "EqQBsig" }),
    newReasoningBlock({ redacted: true, encryptedContent: "EmwKAhgBopaque" }),
    newAssistantTextBlock("Let me look."),
    newToolCallBlock({ id: "toolu_1", name: "get_weather", args: { city: "Paris" } }),
    newToolUseBlock("toolu_1", { temperature: 21 }),
    newToolCallBlock({ id: "toolu_2", name: "get_weather", args: { city: "Nowhere" } }),
    newToolUseBlock("toolu_2", null, { error: "unknown city" }),
    newUserTextBlock("Thanks. And tomorrow?"),
  ]);
}

describe("buildClaudeRequest", () => {
  it("maps a representative Turn to messages (golden)", () => {
    const engine = new ClaudeEngine({
      model: "claude-sonnet-4-5",
      apiKey: "test",
      baseURL: "http://127.0.0.1:1",
    });
    const { body, warnings, betas } = engine.buildRequest(conversation(), withTools);
    expect(warnings).toEqual([]);
    expect(betas).toEqual([]);
    // Messages come as cached pieces; through JSON they are the plain body.
    expect(JSON.parse(JSON.stringify(body))).toEqual({
      model: "claude-sonnet-4-5",
      max_tokens: 4096,
      system: "Be brief.",
      stream: true,
      messages: [
        {
          role: "user",
          content: [
            { type: "image", source: { type: "base64", media_type: "image/png", data: "iVBORw0KGgo=" } },
            { type: "image", source: { type: "url", url: "https://example.com/a.jpg" } },
            { type: "text", text: "What is this, and the weather in Paris?" },
          ],
        },
        {
          role: "assistant",
          content: [
            { type: "thinking", thinking: "Need the weather.", signature: "EqQBsig" },
            { type: "redacted_thinking", data: "EmwKAhgBopaque" },
            { type: "text", text: "Let me look." },
            { type: "tool_use", id: "toolu_1", name: "get_weather", input: { city: "Paris" } },
          ],
        },
        {
          role: "user",
          content: [{ type: "tool_result", tool_use_id: "toolu_1", content: '{"temperature":21}' }],
        },
        {
          role: "assistant",
          content: [{ type: "tool_use", id: "toolu_2", name: "get_weather", input: { city: "Nowhere" } }],
        },
        {
          role: "user",
          content: [
            { type: "tool_result", tool_use_id: "toolu_2", content: "unknown city", is_error: true },
            { type: "text", text: "Thanks. And tomorrow?" },
          ],
        },
      ],
      tools: [
        { name: "get_weather", description: "Weather for a city", input_schema: weather.parameters },
        { name: "search", description: "Search", input_schema: search.parameters },
      ],
    });
  });

  it("adds cache_control to the system prompt, the last tool and the last user block when caching is on", () => {
    const turn = KeyClaudeInferenceConfig.set(conversation(), { promptCaching: true });
    const { body } = buildClaudeRequest(turn, {
      model: "claude-sonnet-4-5",
      stream: true,
      tools: [weather, search],
    });
    expect(body.system).toEqual([{ type: "text", text: "Be brief.", cache_control: { type: "ephemeral" } }]);
    expect(body.tools![0]).not.toHaveProperty("cache_control");
    expect(body.tools![1]).toMatchObject({ name: "search", cache_control: { type: "ephemeral" } });
    const lastUser = body.messages.at(-1)!;
    expect(lastUser.content.at(-1)).toMatchObject({ type: "text", cache_control: { type: "ephemeral" } });
    expect(lastUser.content[0]).not.toHaveProperty("cache_control");
  });

  it("maps tool choice auto / any / tool / none and parallelism", () => {
    const build = (toolConfig: Parameters<typeof KeyToolConfig.set>[1]) =>
      buildClaudeRequest(KeyToolConfig.set(newTurn([newUserTextBlock("hi")]), toolConfig), {
        model: "m",
        stream: true,
        tools: [weather],
      }).body.tool_choice;
    expect(build({ toolChoice: "auto" })).toEqual({ type: "auto" });
    expect(build({ toolChoice: "required" })).toEqual({ type: "any" });
    expect(build({ toolChoice: { name: "get_weather" } })).toEqual({ type: "tool", name: "get_weather" });
    expect(build({ toolChoice: "none" })).toEqual({ type: "none" });
    expect(build({ parallelToolCalls: false })).toEqual({ type: "auto", disable_parallel_tool_use: true });
    expect(build({})).toBeUndefined();
  });

  it("maps sampling, stop sequences, user id, top_k and structured output", () => {
    let turn = KeyInferenceConfig.set(newTurn([newUserTextBlock("hi")]), {
      temperature: 0.2,
      topP: 0.9,
      stop: ["END"],
      maxResponseTokens: 300,
    });
    turn = KeyClaudeInferenceConfig.set(turn, { userId: "user-7", topK: 40 });
    const schema = { type: "object", properties: { a: { type: "string" } } };
    turn = KeyStructuredOutputConfig.set(turn, { name: "answer", schema });
    const { body, betas } = buildClaudeRequest(turn, { model: "m", stream: false });
    expect(body).toMatchObject({
      max_tokens: 300,
      temperature: 0.2,
      top_p: 0.9,
      top_k: 40,
      stop_sequences: ["END"],
      metadata: { user_id: "user-7" },
      output_format: { type: "json_schema", schema },
      stream: false,
    });
    expect(betas).toEqual([ANTHROPIC_STRUCTURED_OUTPUTS_BETA]);
  });

  it("sends a thinking budget and raises max_tokens above it when no maximum was set", () => {
    const turn = KeyInferenceConfig.set(newTurn([newUserTextBlock("hi")]), { thinkingBudget: 2048 });
    const { body } = buildClaudeRequest(turn, { model: "m", stream: true });
    expect(body).toMatchObject({
      thinking: { type: "enabled", budget_tokens: 2048 },
      max_tokens: 2048 + 4096,
    });
    const withOne = KeyInferenceConfig.set(turn, { thinkingBudget: 2048, temperature: 1 });
    expect(buildClaudeRequest(withOne, { model: "m", stream: true }).body.temperature).toBe(1);
  });

  it("enforces the thinking rules with clear caller errors", () => {
    const base = newTurn([newUserTextBlock("hi")]);
    const build = (turn: Turn) => () =>
      buildClaudeRequest(turn, { model: "m", stream: true, tools: [weather] });
    // The temperature may come from the engine defaults: per-field resolution still applies the rule.
    const fromDefaults = () =>
      buildClaudeRequest(KeyInferenceConfig.set(base, { thinkingBudget: 2048 }), {
        model: "m",
        stream: true,
        inference: { temperature: 0.7 },
      });
    expect(fromDefaults).toThrow(CallerError);
    expect(fromDefaults).toThrow(/thinking \(thinkingBudget 2048\) requires temperature 1 or unset, got 0.7/);
    expect(build(KeyInferenceConfig.set(base, { thinkingBudget: 2048, topP: 0.5 }))).toThrow(
      /requires topP between 0.95 and 1 or unset, got 0.5/,
    );
    expect(build(KeyInferenceConfig.set(base, { thinkingBudget: 512 }))).toThrow(
      /below Anthropic's minimum of 1024/,
    );
    expect(build(KeyInferenceConfig.set(base, { thinkingBudget: 2048, maxResponseTokens: 1500 }))).toThrow(
      /must be below maxResponseTokens 1500/,
    );
    expect(
      build(
        KeyClaudeInferenceConfig.set(KeyInferenceConfig.set(base, { thinkingBudget: 2048 }), { topK: 5 }),
      ),
    ).toThrow(/topK cannot be used with thinking/);
    expect(
      build(
        KeyToolConfig.set(KeyInferenceConfig.set(base, { thinkingBudget: 2048 }), { toolChoice: "required" }),
      ),
    ).toThrow(/allows only tool choice auto or none/);
  });

  it("drops reasoning without a signature and other providers' blocks, with warnings", () => {
    const turn = newTurn([
      newUserTextBlock("hi"),
      newReasoningBlock({ itemId: "rs_1", encryptedContent: "gAAAA", summary: ["openai"] }),
      newOtherBlock("openai_responses.web_search_call", { type: "web_search_call" }),
      newAssistantTextBlock("answer"),
    ]);
    const { body, warnings } = buildClaudeRequest(turn, { model: "m", stream: true });
    expect(body.messages).toEqual([
      { role: "user", content: [{ type: "text", text: "hi" }] },
      { role: "assistant", content: [{ type: "text", text: "answer" }] },
    ]);
    expect(warnings).toEqual([
      "turn.blocks[1] (reasoning): reasoning without an Anthropic signature was dropped",
      'turn.blocks[2] (other): block of type "openai_responses.web_search_call" is not sent to Anthropic',
    ]);
  });

  it("drops a signed reasoning block made by another provider (a Gemini thought signature is no Anthropic signature)", () => {
    const gemini = KeyBlockMetaProvider.set(
      newReasoningBlock({ text: "thought", signature: "gemini-sig" }),
      "gemini",
    );
    const own = KeyBlockMetaProvider.set(newReasoningBlock({ text: "mine", signature: "EqQB" }), "anthropic");
    const { body, warnings } = buildClaudeRequest(newTurn([newUserTextBlock("hi"), gemini, own]), {
      model: "m",
      stream: true,
    });
    expect(body.messages[1]!.content).toEqual([{ type: "thinking", thinking: "mine", signature: "EqQB" }]);
    expect(warnings).toEqual(["turn.blocks[1] (reasoning): reasoning from gemini was dropped"]);
  });

  it("names the block of an image without a source", () => {
    const turn = newTurn([newUserMultimodalBlock("x", [{ mediaType: "image/png" }])]);
    expect(() => buildClaudeRequest(turn, { model: "m", stream: true })).toThrow(
      "turn.blocks[0] (user).payload.images[0]: an image needs one of url, data or fileId",
    );
  });
});

describe("Anthropic round trip", () => {
  const server = setupLocalServer();
  const fixture = (name: string) => ({ fixture: fixturePath("anthropic", name) });

  it("thinking with its signature and a tool call survive YAML and go back unchanged", async () => {
    server.enqueue(
      fixture("stream-thinking-signature.chunks.txt"),
      fixture("stream-text-then-tool-use.chunks.txt"),
      fixture("stream-text.chunks.txt"),
    );
    const engine = createClaudeEngine({
      model: "claude-sonnet-4-5",
      apiKey: "key-123456",
      baseURL: server.url,
    });
    const first = await engine.runInference(newTurn([newUserTextBlock("925 / 5?")]), withTools);
    const second = await engine.runInference(
      appendBlock(first, newUserTextBlock("Weather in SF?")),
      withTools,
    );
    const [call] = pendingToolCalls(second);
    const answered = appendBlock(second, newToolUseBlock(call!.payload.id, { temperature: 18 }));
    const reloaded = turnFromYaml(turnToYaml(answered));
    expect(reloaded).toEqual(answered);
    await engine.runInference(reloaded, withTools);

    const thinking = first.blocks.find((block) => block.kind === "reasoning")!.payload as {
      text: string;
      signature: string;
    };
    const body = server.requests[2]!.body as {
      messages: { role: string; content: Record<string, unknown>[] }[];
    };
    expect(body.messages).toEqual([
      { role: "user", content: [{ type: "text", text: "925 / 5?" }] },
      {
        role: "assistant",
        content: [
          { type: "thinking", thinking: thinking.text, signature: thinking.signature },
          { type: "text", text: "925 ÷ 5 = 185" },
        ],
      },
      { role: "user", content: [{ type: "text", text: "Weather in SF?" }] },
      {
        role: "assistant",
        content: [
          { type: "text", text: "Let me check." },
          {
            type: "tool_use",
            id: "toolu_01Ni1uw4HXYxUhc4iFMqx7yY",
            name: "get_weather",
            input: { city: "San Francisco" },
          },
        ],
      },
      {
        role: "user",
        content: [
          {
            type: "tool_result",
            tool_use_id: "toolu_01Ni1uw4HXYxUhc4iFMqx7yY",
            content: '{"temperature":18}',
          },
        ],
      },
    ]);
    expect(thinking.signature).toHaveLength(332);
  });

  it("redacted thinking and web search blocks go back exactly as they came", async () => {
    server.enqueue(
      fixture("stream-redacted-thinking.sse"),
      fixture("stream-web-search-citations.chunks.txt"),
      fixture("stream-text.chunks.txt"),
    );
    const engine = createClaudeEngine({
      model: "claude-sonnet-4-5",
      apiKey: "key-123456",
      baseURL: server.url,
    });
    const first = await engine.runInference(newTurn([newUserTextBlock("trigger")]), RunContext.background());
    const second = await engine.runInference(
      appendBlock(first, newUserTextBlock("news?")),
      RunContext.background(),
    );
    const reloaded = turnFromYaml(turnToYaml(appendBlock(second, newUserTextBlock("thanks"))));
    await engine.runInference(reloaded, RunContext.background());

    const body = server.requests[2]!.body as {
      messages: { role: string; content: Record<string, unknown>[] }[];
    };
    const firstAnswer = body.messages[1]!.content;
    expect(firstAnswer.slice(0, 2).map((part) => [part.type, (part.data as string).length])).toEqual([
      ["redacted_thinking", 744],
      ["redacted_thinking", 296],
    ]);
    const secondAnswer = body.messages[3]!.content;
    expect(secondAnswer[0]).toEqual({
      type: "server_tool_use",
      id: "srvtoolu_01Bj5uzzLcYG5hfueSLcDH8k",
      name: "web_search",
      input: { query: "tech news today September 26 2025" },
    });
    expect(secondAnswer[1]).toMatchObject({
      type: "web_search_tool_result",
      tool_use_id: "srvtoolu_01Bj5uzzLcYG5hfueSLcDH8k",
    });
    expect(body.messages.map((message) => message.role)).toEqual([
      "user",
      "assistant",
      "user",
      "assistant",
      "user",
    ]);
  });
});
