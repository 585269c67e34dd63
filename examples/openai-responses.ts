// OpenAI Responses with reasoning and tools: the reasoning streams as `partial-thinking` events, the tool call is
// run by the tool loop, and the reasoning block (with its item id and encrypted content) is kept on the Turn and
// sent back on the next request. Against the local provider server: no API key.
// Run it: npm run build && npx node examples/openai-responses.ts
import { newTurn, newUserTextBlock, RunContext } from "geppetto";
import { createOpenAIResponsesEngine } from "geppetto/providers/openai-responses";
import { startProviderServer } from "geppetto/testing";
import { ToolLoopEngine } from "geppetto/toolloop";
import { calculatorTool, ToolRegistry } from "geppetto/tools";

const server = await startProviderServer({
  queue: [
    {
      script: {
        reasoning: "The user wants a product; the calculator is exact.",
        toolCalls: [{ id: "call_1", name: "calculator", arguments: { expression: "6 * 7" } }],
      },
    },
  ],
  response: { script: { reasoning: "The tool said 42.", text: "6 × 7 = 42." } },
});
try {
  const base = createOpenAIResponsesEngine({
    model: "o4-mini",
    apiKey: "not-needed",
    baseURL: server.baseURL("openai-responses"),
    inference: { reasoningEffort: "low" },
  });
  const engine = new ToolLoopEngine({ engine: base, registry: new ToolRegistry([calculatorTool]) });
  let thinking = "";
  const ctx = RunContext.background().withSinks({
    publish(event) {
      if (event.type === "partial-thinking") thinking += event.delta;
    },
  });
  const out = await engine.runInference(newTurn([newUserTextBlock("What is 6 * 7?")]), ctx);
  console.log(`reasoning: ${thinking}`);
  console.log(`blocks: ${out.blocks.map((block) => block.kind).join(" ")}`);
  const last = out.blocks.at(-1);
  console.log(`answer: ${last?.kind === "llm_text" ? last.payload.text : ""}`);
  const replayed = server.requests.at(-1)?.body as { input: { type?: string }[] };
  console.log(`second request replays: ${replayed.input.map((item) => item.type ?? "message").join(" ")}`);
} finally {
  await server.close();
}
