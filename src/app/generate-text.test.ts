import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { GeppettoError } from "../engine/errors.ts";
import { CollectingSink } from "../events/context.ts";
import { registerProvider } from "../provider-kit/registry.ts";
import { openAICompatibleProfile, openAICompatibleProvider } from "../providers/openai/descriptor.ts";
import { setupLocalServer } from "../providers/test-support.ts";
import { longText } from "../testing/provider-server/script.ts";
import { calculatorTool } from "../tools/demo.ts";
import { generateText, streamText } from "./generate-text.ts";
import { GuardrailTrippedError } from "./guardrails.ts";
import { type ModelResolutionOptions, resolveModel } from "./model-id.ts";

const server = setupLocalServer();
const folder = mkdtempSync(join(tmpdir(), "geppetto-app-"));
afterAll(() => rmSync(folder, { recursive: true, force: true }));

/** Settings come from this environment only: no user files, the local server as every provider's endpoint. */
const resolution = (): ModelResolutionOptions => ({
  env: {
    XDG_CONFIG_HOME: join(folder, "no-config"),
    GEPPETTO_AI_BASE_URL: server.baseURL("openai-chat"),
    GEPPETTO_AI_API_KEY: "test-key",
  },
  cwd: join(folder, "no-project"),
});

async function errorOf(run: () => Promise<unknown>): Promise<GeppettoError> {
  try {
    await run();
  } catch (error) {
    if (GeppettoError.is(error)) return error;
    throw error;
  }
  throw new Error("expected an error");
}

describe("generateText", () => {
  it("answers a prompt from a provider:model id in one call, with usage and steps", async () => {
    server.respond({ script: { text: "Hello there.", usage: { inputTokens: 7, outputTokens: 3 } } });
    const out = await generateText({
      model: "openai:gpt-4o-mini",
      prompt: "Say hello",
      resolution: resolution(),
    });
    expect(out.text).toBe("Hello there.");
    expect(out.result).toMatchObject({ finishClass: "completed", model: expect.any(String) });
    expect(out.usage).toMatchObject({ inputTokens: 7, outputTokens: 3 });
    expect(out.steps).toHaveLength(1);
    expect(out.status).toBe("completed");
    expect(out.turn.blocks.map((block) => block.kind)).toEqual(["user", "llm_text"]);
    expect(server.requests[0]!.body).toMatchObject({
      model: "gpt-4o-mini",
      messages: [{ role: "user", content: "Say hello" }],
    });
  });

  it("takes messages and a system prompt", async () => {
    server.respond({ script: { text: "I am a test." } });
    await generateText({
      model: "openai:gpt-4o-mini",
      system: "Be brief.",
      messages: [
        { role: "user", content: "Hi" },
        { role: "assistant", content: "Hello!" },
        { role: "user", content: "Who are you?" },
      ],
      inference: { temperature: 0.1 },
      resolution: resolution(),
    });
    const body = server.requests[0]!.body as { messages: { role: string }[]; temperature: number };
    expect(body.messages.map((message) => message.role)).toEqual(["system", "user", "assistant", "user"]);
    expect(body.temperature).toBe(0.1);
  });

  it("runs the tool loop with tools, listing each step, and sums usage over the steps", async () => {
    server.enqueue(
      {
        script: {
          toolCalls: [{ id: "call_1", name: "calculator", arguments: { expression: "6*7" } }],
          usage: { inputTokens: 10, outputTokens: 5 },
        },
      },
      { script: { text: "It is 42.", usage: { inputTokens: 20, outputTokens: 4 } } },
    );
    const seen: number[] = [];
    const out = await generateText({
      model: "openai:gpt-4o-mini",
      prompt: "What is 6*7?",
      tools: [calculatorTool],
      onStepFinish: (step) => {
        seen.push(step.stepNumber);
      },
      resolution: resolution(),
    });
    expect(out.text).toBe("It is 42.");
    expect(seen).toEqual([1, 2]);
    expect(out.steps[0]!.toolCalls.map((call) => call.name)).toEqual(["calculator"]);
    expect(out.steps[0]!.toolResults[0]).toMatchObject({ status: "ok", result: { result: 42 } });
    expect(out.usage).toMatchObject({ inputTokens: 30, outputTokens: 9 });
    expect(server.requests).toHaveLength(2);
  });

  it("a provider it does not know lists the known ones", async () => {
    const error = await errorOf(() => generateText({ model: "palm:bison", prompt: "Hi" }));
    expect(error.code).toBe("unknown_provider");
    expect(error.fault).toBe("caller");
    expect(error.message).toMatch(
      /unknown provider "palm" in model id "palm:bison": known providers are openai \(or openai-compatible\), /,
    );
    expect(error.message).toContain("anthropic");
  });

  it("takes any provider of the registry: an OpenAI-compatible one, an alias, and one registered by the user", async () => {
    server.respond({ script: { text: "from deepseek" } });
    const deepseek = await generateText({
      model: "deepseek:deepseek-chat",
      prompt: "Hi",
      resolution: resolution(),
    });
    expect(deepseek.text).toBe("from deepseek");
    expect(server.requests[0]!.body).toMatchObject({ model: "deepseek-chat" });
    const claude = await resolveModel("claude:claude-x", {
      ...resolution(),
      env: { ...resolution().env, GEPPETTO_AI_BASE_URL: server.baseURL("anthropic") },
    });
    expect({ apiType: claude.apiType, protocol: claude.protocol }).toEqual({
      apiType: "anthropic",
      protocol: "anthropic",
    });
    const unregister = registerProvider(
      openAICompatibleProvider({
        ...openAICompatibleProfile("vllm")!,
        name: "gpu-box",
        baseURL: server.baseURL("openai-chat"),
        baseURLVariables: [],
      }),
    );
    try {
      server.respond({ script: { text: "from my own server" } });
      const own = await generateText({ model: "gpu-box:my-model", prompt: "Hi", resolution: resolution() });
      expect(own.text).toBe("from my own server");
      expect(server.requests.at(-1)!.body).toMatchObject({ model: "my-model" });
    } finally {
      unregister();
    }
    const gone = await errorOf(() => generateText({ model: "gpu-box:my-model", prompt: "Hi" }));
    expect(gone.code).toBe("unknown_provider");
  });

  it("a profile name is an alias; a name that is no profile lists providers and profiles", async () => {
    const project = mkdtempSync(join(folder, "project-"));
    writeFileSync(
      join(project, ".geppetto-profiles.yaml"),
      `profiles:\n  fast:\n    chat: { apiType: ollama, engine: llama-fast }\n    api: { ollama: { baseURL: "${server.baseURL("ollama")}" } }\n`,
    );
    const options = { env: { XDG_CONFIG_HOME: join(folder, "no-config") }, cwd: project };
    server.respond({ script: { text: "quick" } });
    const out = await generateText({ model: "fast", prompt: "Hi", resolution: options });
    expect(out.text).toBe("quick");
    expect(server.requests[0]!.body).toMatchObject({ model: "llama-fast" });
    const error = await errorOf(() => generateText({ model: "slow", prompt: "Hi", resolution: options }));
    expect(error.code).toBe("unknown_model");
    expect(error.message).toMatch(
      /model "slow" is neither "provider:model" \(providers: openai \(or openai-compatible\), .*\) nor a profile \(profiles: fast\)/,
    );
  });

  it("a call cancelled through signal resolves with the partial answer, status interrupted", async () => {
    server.respond({ script: longText(3000), pacingMs: 1 });
    const controller = new AbortController();
    let partials = 0;
    const out = await generateText({
      model: "openai:gpt-4o-mini",
      prompt: "Go on",
      signal: controller.signal,
      sinks: [
        {
          publish(event) {
            if (event.type === "partial" && ++partials === 20) controller.abort();
          },
        },
      ],
      resolution: resolution(),
    });
    expect(out.status).toBe("interrupted");
    expect(out.text.startsWith(" tok0 tok1")).toBe(true);
    expect(out.text.length).toBeLessThan(3000 * 6);
    expect(out.turn.blocks.at(-1)).toMatchObject({ kind: "llm_text", payload: { text: out.text } });
  });

  it("needs exactly one of prompt, messages or turn", async () => {
    const error = await errorOf(() => generateText({ model: "openai:x", prompt: "a", messages: [] }));
    expect(error.message).toBe("give exactly one of prompt, messages or turn (got several)");
  });
});

describe("streamText", () => {
  it("streams the text of every step and resolves with what generateText returns", async () => {
    server.respond({ script: { text: "one two three" } });
    const stream = streamText({ model: "openai:gpt-4o-mini", prompt: "Count", resolution: resolution() });
    let text = "";
    for await (const piece of stream.text()) text += piece;
    const out = await stream.result;
    expect(text).toBe("one two three");
    expect(out).toMatchObject({ text, status: "completed", steps: [{ stepNumber: 1 }] });
  });
});

describe("guardrails", () => {
  it("an input guardrail that trips ends the call before any request, with a typed outcome and an event", async () => {
    const sink = new CollectingSink();
    const error = await errorOf(() =>
      generateText({
        model: "openai:gpt-4o-mini",
        prompt: "my key is sk-abcdefghijklmnopqrstuvwxyz",
        sinks: [sink],
        inputGuardrails: [
          { name: "allow-all", check: () => undefined },
          {
            name: "no-keys",
            check: ({ text }) =>
              /sk-[a-z]{20}/.test(text) ? { tripped: true, reason: "the prompt holds a key" } : undefined,
          },
        ],
        resolution: resolution(),
      }),
    );
    expect(error).toBeInstanceOf(GuardrailTrippedError);
    expect(error.code).toBe("guardrail_tripped");
    expect(error.fault).toBe("caller");
    expect((error as GuardrailTrippedError).trip).toEqual({
      guardrail: "no-keys",
      phase: "input",
      reason: "the prompt holds a key",
    });
    expect(server.requests).toHaveLength(0);
    expect(sink.events.filter((event) => event.type === "custom")).toMatchObject([
      { name: "geppetto.guardrail_tripped", payload: { guardrail: "no-keys", phase: "input" } },
    ]);
  });

  it("an output guardrail on the final answer trips with the answer kept on the error's turn", async () => {
    server.respond({ script: { text: "The password is hunter2." } });
    const sink = new CollectingSink();
    const error = await errorOf(() =>
      generateText({
        model: "openai:gpt-4o-mini",
        prompt: "Tell me a secret",
        sinks: [sink],
        outputGuardrails: [
          {
            name: "no-passwords",
            check: async ({ text }) => ({ tripped: text.includes("password"), reason: "leak" }),
          },
        ],
        resolution: resolution(),
      }),
    );
    expect((error as GuardrailTrippedError).trip).toMatchObject({
      guardrail: "no-passwords",
      phase: "output",
    });
    expect(error.fault).toBe("model");
    expect(error.turn?.blocks.at(-1)).toMatchObject({
      kind: "llm_text",
      payload: { text: "The password is hunter2." },
    });
    expect(sink.events.filter((event) => event.type === "custom")).toMatchObject([
      { name: "geppetto.guardrail_tripped", payload: { guardrail: "no-passwords", phase: "output" } },
    ]);
  });

  it("a streaming output guardrail cancels the stream early and keeps the partial answer", async () => {
    server.respond({ script: longText(5000), pacingMs: 1 });
    const stream = streamText({
      model: "openai:gpt-4o-mini",
      prompt: "Go on",
      outputGuardrails: [
        {
          name: "stop-at-20",
          streaming: true,
          check: ({ delta }) => (delta === " tok20" ? { tripped: true, reason: "enough" } : undefined),
        },
      ],
      resolution: resolution(),
    });
    const events: string[] = [];
    const error = await errorOf(async () => {
      for await (const event of stream) events.push(event.type);
    });
    expect(error).toBeInstanceOf(GuardrailTrippedError);
    await expect(stream.result).rejects.toBe(error);
    expect(events).toContain("custom");
    expect(events).toContain("interrupt");
    const partial = error.turn?.blocks.find((block) => block.kind === "llm_text");
    expect(partial?.kind === "llm_text" && partial.payload.text.startsWith(" tok0 tok1")).toBe(true);
    expect(partial?.kind === "llm_text" && partial.payload.text.length).toBeLessThan(5000 * 6);
  });
});
