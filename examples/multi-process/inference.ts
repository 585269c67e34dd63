// Process 1: runs one inference (the OpenAI Chat engine over HTTP against geppetto's local provider server, as
// `geppetto run` does with no provider configured) and publishes its events to the message server.
// Run it: npx node examples/multi-process/inference.ts redis://127.0.0.1:6379 [words] [pacing-ms]
import { randomUUID } from "node:crypto";
import { EventRouter, newTurn, newUserTextBlock, RunContext } from "geppetto";
import { createOpenAIChatEngine } from "geppetto/providers/openai";
import { startProviderServer } from "geppetto/testing";
import { openTransport, TOPIC } from "./transport.ts";

const [serverUrl = "redis://127.0.0.1:6379", words = "60", pacingMs = "25"] = process.argv.slice(2);
const answer = Array.from({ length: Number(words) }, (_, index) => `word${index + 1}`).join(" ");
const provider = await startProviderServer({
  response: { script: { text: answer }, pacingMs: Number(pacingMs) },
});
const transport = openTransport(serverUrl);
await transport.connect();
const router = new EventRouter({ transport });
router.run();
const engine = createOpenAIChatEngine({
  model: "local-scripted",
  apiKey: "local",
  baseURL: provider.baseURL(),
});
const context = RunContext.background()
  .withIds({ sessionId: "multi-process-demo", inferenceId: randomUUID() })
  .withSinks(router.sink(TOPIC));
await engine.runInference(newTurn([newUserTextBlock("Count for me.")]), context);
await router.close(); // writes what is still buffered
await provider.close();
