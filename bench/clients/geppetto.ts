/**
 * geppetto's engines, imported from dist/ and run as users run them: a Turn in, a RunContext with a sink that
 * renders the text deltas, the finished Turn out (text and tool calls read from its blocks).
 */
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { type BenchClient, type ClientDefinition, perKey } from "./types.ts";

/** The absolute URL of a module in dist/. */
export function distModule(path: string): URL {
  return new URL(`../../dist/${path}`, import.meta.url);
}

/** True when the dist module exists (engines written by other helpers may not be built yet). */
export function distHas(path: string): boolean {
  return existsSync(fileURLToPath(distModule(path)));
}

interface BlockLike {
  kind: string;
  payload: { text?: string; args?: unknown; name?: string };
}
interface TurnLike {
  blocks: BlockLike[];
}
interface EventLike {
  type: string;
  delta?: string;
}
interface EngineLike {
  runInference(turn: TurnLike, ctx: unknown): Promise<TurnLike>;
}
interface CoreModule {
  RunContext: { background(): { withSinks(...sinks: { publish(event: EventLike): void }[]): unknown } };
  newTurn(blocks?: unknown[]): TurnLike;
  newUserTextBlock(text: string): unknown;
  assistantText(turn: TurnLike): string;
}

function engineClient(core: CoreModule, engineFor: (model: string) => EngineLike): BenchClient {
  const input = core.newTurn([core.newUserTextBlock("hi")]);
  return {
    async text(tokens, onFirstToken) {
      let rendered = "";
      const sink = {
        publish(event: EventLike) {
          if (event.type === "partial" && event.delta) {
            if (rendered === "" && onFirstToken) onFirstToken();
            rendered += event.delta;
          }
        },
      };
      const ctx = core.RunContext.background().withSinks(sink);
      const turn = await engineFor(`text-${tokens}`).runInference(input, ctx);
      const text = core.assistantText(turn);
      if (rendered !== text) throw new Error("geppetto: the sink's text differs from the Turn's text");
      return text;
    },
    async tool(chunks) {
      let deltas = 0;
      const sink = {
        publish(event: EventLike) {
          if (event.type === "tool-call-arguments-delta") deltas++;
        },
      };
      const ctx = core.RunContext.background().withSinks(sink);
      const turn = await engineFor(`tool-${chunks}`).runInference(input, ctx);
      if (deltas === 0) throw new Error("geppetto: the sink saw no tool-call-arguments-delta event");
      const call = turn.blocks.find((block) => block.kind === "tool_call");
      return call?.payload.args;
    },
  };
}

const OPENAI_ENGINE = "providers/openai/index.js";
const CLAUDE_ENGINE = "providers/anthropic/index.js";

export const geppettoOpenAI: ClientDefinition = {
  name: "geppetto",
  label: "geppetto createOpenAIChatEngine (dist/), runInference with a sink",
  protocol: "openai",
  geppetto: true,
  async load(origin) {
    const core = (await import(distModule("index.js").href)) as CoreModule;
    const provider = (await import(distModule(OPENAI_ENGINE).href)) as {
      createOpenAIChatEngine(options: object): EngineLike;
    };
    const engineFor = perKey((model) =>
      provider.createOpenAIChatEngine({
        model,
        apiKey: "bench",
        baseURL: `${origin}/v1`,
        client: { maxRetries: 0 },
      }),
    );
    return engineClient(core, engineFor);
  },
};

export const geppettoClaude: ClientDefinition = {
  name: "geppetto-claude",
  label: "geppetto createClaudeEngine (dist/), runInference with a sink",
  protocol: "anthropic",
  geppetto: true,
  async load(origin) {
    const core = (await import(distModule("index.js").href)) as CoreModule;
    const provider = (await import(distModule(CLAUDE_ENGINE).href)) as {
      createClaudeEngine(options: object): EngineLike;
    };
    const engineFor = perKey((model) =>
      provider.createClaudeEngine({
        model,
        apiKey: "bench",
        baseURL: origin,
        client: { maxRetries: 0 },
        inference: { maxResponseTokens: 100_000 },
      }),
    );
    return engineClient(core, engineFor);
  },
};

/** Whether a geppetto engine client can run (its dist module is built). */
export function geppettoAvailable(client: ClientDefinition): boolean {
  if (client === geppettoOpenAI) return distHas(OPENAI_ENGINE);
  if (client === geppettoClaude) return distHas(CLAUDE_ENGINE);
  return true;
}
