// Structured output with validation: ask for JSON following a schema, check the answer against it, and see what
// happens when the model breaks it. Against the local provider server: no API key.
// Run it: npm run build && npx node examples/structured-output.ts
import { GeppettoError, newTurn, newUserTextBlock, RunContext, runInferenceWithResult } from "geppetto";
import { createOpenAIChatEngine } from "geppetto/providers/openai";
import { startProviderServer } from "geppetto/testing";

const structuredOutput = {
  name: "capital",
  schema: {
    type: "object",
    properties: { country: { type: "string" }, capital: { type: "string" } },
    required: ["country", "capital"],
    additionalProperties: false,
  },
  requireValid: true,
};

const server = await startProviderServer({
  queue: [{ script: { text: '{"country": "France", "capital": "Paris"}' } }],
  response: { script: { text: '{"country": "France"}' } },
});
try {
  const engine = createOpenAIChatEngine({
    model: "gpt-4o-mini",
    apiKey: "not-needed",
    baseURL: server.baseURL("openai-chat"),
    structuredOutput, // sent as the provider's native form (response_format json_schema)
  });
  const turn = newTurn([newUserTextBlock("The capital of France, as JSON.")]);

  const { result } = await runInferenceWithResult(engine, turn, RunContext.background(), {
    structuredOutput,
  });
  console.log(`valid: ${result.structuredOutput?.valid}`);
  const sent = server.requests.at(-1)?.body as { response_format?: { type: string } };
  console.log(`request asked for: ${sent.response_format?.type}`);

  try {
    await runInferenceWithResult(engine, turn, RunContext.background(), { structuredOutput });
  } catch (error) {
    if (!GeppettoError.is(error)) throw error;
    console.log(`rejected: ${error.code} (${error.fault}): ${error.message}`);
  }
} finally {
  await server.close();
}
