/**
 * Every setting reaches the wire, or says why not: for every registered provider, each field of the per-turn
 * inference config, of the tool config and of the provider's own config is set in Turn.data (seed 004's
 * per-turn keys), one inference runs over real HTTP against the local provider server, and the request body
 * must carry the setting where that provider's API takes it, or the inference must publish a warning
 * `<setting> not sent: <why>`. A setting nothing applies fails here. Where each setting lands comes from the
 * provider's wire protocol (`settings` of its `contract()`).
 */
import { afterAll, describe, expect, it } from "vitest";
import {
  type InferenceConfig,
  KeyInferenceConfig,
  KeyToolConfig,
  type ToolConfig,
} from "../../engine/inference-config.ts";
import { ToolCatalogKey } from "../../engine/tools.ts";
import { CollectingSink, RunContext } from "../../events/context.ts";
import { toyProvider } from "../../provider-kit/__fixtures__/toy/descriptor.ts";
import { registerProvider } from "../../provider-kit/registry.ts";
import { newTurn, newUserTextBlock } from "../../turns/builders.ts";
import type { Turn } from "../../turns/types.ts";
import { setupLocalServer } from "../test-support.ts";
import { contractCatalog, contractEngines, requestBody } from "./engines.ts";
import type { Expected, Landing } from "./protocol.ts";

// A throwaway provider with a wire of its own, registered at run time: the suite runs over it like the others.
afterAll(registerProvider(toyProvider));
const server = setupLocalServer();
const ENGINES = await contractEngines();

const NEUTRAL: Required<InferenceConfig> = {
  temperature: 0.3,
  topP: 0.97,
  maxResponseTokens: 3000,
  stop: ["STOP"],
  seed: 7,
  thinkingBudget: 2048,
  reasoningEffort: "low",
  reasoningSummary: "concise",
  includeThoughts: true,
};

function at(body: unknown, path: string): unknown {
  let value = body;
  for (const part of path.split(".")) {
    if (typeof value !== "object" || value === null) return undefined;
    value = (value as Record<string, unknown>)[part];
  }
  return value;
}

/** Runs one inference of `turn` and reports whether `setting` landed where `expected` says. */
async function landing(
  create: () => { runInference(turn: Turn, ctx: RunContext): Promise<Turn> },
  turn: Turn,
  setting: string,
  value: unknown,
  expected: Expected,
): Promise<string> {
  const sink = new CollectingSink();
  await create().runInference(
    turn,
    RunContext.background().with(ToolCatalogKey, contractCatalog).withSinks(sink),
  );
  const body = requestBody(server);
  const warnings = sink.ofType("log").map((event) => event.message);
  const landings: readonly Landing[] = Array.isArray(expected) ? expected : [expected as Landing];
  for (const each of landings) {
    if (each === "warn") {
      if (warnings.some((message) => message.startsWith(`${setting} not sent: `))) return "ok";
    } else {
      const [path, wanted] = typeof each === "string" ? [each, value] : [each.path, each.value];
      if (JSON.stringify(at(body, path)) === JSON.stringify(wanted)) return "ok";
    }
  }
  return `${setting}: not in the body where expected (${JSON.stringify(expected)}) and no warning; body ${JSON.stringify(body)}; warnings ${JSON.stringify(warnings)}`;
}

const question = () => newTurn([newUserTextBlock("What is the weather in Paris?")]);

describe.each(ENGINES)("every setting of $name reaches the wire or warns", (adapter) => {
  const create = () => adapter.create(server);

  it.each(Object.keys(NEUTRAL) as (keyof InferenceConfig)[])("inference %s", async (setting) => {
    const turn = KeyInferenceConfig.set(question(), { [setting]: NEUTRAL[setting] });
    const expected = adapter.settings.inference[setting];
    expect(await landing(create, turn, setting, NEUTRAL[setting], expected)).toBe("ok");
  });

  it.each(Object.entries(adapter.settings.tools))("tools %s", async (setting, [config, expected]) => {
    const turn = KeyToolConfig.set(question(), config);
    const value = config[setting as keyof ToolConfig];
    expect(await landing(create, turn, setting, value, expected)).toBe("ok");
  });

  const own = adapter.settings.own;
  if (own) {
    const [key, fields] = own;
    it.each(Object.entries(fields))("own %s", async (setting, [value, expected]) => {
      const turn = key.set(question(), { [setting]: value });
      expect(await landing(create, turn, setting, value, expected)).toBe("ok");
    });
  }
});
