/**
 * Switching provider mid-conversation: a Turn made by one engine continues on another, over real HTTP against
 * the local provider server, for every ordered pair of the registry's providers and along the cycle
 * openai → anthropic → gemini → ollama → openai-responses → openai.
 *
 * The policy every request builder follows (see `README.md`, "Switching provider mid-conversation"):
 * - Reasoning is replayed only to the provider that made it (block metadata `geppetto.provider@v1`), in that
 *   provider's form. Reasoning from another provider is dropped — never converted to text — and each dropped
 *   block is reported as a `log` event of level `warn` naming the block and its provider. OpenAI Chat never sends
 *   reasoning (it has no field for it): its own silently, another provider's with the warning.
 * - Provider-only data never crosses: signatures, encrypted content, reasoning/message/function-call item ids and
 *   provider-given call ids stay with their provider (they are block metadata or payload fields the others
 *   ignore). `other` blocks of another provider are dropped with a warning.
 * - Text, tool calls and tool results are kept. Tool call ids are never rewritten: engines whose wire carries
 *   ids (OpenAI Chat, OpenAI Responses, Anthropic) send the original id on the call and its result; Gemini and
 *   Ollama pair calls and results by name and order on the wire and keep the ids in the Turn.
 */
import { describe, expect, it } from "vitest";
import { ToolCatalogKey } from "../engine/tools.ts";
import { CollectingSink, RunContext } from "../events/context.ts";
import { GEMINI_LOCAL_SIGNATURE } from "../testing/provider-server/gemini.ts";
import {
  appendBlock,
  newToolUseBlock,
  newTurn,
  newUserTextBlock,
  pendingToolCalls,
} from "../turns/builders.ts";
import { KeyBlockMetaProvider } from "../turns/keys.ts";
import type { ReasoningBlock, ToolCallBlock, Turn } from "../turns/types.ts";
import { contractCatalog, contractEngines, type EngineAdapter, requestBody } from "./contract/engines.ts";
import { FOREIGN_CALL_SIGNATURE } from "./gemini/request.ts";
import { setupLocalServer } from "./test-support.ts";

/** What the local server puts in its scripted answers that only the provider that made it may receive. */
const PROVIDER_ONLY = [
  "local-signature", // Anthropic thinking signature
  GEMINI_LOCAL_SIGNATURE, // Gemini thought signature
  "local-encrypted-reasoning", // OpenAI Responses encrypted content
  "rs_local", // OpenAI Responses reasoning item id
  "msg_local", // OpenAI Responses message item id, Anthropic message id
  "fc_local", // OpenAI Responses function call item id
];

const server = setupLocalServer();
/** Every provider of the registry. */
const ENGINES = await contractEngines();

const context = (sink: CollectingSink) =>
  RunContext.background().with(ToolCatalogKey, contractCatalog).withSinks(sink);

/** Runs `engine` on `turn` answering with reasoning, text and one get_weather call, then adds the result. */
async function toolStep(adapter: EngineAdapter, turn: Turn, step: number): Promise<Turn> {
  server.respond({
    script: {
      reasoning: `Reasoning ${step} by ${adapter.name}.`,
      text: `Checking step ${step}.`,
      toolCalls: [{ id: `call_step_${step}`, name: "get_weather", arguments: { city: `City ${step}` } }],
    },
  });
  const out = await adapter.create(server).runInference(turn, context(new CollectingSink()));
  const [call] = pendingToolCalls(out);
  if (!call) throw new Error(`${adapter.name} made no tool call at step ${step}`);
  return appendBlock(out, newToolUseBlock(call.payload.id, { sky: `clear ${step}` }));
}

/** Continues `turn` on `target` and checks the request against the policy; returns the continued Turn. */
async function continueOn(target: EngineAdapter, turn: Turn, answer: string): Promise<Turn> {
  server.respond({ script: { text: answer } });
  const sink = new CollectingSink();
  const out = await target.create(server).runInference(turn, context(sink));
  const body = requestBody(server);
  const wire = JSON.stringify(body);
  const view = target.read(body);

  // No reasoning of another provider, in any form, and no provider-only data.
  const foreign = turn.blocks.filter(
    (block): block is ReasoningBlock =>
      block.kind === "reasoning" && KeyBlockMetaProvider.get(block) !== target.provider,
  );
  for (const block of foreign) {
    expect(block.payload.text).toBeTruthy();
    expect(wire).not.toContain(block.payload.text);
  }
  for (const secret of PROVIDER_ONLY) expect(wire).not.toContain(secret);
  if (target.sendsReasoningBack) {
    const own = turn.blocks.filter(
      (block) => block.kind === "reasoning" && KeyBlockMetaProvider.get(block) === target.provider,
    );
    expect(view.reasoning).toHaveLength(own.length);
  } else expect(view.reasoning).toEqual([]);

  // Each dropped reasoning block was reported as a warning naming its provider.
  const warnings = sink
    .ofType("log")
    .filter((event) => event.level === "warn")
    .map((event) => event.message);
  const aboutReasoning = warnings.filter((message) => message.includes("reasoning"));
  expect(aboutReasoning).toHaveLength(foreign.length);
  foreign.forEach((block, index) => {
    const position = turn.blocks.indexOf(block);
    expect(aboutReasoning[index]).toMatch(new RegExp(`\\[${position}\\]|block ${position} `));
    expect(aboutReasoning[index]).toContain(`from ${KeyBlockMetaProvider.get(block)}`);
  });

  // Text, calls and results kept; ids unchanged in the Turn and on the wire where the wire carries them.
  for (const block of turn.blocks)
    if (block.kind === "llm_text") expect(view.assistantText).toContain(block.payload.text);
  const calls = turn.blocks.filter((block): block is ToolCallBlock => block.kind === "tool_call");
  expect(view.toolCalls).toEqual(calls.map(target.expectedCall));
  const results = turn.blocks.filter((block) => block.kind === "tool_use");
  expect(view.toolResults).toEqual(
    calls.map((call, index) => ({ ...target.expectedResult(call), output: results[index]?.payload.result })),
  );
  const outCalls = out.blocks.filter((block) => block.kind === "tool_call").map((block) => block.payload.id);
  expect(outCalls).toEqual(calls.map((call) => call.payload.id));
  expect(out.blocks.at(-1)).toMatchObject({ kind: "llm_text", payload: { text: answer } });
  return out;
}

const PAIRS = ENGINES.flatMap((source) =>
  ENGINES.filter((target) => target !== source).map((target) => ({ source, target })),
);

describe("provider switch: every ordered pair", () => {
  it.each(PAIRS.map(({ source, target }) => [source.name, target.name, source, target] as const))(
    "%s → %s drops the reasoning with a warning and keeps text, calls, results and ids",
    async (_from, _to, source, target) => {
      const first = await toolStep(source, newTurn([newUserTextBlock("Weather in City 1?")]), 1);
      await continueOn(target, first, "Clear skies.");
    },
  );
});

describe("provider switch: the cycle over all five engines", () => {
  it("openai → anthropic → gemini → ollama → openai-responses → openai keeps the whole conversation", async () => {
    const byName = new Map(ENGINES.map((adapter) => [adapter.name, adapter] as const));
    const cycle = ["openai", "anthropic", "gemini", "ollama", "openai-responses"].map((name) => {
      const adapter = byName.get(name);
      if (!adapter) throw new Error(`no engine ${name}`);
      return adapter;
    });
    let turn = newTurn([newUserTextBlock("Weather in City 1?")]);
    for (const [index, adapter] of cycle.entries()) {
      if (index > 0)
        turn = appendBlock(await continueOn(adapter, turn, `Hop ${index}.`), newUserTextBlock("And next?"));
      turn = await toolStep(adapter, turn, index + 1);
    }
    const back = byName.get("openai");
    if (!back) throw new Error("no engine openai");
    const out = await continueOn(back, turn, "Done.");
    expect(out.blocks.filter((block) => block.kind === "tool_call").map((block) => block.payload.id)).toEqual(
      ["call_step_1", "call_step_2", expect.stringMatching(/^gemini_/), "call_step_4", "call_step_5"],
    );
  });
});

describe("provider switch: Gemini 3 and calls made elsewhere", () => {
  it("sends Google's placeholder signature on a call another provider made, never the foreign signature", async () => {
    const anthropic = ENGINES.find((adapter) => adapter.name === "anthropic");
    const gemini = ENGINES.find((adapter) => adapter.name === "gemini");
    if (!anthropic || !gemini) throw new Error("missing engines");
    const turn = await toolStep(anthropic, newTurn([newUserTextBlock("Weather in City 1?")]), 1);
    server.respond({ script: { text: "Clear." } });
    await gemini
      .create(server, { model: "gemini-3-pro-preview" })
      .runInference(turn, context(new CollectingSink()));
    const contents = (
      requestBody(server) as { contents: { role: string; parts: Record<string, unknown>[] }[] }
    ).contents;
    const call = contents.flatMap((content) => content.parts).find((part) => part.functionCall !== undefined);
    expect(call).toEqual({
      functionCall: { name: "get_weather", args: { city: "City 1" } },
      thoughtSignature: FOREIGN_CALL_SIGNATURE,
    });
    expect(JSON.stringify(contents)).not.toContain("local-signature");
  });
});
