// Streaming inference with a printer: the OpenAI Chat engine over real HTTP against geppetto's local provider
// server (no API key, no network), the answer printed as it streams, then read again with `for await`.
// Run it: npm run build && npx node examples/streaming.ts
import {
  KeyInferenceResult,
  newTurn,
  newUserTextBlock,
  RunContext,
  streamInference,
  TextPrinter,
} from "geppetto";
import { createOpenAIChatEngine } from "geppetto/providers/openai";
import { startProviderServer } from "geppetto/testing";

const server = await startProviderServer({
  response: { script: { text: "Streams arrive token by token." } },
});
try {
  const engine = createOpenAIChatEngine({
    model: "gpt-4o-mini",
    apiKey: "not-needed",
    baseURL: server.baseURL("openai-chat"),
  });
  const turn = newTurn([newUserTextBlock("How do streams arrive?")]);

  // 1. A printer sink on the run context writes each delta to stdout.
  const printed = await engine.runInference(
    turn,
    RunContext.background().withSinks(new TextPrinter(process.stdout)),
  );
  console.log(`\nfinish: ${KeyInferenceResult.get(printed)?.finishClass}`);

  // 2. The same with `for await`: iterate the events, then await the result.
  const stream = streamInference(engine, turn);
  let deltas = 0;
  for await (const event of stream) if (event.type === "partial") deltas++;
  const { result } = await stream.result;
  console.log(`deltas: ${deltas}, output tokens: ${result.usage?.outputTokens}`);
} finally {
  await server.close();
}
