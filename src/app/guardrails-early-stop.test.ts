import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { GeppettoError } from "../engine/errors.ts";
import { CollectingSink, sinkFrom } from "../events/context.ts";
import { setupLocalServer } from "../providers/test-support.ts";
import { longText } from "../testing/provider-server/script.ts";
import { hasToolCall } from "../toolloop/steps.ts";
import { calculatorTool } from "../tools/demo.ts";
import { generateText, streamText } from "./generate-text.ts";
import { GuardrailTrippedError, type OutputGuardrail } from "./guardrails.ts";
import { modelOutputGuardrail } from "./model-guardrail.ts";
import type { ModelResolutionOptions } from "./model-id.ts";

const server = setupLocalServer();
const folder = mkdtempSync(join(tmpdir(), "geppetto-guardrails-"));
afterAll(() => rmSync(folder, { recursive: true, force: true }));

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

/** Trips on "password"; records the status and text of every final check. */
function passwordGuardrail(): OutputGuardrail & { seen: { status?: string; text: string }[] } {
  const seen: { status?: string; text: string }[] = [];
  return {
    name: "no-passwords",
    seen,
    check: ({ text, final, status }) => {
      if (final) seen.push({ ...(status ? { status } : {}), text });
      return text.includes("password") ? { tripped: true, reason: "leak" } : undefined;
    },
  };
}

/** A step that writes `text` and calls the calculator. */
const callsTool = (text: string, id: string) => ({
  script: { text, toolCalls: [{ id, name: "calculator", arguments: { expression: "6*7" } }] },
});

describe("output guardrails on a loop that stops early", () => {
  it("run at the step limit, on the last step's text", async () => {
    server.enqueue(callsTool("The password is hunter2; now the sum.", "call_1"));
    const guardrail = passwordGuardrail();
    const error = await errorOf(() =>
      generateText({
        model: "openai:gpt-4o-mini",
        prompt: "Go",
        tools: [calculatorTool],
        maxSteps: 1,
        outputGuardrails: [guardrail],
        resolution: resolution(),
      }),
    );
    expect(error).toBeInstanceOf(GuardrailTrippedError);
    expect((error as GuardrailTrippedError).trip).toMatchObject({
      guardrail: "no-passwords",
      phase: "output",
    });
    expect(guardrail.seen).toEqual([
      { status: "max_iterations", text: "The password is hunter2; now the sum." },
    ]);
    expect(server.requests).toHaveLength(1);
  });

  it("run when stopWhen ends the loop, and pass an answer that breaks no rule", async () => {
    server.enqueue(callsTool("Let me add that up.", "call_2"));
    const guardrail = passwordGuardrail();
    const out = await generateText({
      model: "openai:gpt-4o-mini",
      prompt: "Go",
      tools: [calculatorTool],
      stopWhen: hasToolCall("calculator"),
      outputGuardrails: [guardrail],
      resolution: resolution(),
    });
    expect(out.status).toBe("stopped");
    expect(guardrail.seen).toEqual([{ status: "stopped", text: "Let me add that up." }]);

    server.enqueue(callsTool("Your password, since you ask: hunter2.", "call_3"));
    const tripped = passwordGuardrail();
    const sink = new CollectingSink();
    const error = await errorOf(() =>
      generateText({
        model: "openai:gpt-4o-mini",
        prompt: "Go",
        tools: [calculatorTool],
        stopWhen: hasToolCall("calculator"),
        outputGuardrails: [tripped],
        sinks: [sink],
        resolution: resolution(),
      }),
    );
    expect(error).toBeInstanceOf(GuardrailTrippedError);
    expect(tripped.seen).toEqual([{ status: "stopped", text: "Your password, since you ask: hunter2." }]);
    expect(sink.events.filter((event) => event.type === "custom")).toMatchObject([
      { name: "geppetto.guardrail_tripped", payload: { guardrail: "no-passwords", phase: "output" } },
    ]);
  });

  it("run on the partial answer of a cancelled call; the trip keeps the partial answer on its Turn", async () => {
    server.respond({ script: longText(3000), pacingMs: 1 });
    const controller = new AbortController();
    let partials = 0;
    const stopAfter30 = sinkFrom((event) => {
      if (event.type === "partial" && ++partials === 30) controller.abort();
    });
    const guardrail: OutputGuardrail & { seen: { status?: string; text: string }[] } = {
      name: "no-tok25",
      seen: [],
      check({ text, final, status }) {
        if (final) this.seen.push({ ...(status ? { status } : {}), text });
        return text.includes(" tok25") ? { tripped: true, reason: "tok25 is secret" } : undefined;
      },
    };
    const error = await errorOf(() =>
      generateText({
        model: "openai:gpt-4o-mini",
        prompt: "Go on",
        signal: controller.signal,
        sinks: [stopAfter30],
        outputGuardrails: [guardrail],
        resolution: resolution(),
      }),
    );
    expect(error).toBeInstanceOf(GuardrailTrippedError);
    expect(guardrail.seen).toHaveLength(1);
    expect(guardrail.seen[0]!.status).toBe("interrupted");
    expect(guardrail.seen[0]!.text.startsWith(" tok0 tok1")).toBe(true);
    expect(guardrail.seen[0]!.text.length).toBeLessThan(3000 * 6);
    const partial = error.turn?.blocks.find((block) => block.kind === "llm_text");
    expect(partial?.kind === "llm_text" && partial.payload.text).toBe(guardrail.seen[0]!.text);
  });

  it("a model guardrail still judges the partial answer of a cancelled stream", async () => {
    server.enqueue(
      { script: longText(3000), pacingMs: 1 },
      { script: { text: '{"tripped": true, "reason": "it counts tokens"}' } },
    );
    const stream = streamText({
      model: "openai:gpt-4o-mini",
      prompt: "Count",
      outputGuardrails: [
        modelOutputGuardrail({
          name: "judge",
          model: "openai:gpt-4o-mini",
          instructions: "The text does not count tokens.",
          resolution: resolution(),
        }),
      ],
      resolution: resolution(),
    });
    let partials = 0;
    const error = await errorOf(async () => {
      for await (const event of stream) if (event.type === "partial" && ++partials === 10) stream.cancel();
      await stream.result;
    });
    expect((error as GuardrailTrippedError).trip).toEqual({
      guardrail: "judge",
      phase: "output",
      reason: "it counts tokens",
    });
    expect(server.requests).toHaveLength(2);
    expect(JSON.stringify(server.requests[1]!.body)).toContain("tok0 tok1");
  });
});
