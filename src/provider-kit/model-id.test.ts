import { describe, expect, it } from "vitest";
import { GeppettoError } from "../engine/errors.ts";
import { parseModelId } from "./model-id.ts";
import { registerProvider } from "./registry.ts";

function errorOf(run: () => unknown): GeppettoError {
  try {
    run();
  } catch (error) {
    if (GeppettoError.is(error)) return error;
    throw error;
  }
  throw new Error("expected an error");
}

describe("parseModelId", () => {
  it("reads the provider through the registry: ids, aliases and built-in OpenAI-compatible providers", () => {
    const claude = parseModelId("claude:claude-sonnet-4-20250514");
    expect("provider" in claude && [claude.provider.id, claude.model]).toEqual([
      "anthropic",
      "claude-sonnet-4-20250514",
    ]);
    const deepseek = parseModelId("DeepSeek:deepseek-chat");
    expect("provider" in deepseek && deepseek.provider.protocol.name).toBe("openai-chat");
    const bare = parseModelId("gemini:");
    expect("provider" in bare && { id: bare.provider.id, model: bare.model }).toEqual({ id: "gemini" });
    expect(parseModelId(" fast ")).toEqual({ profile: "fast" });
  });

  it("takes a provider registered later, and refuses it again once removed", () => {
    const unregister = registerProvider({
      ...(parseModelId("openai:x") as { provider: Parameters<typeof registerProvider>[0] }).provider,
      id: "acme",
      aliases: [],
      settingsKey: "acme",
    });
    const acme = parseModelId("acme:acme-1");
    expect("provider" in acme && acme.provider.id).toBe("acme");
    unregister();
    expect(errorOf(() => parseModelId("acme:acme-1")).code).toBe("unknown_provider");
  });

  it("an unknown provider or an empty id is a caller error listing the known providers", () => {
    const unknown = errorOf(() => parseModelId("palm:bison"));
    expect(unknown).toMatchObject({ code: "unknown_provider", fault: "caller" });
    expect(unknown.message).toMatch(
      /^unknown provider "palm" in model id "palm:bison": known providers are openai \(or openai-compatible\), openai-responses, anthropic \(or claude\), gemini, ollama, deepseek/,
    );
    const empty = errorOf(() => parseModelId("  "));
    expect(empty.code).toBe("invalid_model_id");
    expect(empty.message).toContain("anthropic (or claude)");
  });
});
