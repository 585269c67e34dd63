// Generic tool calling with the tool loop: a typed tool, a registry, and the loop running inference → tool →
// inference until the model answers. The model is the local provider server, scripted to call the tool once.
// Run it: npm run build && npx node examples/tool-loop.ts
import { newTurn, newUserTextBlock, RunContext } from "geppetto";
import { createOpenAIChatEngine } from "geppetto/providers/openai";
import { startProviderServer } from "geppetto/testing";
import { runToolLoop } from "geppetto/toolloop";
import { defineTool, ToolRegistry } from "geppetto/tools";

const weather = defineTool({
  name: "get_weather",
  description: "Current weather for a city",
  input: { type: "object", properties: { city: { type: "string" } }, required: ["city"] },
  execute: ({ city }) => ({ city, celsius: 18, sky: "clear" }),
});

const server = await startProviderServer({
  queue: [{ script: { toolCalls: [{ id: "call_1", name: "get_weather", arguments: { city: "Paris" } }] } }],
  response: { script: { text: "It is 18 °C and clear in Paris." } },
});
try {
  const engine = createOpenAIChatEngine({
    model: "gpt-4o-mini",
    apiKey: "not-needed",
    baseURL: server.baseURL("openai-chat"),
  });
  const ctx = RunContext.background().withSinks({
    publish(event) {
      if (event.type === "tool-call-execute")
        console.log(`calling ${event.toolCall.name}(${JSON.stringify(event.toolCall.input)})`);
      if (event.type === "tool-call-execution-result")
        console.log(`result: ${JSON.stringify(event.toolResult.result)}`);
      if (event.type === "final" && event.text !== "") console.log(`answer: ${event.text}`);
    },
  });
  const { status, iterations } = await runToolLoop(newTurn([newUserTextBlock("Weather in Paris?")]), ctx, {
    engine,
    registry: new ToolRegistry([weather]),
    loop: { maxIterations: 5 },
  });
  console.log(`loop: ${status} after ${iterations} inferences`);
} finally {
  await server.close();
}
