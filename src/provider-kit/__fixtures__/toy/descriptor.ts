/**
 * A throwaway provider with a wire protocol of its own, "toy" (hand-written for the registry tests): the whole
 * provider is this folder and one `registerProvider(toyProvider)`. The wire: `POST <base>/generate` with
 * `{ model, stream, messages, tools, temperature, max_tokens }`; the answer is JSON lines (`{"text"}`,
 * `{"call"}`, and a last `{"done", "usage"}`), or, unstreamed, `{ "lines": [...] }` with the same lines.
 */
import { defineProvider, defineWireProtocol, type EngineFactory } from "../../descriptor.ts";

/** The toy wire: the local provider server's module for it and the contract suite's reader, in this folder. */
export const TOY_WIRE = defineWireProtocol({
  name: "toy",
  server: async () => [(await import("./local-server.ts")).toyServerModule],
  contract: async () => (await import("./contract.ts")).toyContract,
});

/** `--ai-api-type toy` once registered. */
export const toyProvider = defineProvider({
  id: "toy",
  aliases: ["toy-chat"],
  description: "Toy (a test provider with its own wire)",
  settingsKey: "toy",
  apiKey: { variables: ["TOY_API_KEY"], required: true },
  baseURL: { default: "https://api.toy.invalid/toy", variables: ["TOY_BASE_URL"] },
  defaultModel: "toy-1",
  prices: {},
  config: null,
  protocol: TOY_WIRE,
  load: async () => (await import("./engine.ts")).createToyEngine as EngineFactory,
});
