/**
 * The local server's protocol table comes from the provider registry: it serves exactly the protocols the
 * registered providers speak (plus their token-counting and embeddings endpoints), each under its protocol's name.
 */
import { describe, expect, it } from "vitest";
import { listProviders } from "../../provider-kit/registry.ts";
import { registeredProtocols } from "./protocols.ts";

describe("registeredProtocols", () => {
  it("serves each protocol of the registry once, its inference module under the protocol's own name", async () => {
    const spoken = [...new Set(listProviders().map((provider) => provider.protocol))];
    expect(new Set(spoken.map((protocol) => protocol.name)).size).toBe(spoken.length);
    const modules = await Promise.all(spoken.map((protocol) => protocol.server()));
    const served = await registeredProtocols();
    expect(served.slice(0, spoken.length).map((module) => module.name)).toEqual(
      spoken.map((protocol) => protocol.name),
    );
    expect(served.slice(spoken.length)).toEqual(modules.flatMap(([, ...others]) => others));
  });

  it("serves only the wires asked for, each with its other modules", async () => {
    const served = await registeredProtocols(["openai-chat"]);
    expect(served.map((module) => module.name)).toEqual(["openai-chat", "openai-embeddings"]);
  });
});
