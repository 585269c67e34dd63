/**
 * Every field of every recorded output item survives the round trip recording → Turn → YAML → Turn → request,
 * except the ones documented here (`OUTPUT_ONLY`): one generic test over every Responses recording.
 */
import { readdirSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import {
  KeyOpenAIInferenceConfig as KeyOpenAIConfigForTests,
  type OpenAIInferenceConfig as OpenAIConfigForTests,
} from "../../engine/inference-config.ts";
import type { JsonObject } from "../../turns/json.ts";
import { turnFromYaml, turnToYaml } from "../../turns/serialization.ts";
import { fixturePath, preparedBuilder, replay, setupLocalServer } from "../test-support.ts";
import { createOpenAIResponsesEngine } from "./engine.ts";
import { buildResponsesRequest as buildFromPrepared, type ResponsesRequestOptions } from "./request.ts";

const buildResponsesRequest = preparedBuilder<
  OpenAIConfigForTests,
  ResponsesRequestOptions & { openai?: OpenAIConfigForTests },
  ReturnType<typeof buildFromPrepared>
>(buildFromPrepared, KeyOpenAIConfigForTests, "openai");

const server = setupLocalServer();

/**
 * Fields the API sends in output items that are not sent back, and why:
 * - `status` of messages, reasoning and function calls: output state; the API does not need it in input.
 * - `content[].logprobs` of messages: token probabilities of the answer, not part of the conversation.
 * - an empty `content` list of a reasoning item: nothing to send (`content` goes when there is reasoning text).
 */
const OUTPUT_ONLY: Record<string, string[]> = {
  message: ["status", "content.logprobs"],
  reasoning: ["status"],
  function_call: ["status"],
};

const FOLDER = fixturePath("openai-responses", "");
// Error recordings have no output items; `.session.json` recordings are whole sessions (their own replay test).
const recordings = readdirSync(FOLDER).filter(
  (name) =>
    (name.endsWith(".chunks.txt") || name.endsWith(".json")) &&
    !name.includes("error") &&
    !name.endsWith(".session.json"),
);

function recordedItems(name: string): JsonObject[] {
  const text = readFileSync(`${FOLDER}${name}`, "utf8");
  if (name.endsWith(".json"))
    return ((JSON.parse(text) as { output?: JsonObject[] }).output ?? []) as JsonObject[];
  return text
    .split("\n")
    .filter((line) => line.trim().startsWith("{"))
    .map((line) => JSON.parse(line) as { type?: string; item?: JsonObject })
    .filter((event) => event.type === "response.output_item.done" && event.item)
    .map((event) => event.item!);
}

function withoutOutputOnly(item: JsonObject): JsonObject {
  const skip = OUTPUT_ONLY[String(item.type)] ?? [];
  const copy: JsonObject = { ...item };
  for (const field of skip) {
    if (!field.includes(".")) delete copy[field];
  }
  if (item.type === "reasoning" && Array.isArray(copy.content) && copy.content.length === 0)
    delete copy.content;
  if (Array.isArray(copy.content) && skip.includes("content.logprobs")) {
    copy.content = copy.content.map((part) => {
      const { logprobs: _logprobs, ...rest } = part as JsonObject;
      return rest;
    });
  }
  return copy;
}

describe("Responses recordings round trip into the next request", () => {
  it.each(recordings)("%s: every output item field goes back unless documented", async (name) => {
    const items = recordedItems(name);
    expect(items.length).toBeGreaterThan(0);
    const engine = createOpenAIResponsesEngine({
      model: "gpt-5-mini",
      apiKey: "k",
      baseURL: server.baseURL("openai-responses"),
      stream: name.endsWith(".chunks.txt"),
      env: {},
    });
    const { turn } = await replay(engine, server, { fixture: `${FOLDER}${name}` });
    const reloaded = turnFromYaml(turnToYaml(JSON.parse(JSON.stringify(turn))));
    const { body } = buildResponsesRequest(reloaded, { model: "gpt-5-mini", stream: false });
    const sent = body.input.slice(1) as JsonObject[];
    for (const item of items) {
      const match = sent.find((candidate) =>
        item.id === undefined ? candidate.call_id === item.call_id : candidate.id === item.id,
      );
      expect(match, `${name}: ${String(item.type)} ${String(item.id)} is sent back`).toBeDefined();
      expect(match).toMatchObject(withoutOutputOnly(item));
    }
  });
});
