/**
 * Strict mode and optional parameters, on both OpenAI engines that send tools in strict mode (Responses by
 * default, Chat with `strictTools`): the model answers `null` for an optional argument it leaves out, and the
 * call reaches the Turn without it (streamed and whole), while the wire carries the strict schema.
 */
import { describe, expect, it } from "vitest";
import type { Engine } from "../engine/engine.ts";
import { type ToolCatalog, ToolCatalogKey, type ToolDescription } from "../engine/tools.ts";
import { RunContext } from "../events/context.ts";
import { createOpenAIChatEngine } from "../providers/openai/engine.ts";
import { createOpenAIResponsesEngine } from "../providers/openai-responses/engine.ts";
import { setupLocalServer } from "../providers/test-support.ts";
import type { ProviderServer } from "../testing/provider-server/index.ts";
import { newTurn, newUserTextBlock, pendingToolCalls } from "../turns/builders.ts";
import { dropStrictNulls } from "./strict-nulls.ts";

const server = setupLocalServer();

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

type Maker = (server: ProviderServer, stream: boolean) => Engine;
const engines: [string, Maker, (body: unknown) => unknown][] = [
  [
    "OpenAI Chat with strictTools",
    (local, stream) =>
      createOpenAIChatEngine({
        model: "gpt-4o-mini",
        apiKey: "k",
        baseURL: local.baseURL("openai-chat"),
        strictTools: true,
        stream,
        env: {},
      }),
    (body) => (body as { tools: { function: { parameters: unknown } }[] }).tools[0]?.function.parameters,
  ],
  [
    "OpenAI Responses",
    (local, stream) =>
      createOpenAIResponsesEngine({
        model: "gpt-5-mini",
        apiKey: "k",
        baseURL: local.baseURL("openai-responses"),
        stream,
        env: {},
      }),
    (body) => (body as { tools: { parameters: unknown }[] }).tools[0]?.parameters,
  ],
];

describe.each(engines)("%s: null for an optional argument is read as absent", (_name, make, schemaOf) => {
  it.each([true, false])("streamed: %s", async (stream) => {
    server.respond({
      script: { toolCalls: [{ id: "call_1", name: "get_weather", arguments: { city: "Oslo", unit: null } }] },
    });
    const out = await make(server, stream).runInference(
      newTurn([newUserTextBlock("Weather in Oslo?")]),
      RunContext.background().with(ToolCatalogKey, catalog),
    );
    expect(pendingToolCalls(out).map((call) => call.payload.args)).toEqual([{ city: "Oslo" }]);
    expect(schemaOf(server.requests.at(-1)?.body)).toEqual(strict.parameters);
  });
});

describe("dropStrictNulls", () => {
  it("keeps a null the original schema allows, and nulls of unknown or required properties", () => {
    const schema = {
      type: "object",
      properties: { a: { type: ["string", "null"] }, b: { type: "string" } },
      required: ["a"],
    };
    expect(dropStrictNulls({ a: null, b: null, c: null }, schema)).toEqual({ a: null, c: null });
  });
});
