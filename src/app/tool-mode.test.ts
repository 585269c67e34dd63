import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { setupLocalServer } from "../providers/test-support.ts";
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

const Person = z.object({ name: z.string(), age: z.number().int() });

const PROVIDERS = [
  { id: "openai:gpt-4o-mini", protocol: "openai-chat" },
  { id: "openai-responses:gpt-4o-mini", protocol: "openai-responses" },
  { id: "anthropic:claude-sonnet-4-20250514", protocol: "anthropic" },
  { id: "gemini:gemini-2.5-flash", protocol: "gemini" },
  { id: "ollama:llama3.2", protocol: "ollama" },
];

describe('generateObject mode "tool" (a forced tool call)', () => {
  it.each(PROVIDERS)(
    "$id: offers the schema as the one tool and reads the answer from its arguments",
    async (provider) => {
      server.respond({
        script: {
          toolCalls: [{ id: "call_1", name: "person", arguments: { name: "Ada", age: 36 }, chunks: 4 }],
        },
      });
      const out = await generateObject({
        model: provider.id,
        schema: Person,
        schemaName: "person",
        mode: "tool",
        prompt: "Invent a person",
        resolution: resolution(provider.protocol),
      });
      expect(out.object).toEqual({ name: "Ada", age: 36 });
      const body = JSON.stringify(server.requests[0]!.body);
      expect(body).toContain('"person"');
      expect(body).toContain('"age"');
      expect(body).not.toMatch(/response_format|output_format|responseJsonSchema|"format"/);
      // The call is answered, so the Turn can be continued on any provider; the forced choice is gone.
      const call = out.turn.blocks.find((block) => block.kind === "tool_call");
      expect(out.turn.blocks.at(-1)).toMatchObject({
        kind: "tool_use",
        payload: { id: call?.kind === "tool_call" ? call.payload.id : "missing", result: "received" },
      });
      expect(out.turn.data["geppetto.tool_config@v1"]).toBeUndefined();
    },
  );

  it("sends the issues back as the call's error result and takes the repaired call", async () => {
    server.enqueue(
      { script: { toolCalls: [{ id: "call_1", name: "person", arguments: { name: "Ada", age: "old" } }] } },
      { script: { toolCalls: [{ id: "call_2", name: "person", arguments: { name: "Ada", age: 36 } }] } },
    );
    const out = await generateObject({
      model: "anthropic:claude-sonnet-4-20250514",
      schema: Person,
      schemaName: "person",
      mode: "tool",
      prompt: "Invent a person",
      resolution: resolution("anthropic"),
    });
    expect(out.object).toEqual({ name: "Ada", age: 36 });
    expect(out.failedAttempts).toEqual([
      { text: '{"name":"Ada","age":"old"}', issues: [expect.objectContaining({ path: "$.age" })] },
    ]);
    const second = JSON.stringify(server.requests[1]!.body);
    expect(second).toContain("tool_result");
    expect(second).toContain("$.age");
  });

  it("streamObject in tool mode streams partials from the call's arguments", async () => {
    server.respond({
      script: {
        toolCalls: [
          { id: "call_1", name: "person", arguments: { name: "Ada Lovelace", age: 36 }, chunks: 8 },
        ],
      },
    });
    const stream = streamObject({
      model: "openai:gpt-4o-mini",
      schema: Person,
      schemaName: "person",
      mode: "tool",
      prompt: "Invent a person",
      resolution: resolution("openai-chat"),
    });
    const names: (string | undefined)[] = [];
    for await (const partial of stream) names.push(partial.name);
    expect(names.length).toBeGreaterThan(1);
    expect(names.at(-1)).toBe("Ada Lovelace");
    expect(await stream.object).toEqual({ name: "Ada Lovelace", age: 36 });
  });
});
