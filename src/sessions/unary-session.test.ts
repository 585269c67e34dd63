/**
 * UnarySession over real HTTP (the OpenAI chat engine against the local provider server) and over the
 * ScriptedEngine (tool loop, streaming, cancellation).
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { createOpenAIChatEngine } from "../providers/openai/engine.ts";
import { EngineBuilder } from "../session/engine-builder.ts";
import { withCost } from "../settings/cost.ts";
import { type ProviderServer, startProviderServer } from "../testing/provider-server/index.ts";
import { ScriptedEngine, script } from "../testing/scripted-engine.ts";
import { defineTool } from "../tools/define-tool.ts";
import { ToolRegistry } from "../tools/registry.ts";
import { FileStateStore } from "./file-state-store.ts";
import { MemoryStateStore } from "./state-store.ts";
import { UnarySession } from "./unary-session.ts";

let server: ProviderServer;
beforeAll(async () => {
  server = await startProviderServer();
});
afterAll(() => server.close());

function openaiEngine() {
  const engine = createOpenAIChatEngine({
    model: "gpt-4o-mini",
    apiKey: "sk-test-unary-session",
    baseURL: server.baseURL("openai-chat"),
    client: { maxRetries: 0 },
  });
  return withCost(engine, { inputPerMillion: 1, outputPerMillion: 2 });
}

function lastBody(): { messages: { role: string; content: unknown }[] } {
  return server.requests.at(-1)!.body as { messages: { role: string; content: unknown }[] };
}

describe("UnarySession over the local provider server", () => {
  it("executes with the rendered system prompt, returns text, usage and cost, and saves the conversation", async () => {
    const store = new MemoryStateStore();
    const session = await UnarySession.open({
      engine: openaiEngine(),
      stateStore: store,
      conversationId: "c1",
      userId: "u1",
      systemPrompt: "You help {{user}}.",
      variables: { user: "Ada" },
    });
    server.enqueue({ script: { text: "Hello Ada.", usage: { inputTokens: 10, outputTokens: 3 } } });
    const answer = await session.execute("user", "Hi!");
    expect(answer.text).toBe("Hello Ada.");
    expect(answer.usage).toMatchObject({ inputTokens: 10, outputTokens: 3 });
    expect(answer.cost?.total).toBeCloseTo((10 * 1 + 3 * 2) / 1_000_000, 12);
    expect(answer.result.finishClass).toBe("completed");
    expect(lastBody().messages[0]).toEqual({ role: "system", content: "You help Ada." });

    session.setVar("user", "Grace");
    expect(session.getVar("user")).toBe("Grace");
    server.enqueue({ script: { text: "Hello Grace." } });
    await session.execute("user", "Again");
    expect(lastBody().messages.map((message) => message.role)).toEqual([
      "system",
      "user",
      "assistant",
      "user",
    ]);
    expect(lastBody().messages[0]).toEqual({ role: "system", content: "You help Grace." });

    const saved = await store.load("c1");
    expect(saved?.userId).toBe("u1");
    expect(saved?.variables).toEqual({ user: "Grace" });
    expect((await session.messages()).map((message) => [message.role, message.content])).toEqual([
      ["system", "You help Grace."],
      ["user", "Hi!"],
      ["assistant", "Hello Ada."],
      ["user", "Again"],
      ["assistant", "Hello Grace."],
    ]);
  });

  it("rejects an unknown variable before sending anything, naming it, and keeps the stored conversation", async () => {
    const store = new MemoryStateStore();
    const session = await UnarySession.open({
      engine: openaiEngine(),
      stateStore: store,
      systemPrompt: "Hi {{name}}",
    });
    session.setVar("name", "Ada");
    server.enqueue({ script: { text: "ok" } });
    await session.execute("user", "first");
    const before = await store.load(session.id);
    const requests = server.requests.length;
    const fresh = await UnarySession.open({
      engine: openaiEngine(),
      stateStore: store,
      conversationId: session.id,
      systemPrompt: "Hi {{nmae}}",
    });
    await expect(fresh.execute("user", "second")).rejects.toMatchObject({
      code: "unknown_variable",
      message: expect.stringContaining(
        "unknown variable {{nmae}} in the system prompt (known variables: name)",
      ),
    });
    expect(server.requests.length).toBe(requests);
    expect(await store.load(session.id)).toEqual(before);
    expect(() => session.render("{{missing}}", "my template")).toThrow(/\{\{missing\}\} in my template/);
  });

  it("sends image attachments on the wire and keeps audio and file attachments in the messages", async () => {
    const session = await UnarySession.open({ engine: openaiEngine() });
    server.enqueue({ script: { text: "A red dot." } });
    await session.executeWithMessage({
      role: "user",
      content: "What is this?",
      attachments: [
        { kind: "image", mediaType: "image/png", data: "iVBORw0KGgo=" },
        { kind: "audio", mediaType: "audio/wav", data: "UklGRg==" },
        { kind: "file", mediaType: "application/pdf", url: "https://example.com/a.pdf", name: "a.pdf" },
      ],
    });
    const content = lastBody().messages.at(-1)!.content as { type: string; image_url?: { url: string } }[];
    expect(content.find((part) => part.type === "image_url")?.image_url?.url).toBe(
      "data:image/png;base64,iVBORw0KGgo=",
    );
    const user = (await session.messages()).find((message) => message.role === "user");
    expect(user?.attachments?.map((attachment) => attachment.kind)).toEqual(["image", "audio", "file"]);
    await expect(
      session.executeWithMessage({
        role: "user",
        content: "x",
        attachments: [{ kind: "image", mediaType: "image/png" }],
      }),
    ).rejects.toThrow("attachment 0 (image): give exactly one of data, url or fileId");
    await expect(session.execute("assistant", "I answer myself")).rejects.toMatchObject({
      code: "invalid_role",
    });
  });

  it("continues a conversation saved in a file by another session object", async () => {
    const directory = await mkdtemp(join(tmpdir(), "geppetto-unary-"));
    try {
      const first = await UnarySession.open({
        engine: openaiEngine(),
        stateStore: new FileStateStore(directory),
      });
      server.enqueue({ script: { text: "Paris." } });
      await first.execute("user", "Capital of France?");
      const second = await UnarySession.open({
        engine: openaiEngine(),
        stateStore: new FileStateStore(directory),
        conversationId: first.id,
      });
      server.enqueue({ script: { text: "About 2 million." } });
      await second.execute("user", "Population?");
      expect(lastBody().messages.map((message) => message.content)).toEqual([
        "Capital of France?",
        "Paris.",
        "Population?",
      ]);
    } finally {
      await rm(directory, { recursive: true, force: true });
    }
  });
});

describe("UnarySession over the ScriptedEngine", () => {
  it("runs the tool loop and lists tool calls and results as messages, with usage over every inference", async () => {
    const engine = new ScriptedEngine([
      [
        script.toolCall("add", { a: 2, b: 3 }, { id: "call_1" }),
        script.usage({ inputTokens: 5, outputTokens: 2 }),
        script.stop("tool_calls"),
      ],
      [...script.text("It is 5."), script.usage({ inputTokens: 9, outputTokens: 4 }), script.stop("stop")],
    ]);
    const registry = new ToolRegistry().register(
      defineTool({
        name: "add",
        description: "Adds two numbers",
        input: z.object({ a: z.number(), b: z.number() }),
        execute: ({ a, b }) => a + b,
      }),
    );
    const session = await UnarySession.open({ engine: new EngineBuilder({ base: engine, registry }) });
    const answer = await session.execute("user", "2 + 3?");
    expect(answer.text).toBe("It is 5.");
    expect(answer.usage).toMatchObject({ inputTokens: 14, outputTokens: 6 });
    expect(await session.messages()).toMatchObject([
      { role: "user", content: "2 + 3?" },
      { role: "assistant", content: "", toolCalls: [{ id: "call_1", name: "add", args: { a: 2, b: 3 } }] },
      { role: "tool", toolCallId: "call_1", toolName: "add", toolResult: 5, content: "5" },
      { role: "assistant", content: "It is 5." },
    ]);
  });

  it("streams chunks and saves the answered conversation when the stream ends", async () => {
    const store = new MemoryStateStore();
    const session = await UnarySession.open({
      engine: new ScriptedEngine([script.text("one two three")]),
      stateStore: store,
    });
    const pieces: string[] = [];
    for await (const piece of session.executeStream("user", "count").text()) pieces.push(piece);
    expect(pieces).toEqual(["one ", "two ", "three"]);
    await session.saved();
    expect((await store.load(session.id))?.turn.blocks.map((block) => block.kind)).toEqual([
      "user",
      "llm_text",
    ]);
  });

  it("keeps and saves the partial answer of a cancelled stream", async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const store = new MemoryStateStore();
    const session = await UnarySession.open({
      engine: new ScriptedEngine([
        [
          { type: "text", text: "partial " },
          { type: "pause", until: gate },
          { type: "text", text: "never" },
        ],
      ]),
      stateStore: store,
    });
    const stream = session.executeStream("user", "go");
    for await (const event of stream) if (event.type === "partial") stream.cancel();
    release();
    const { result } = await stream.result;
    expect(result.finishClass).toBe("interrupted");
    await session.saved();
    const saved = (await store.load(session.id))!.turn.blocks;
    expect(saved.at(-1)).toMatchObject({ kind: "llm_text", payload: { text: "partial " } });
  });

  it("forks cheaply: the fork shares the blocks so far, then the two diverge", async () => {
    const store = new MemoryStateStore();
    const engine = new ScriptedEngine((turn) => script.text(`answer ${turn.blocks.length}`), {
      repeatLast: true,
    });
    const session = await UnarySession.open({ engine, stateStore: store, variables: { mood: "calm" } });
    await session.execute("user", "first");
    const fork = await session.fork("branch");
    expect(fork.id).toBe("branch");
    expect(fork.getVar("mood")).toBe("calm");
    expect((await store.load("branch"))!.turn.blocks[0]).toBe((await store.load(session.id))!.turn.blocks[0]);
    await fork.execute("user", "only in the fork");
    await session.execute("user", "only in the original");
    expect((await fork.messages()).map((message) => message.content)).toEqual([
      "first",
      "answer 1",
      "only in the fork",
      "answer 3",
    ]);
    expect((await session.messages()).map((message) => message.content)).toContain("only in the original");
    expect((await session.messages()).map((message) => message.content)).not.toContain("only in the fork");
    await expect(session.fork("branch")).rejects.toMatchObject({ code: "session_exists" });
  });

  it("clears the conversation but keeps the variables, in memory and in the store", async () => {
    const store = new MemoryStateStore();
    const engine = new ScriptedEngine((turn) => script.text(`seen ${turn.blocks.length}`), {
      repeatLast: true,
    });
    const session = await UnarySession.open({ engine, stateStore: store, variables: { a: "1" } });
    await session.execute("user", "hello");
    await session.clear();
    expect(await session.messages()).toEqual([]);
    expect((await store.load(session.id))?.turn.blocks).toEqual([]);
    expect((await store.load(session.id))?.variables).toEqual({ a: "1" });
    expect((await session.execute("user", "again")).text).toBe("seen 1");
  });
});
