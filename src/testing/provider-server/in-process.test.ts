/**
 * The provider server in process (`inProcess: true`): no port is opened, and `server.fetch` reaches it over HTTP/1.1
 * on an in-memory connection, with the same bytes, recorded requests and engine results as over TCP.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { CollectingSink, RunContext } from "../../events/context.ts";
import { createOpenAIChatEngine } from "../../providers/openai/engine.ts";
import { providerFixturesRoot } from "../../providers/test-support.ts";
import { newTurn, newUserTextBlock } from "../../turns/builders.ts";
import { startProviderServer } from "./server.ts";

const RECORDING = join(fileURLToPath(providerFixturesRoot()), "openai-chat/stream-tool-call.sse");
const inProcess = await startProviderServer({ inProcess: true, response: { fixture: RECORDING } });
const overTcp = await startProviderServer({ response: { fixture: RECORDING } });
afterAll(() => Promise.all([inProcess.close(), overTcp.close()]));

describe("provider server in process", () => {
  it("opens no port and names a URL that cannot resolve", () => {
    expect(inProcess.port).toBe(0);
    expect(inProcess.url).toBe("http://in-process.invalid");
    expect(inProcess.baseURL()).toBe("http://in-process.invalid/v1");
  });

  it("replays a recording byte for byte through server.fetch and records the request", async () => {
    const response = await inProcess.fetch(`${inProcess.baseURL()}/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: "Bearer k" },
      body: JSON.stringify({ model: "m", stream: true, messages: [] }),
    });
    expect(response.headers.get("content-type")).toBe("text/event-stream");
    expect(await response.text()).toBe(readFileSync(RECORDING, "utf8"));
    expect(inProcess.requests.at(-1)).toMatchObject({
      protocol: "openai-chat",
      method: "POST",
      path: "/v1/chat/completions",
      headers: { authorization: "Bearer k", host: "in-process.invalid" },
      body: { model: "m", stream: true, messages: [] },
    });
  });

  it("gives the OpenAI Chat engine the same blocks and events as the server over TCP", async () => {
    const run = async (server: typeof inProcess) => {
      const engine = createOpenAIChatEngine({
        model: "m",
        apiKey: "k",
        baseURL: server.baseURL(),
        env: {},
        fetch: server.fetch,
      });
      const sink = new CollectingSink();
      const turn = await engine.runInference(
        newTurn([newUserTextBlock("Hi")]),
        RunContext.background().withSinks(sink),
      );
      return {
        blocks: turn.blocks.map((block) => ({ kind: block.kind, payload: block.payload })),
        events: sink.events.map((event) => event.type),
        body: server.requests.at(-1)?.body,
      };
    };
    const [memory, tcp] = [await run(inProcess), await run(overTcp)];
    expect(memory).toEqual(tcp);
    expect(memory.blocks.map((block) => block.kind)).toContain("tool_call");
  });

  it("serves concurrent requests on their own connections, in the queue's order", async () => {
    inProcess.enqueue({ script: { text: "first" } }, { script: { text: "second" } });
    const ask = () =>
      inProcess.fetch(`${inProcess.baseURL()}/chat/completions`, {
        method: "POST",
        body: '{"stream":false}',
      });
    const answers = await Promise.all([ask(), ask()].map(async (pending) => (await pending).json()));
    const texts = answers.map(
      (answer) => (answer as { choices: { message: { content: string } }[] }).choices[0]?.message.content,
    );
    expect(texts).toEqual(["first", "second"]);
  });

  it("close drops a stalled response: its reader errors", async () => {
    const stalled = await startProviderServer({
      inProcess: true,
      response: { script: { text: "x" }, faults: { stallAfterBytes: 10 } },
    });
    const response = await stalled.fetch(`${stalled.baseURL()}/chat/completions`, {
      method: "POST",
      body: '{"stream":true}',
    });
    const reader = response.body!.getReader();
    await reader.read();
    await stalled.close();
    await expect(reader.read()).rejects.toThrow();
  });
});
