import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { setupLocalServer } from "../providers/test-support.ts";
import { generateText } from "./generate-text.ts";
import { GuardrailTrippedError } from "./guardrails.ts";
import { modelInputGuardrail, modelOutputGuardrail } from "./model-guardrail.ts";
import type { ModelResolutionOptions } from "./model-id.ts";

const server = setupLocalServer();

const resolution = (): ModelResolutionOptions => ({
  env: {
    XDG_CONFIG_HOME: join(tmpdir(), "geppetto-app-no-config"),
    GEPPETTO_AI_BASE_URL: server.baseURL("openai-chat"),
    GEPPETTO_AI_API_KEY: "test-key",
  },
  cwd: join(tmpdir(), "geppetto-app-no-project"),
});

describe("guardrails judged by a model", () => {
  it("an input guardrail trips on the judge's verdict, before the answer is asked for", async () => {
    server.enqueue({ script: { text: '{"tripped": true, "reason": "not about cooking"}' } });
    const onTopic = modelInputGuardrail({
      name: "on-topic",
      model: "openai:gpt-4o-mini",
      instructions: "The question is about cooking.",
      resolution: resolution(),
    });
    const failure = await generateText({
      model: "openai:gpt-4o",
      prompt: "Who won the match?",
      inputGuardrails: [onTopic],
      resolution: resolution(),
    }).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(GuardrailTrippedError);
    expect((failure as GuardrailTrippedError).trip).toEqual({
      guardrail: "on-topic",
      phase: "input",
      reason: "not about cooking",
    });
    expect(server.requests).toHaveLength(1);
    const judged = JSON.stringify(server.requests[0]!.body);
    expect(judged).toContain("The question is about cooking.");
    expect(judged).toContain("Who won the match?");
    expect(judged).toContain('"verdict"');
  });

  it("an output guardrail that passes lets the answer through", async () => {
    server.enqueue(
      { script: { text: "Boil the pasta." } },
      { script: { text: '{"tripped": false, "reason": "polite"}' } },
    );
    const out = await generateText({
      model: "openai:gpt-4o-mini",
      prompt: "How do I cook pasta?",
      outputGuardrails: [
        modelOutputGuardrail({
          name: "polite",
          model: "openai:gpt-4o-mini",
          instructions: "The answer is polite.",
          resolution: resolution(),
        }),
      ],
      resolution: resolution(),
    });
    expect(out.text).toBe("Boil the pasta.");
    expect(JSON.stringify(server.requests[1]!.body)).toContain("Boil the pasta.");
  });
});
