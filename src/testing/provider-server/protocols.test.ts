/**
 * The local server's protocol table comes from the provider registry: it serves exactly the protocols the
 * registered providers speak (plus their token-counting endpoints), each under its protocol's name.
 */
import { describe, expect, it } from "vitest";
import type { WireProtocol } from "../../provider-kit/descriptor.ts";
import { listProviders } from "../../provider-kit/registry.ts";
import { PROTOCOL_MODULES, registeredProtocols } from "./protocols.ts";

describe("registeredProtocols", () => {
  it("serves each protocol of the registry once, its inference module under the protocol's own name", () => {
    const spoken = [...new Set(listProviders().map((provider) => provider.protocol))];
    const served = registeredProtocols();
    expect(served.slice(0, spoken.length).map((module) => module.name)).toEqual(spoken);
    const counters = spoken.flatMap((protocol) => PROTOCOL_MODULES[protocol].slice(1));
    expect(served.slice(spoken.length)).toEqual(counters);
    for (const protocol of Object.keys(PROTOCOL_MODULES) as WireProtocol[]) {
      expect(PROTOCOL_MODULES[protocol][0]?.name).toBe(protocol);
    }
  });
});
