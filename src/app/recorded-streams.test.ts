/**
 * The typed-object calls over recorded provider streams (fixtures/providers, see its MANIFEST): each provider's
 * real structured-output answer replayed over HTTP by the local provider server, parsed as it streams, validated.
 */
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { fixturePath, setupLocalServer } from "../providers/test-support.ts";
import { generateObject } from "./generate-object.ts";
import type { ModelResolutionOptions } from "./model-id.ts";
import { streamObject } from "./stream-object.ts";

const server = setupLocalServer();

const resolution = (protocol: string): ModelResolutionOptions => ({
  env: {
    XDG_CONFIG_HOME: join(tmpdir(), "geppetto-app-no-config"),
    GEPPETTO_AI_BASE_URL: server.baseURL(protocol),
    GEPPETTO_AI_API_KEY: "test-key",
  },
  cwd: join(tmpdir(), "geppetto-app-no-project"),
});

/** Streams the object; returns the partials (copied as they came) and the validated object. */
async function partialsAndObject<T>(stream: AsyncIterable<unknown> & { object: Promise<T> }) {
  const partials: unknown[] = [];
  for await (const partial of stream) partials.push(structuredClone(partial));
  return { partials, object: await stream.object };
}

const Character = z.object({
  name: z.string(),
  class: z.enum(["warrior", "mage", "thief"]),
  description: z.string(),
});

describe("streamObject over recorded structured-output streams", () => {
  it("OpenAI Chat (openai-python's recording of a json_schema stream)", async () => {
    server.respond({ fixture: fixturePath("openai-chat", "stream-structured-output.sse") });
    const Location = z.object({ city: z.string(), temperature: z.number(), units: z.enum(["c", "f"]) });
    const { partials, object } = await partialsAndObject(
      streamObject({
        model: "openai:gpt-4o-2024-08-06",
        schema: Location,
        prompt: "What's the weather like in SF?",
        resolution: resolution("openai-chat"),
      }),
    );
    expect(object).toEqual({ city: "San Francisco", temperature: 61, units: "f" });
    expect(partials).toContainEqual({ city: "San" });
    expect(partials.at(-1)).toEqual(object);
  });

  it("OpenAI Responses text.format json_schema (SwiftAgent's recording of a streamed answer)", async () => {
    const Forecast = z.object({ temperatureCelsius: z.number(), condition: z.string() });
    server.respond({ fixture: fixturePath("openai-responses", "stream-structured-output.sse") });
    const stream = streamObject({
      model: "openai-responses:gpt-5-mini",
      schema: Forecast,
      schemaName: "weather_forecast",
      prompt: "Provide the latest weather update.",
      resolution: resolution("openai-responses"),
    });
    const { partials, object } = await partialsAndObject(stream);
    expect(object).toEqual({ temperatureCelsius: 22, condition: "Partly Cloudy" });
    expect(partials).toContainEqual({ temperatureCelsius: 22, condition: "Part" });
    expect(partials.at(-1)).toEqual(object);
    expect((await stream.result).usage).toMatchObject({ inputTokens: 72, outputTokens: 25 });
    expect(server.requests[0]!.body).toMatchObject({
      stream: true,
      text: { format: { type: "json_schema", name: "weather_forecast", strict: true } },
    });
    // The same recording through generateObject (one validated object, no partials).
    server.respond({ fixture: fixturePath("openai-responses", "stream-structured-output.sse") });
    const generated = await generateObject({
      model: "openai-responses:gpt-5-mini",
      schema: Forecast,
      prompt: "Provide the latest weather update.",
      resolution: resolution("openai-responses"),
    });
    expect(generated.object).toEqual(object);
  });

  it("Anthropic output_format (vercel/ai's recording): the characters arrive one by one", async () => {
    server.respond({ fixture: fixturePath("anthropic", "stream-structured-output.chunks.txt") });
    const stream = streamObject({
      model: "anthropic:claude-sonnet-4-5-20250929",
      schema: z.object({ characters: z.array(Character) }),
      prompt: "Three fantasy characters",
      resolution: resolution("anthropic"),
    });
    const { partials, object } = await partialsAndObject(stream);
    expect(object.characters.map((character) => [character.name, character.class])).toEqual([
      ["Theron Ironheart", "warrior"],
      ["Lyra Starweaver", "mage"],
      ["Rook Shadowstep", "thief"],
    ]);
    expect(partials).toContainEqual({ characters: [{ name: "Th" }] });
    const counts = partials.map((partial) => (partial as { characters?: unknown[] }).characters?.length ?? 0);
    expect(counts).toEqual([...counts].sort((left, right) => left - right));
    expect((await stream.result).usage).toMatchObject({ inputTokens: 313, outputTokens: 305 });
  });

  it('Anthropic in mode "tool" with output "array" (vercel/ai\'s recording of a forced json tool call)', async () => {
    server.respond({ fixture: fixturePath("anthropic", "stream-structured-output-tool.chunks.txt") });
    const stream = streamObject({
      model: "anthropic:claude-haiku-4-5-20251001",
      schema: z.object({ location: z.string(), temperature: z.number(), condition: z.string() }),
      schemaName: "json",
      mode: "tool",
      output: "array",
      prompt: "The weather",
      resolution: resolution("anthropic"),
    });
    const elements: unknown[] = [];
    for await (const element of stream.elements()) elements.push(element);
    expect(elements).toEqual([{ location: "San Francisco", temperature: 58, condition: "sunny" }]);
    expect(await stream.object).toEqual(elements);
    expect(server.requests[0]!.body).toMatchObject({ tool_choice: { type: "tool", name: "json" } });
  });

  it("Gemini responseJsonSchema (langchaingo's recording of a streamed answer)", async () => {
    server.respond({ fixture: fixturePath("gemini", "stream-structured-output.sse") });
    const { partials, object } = await partialsAndObject(
      streamObject({
        model: "gemini:gemini-2.5-flash",
        schema: z.object({ country: z.string(), capital: z.string() }),
        prompt: "What is the capital of Japan?",
        resolution: resolution("gemini"),
      }),
    );
    expect(object).toEqual({ capital: "Tokyo", country: "Japan" });
    expect(partials[0]).toEqual({ capital: "Tokyo" });
  });

  it("Ollama format (langchaingo's recording of a local gemma3 answer)", async () => {
    server.respond({ fixture: fixturePath("ollama", "chat-stream-json-schema.jsonl") });
    const stream = streamObject({
      model: "ollama:gemma3:1b",
      schema: z.object({ feet: z.number() }),
      prompt: "How many feet are in a nautical mile? Respond with JSON containing the answer.",
      resolution: resolution("ollama"),
    });
    const { partials, object } = await partialsAndObject(stream);
    expect(object).toEqual({ feet: 6076 });
    expect(partials.at(-1)).toEqual({ feet: 6076 });
    expect(server.requests[0]!.body).toMatchObject({ model: "gemma3:1b", format: { type: "object" } });
  });
});
