/**
 * geppetto's engines, imported from dist/ and run as users run them, two ways: `runInference` with a sink that
 * renders the text deltas, or `streamInference` read with `for await`; the finished Turn out (text and tool
 * calls read from its blocks).
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
interface StreamLike extends AsyncIterable<EventLike> {
  result: Promise<{ turn: TurnLike }>;
}
interface CoreModule {
  RunContext: { background(): { withSinks(...sinks: { publish(event: EventLike): void }[]): unknown } };
  newTurn(blocks?: unknown[]): TurnLike;
  newUserTextBlock(text: string): unknown;
  assistantText(turn: TurnLike): string;
  streamInference(engine: EngineLike, turn: TurnLike): StreamLike;
  KeyInferenceConfig: { set(turn: TurnLike, config: object): TurnLike };
}

type Mode = "sink" | "stream";

function engineClient(core: CoreModule, engineFor: (model: string) => EngineLike, mode: Mode): BenchClient {
  const input = core.newTurn([core.newUserTextBlock("hi")]);
  const configured = core.KeyInferenceConfig.set(input, { temperature: 0.5, maxResponseTokens: 100_000 });
  const streamed = async (turn: TurnLike, tokens: number, onFirstToken?: () => void): Promise<string> => {
    let rendered = "";
    const stream = core.streamInference(engineFor(`text-${tokens}`), turn);
    for await (const event of stream) {
      if (event.type === "partial" && event.delta) {
        if (rendered === "" && onFirstToken) onFirstToken();
        rendered += event.delta;
      }
    }
    const text = core.assistantText((await stream.result).turn);
    if (rendered !== text) throw new Error("geppetto: the streamed text differs from the Turn's text");
    return text;
  };
  const sunk = async (turn: TurnLike, tokens: number, onFirstToken?: () => void): Promise<string> => {
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
    const text = core.assistantText(await engineFor(`text-${tokens}`).runInference(turn, ctx));
    if (rendered !== text) throw new Error("geppetto: the sink's text differs from the Turn's text");
    return text;
  };
  const run = mode === "stream" ? streamed : sunk;
  return {
    text: (tokens, onFirstToken) => run(input, tokens, onFirstToken),
    textWithConfig: (tokens) => run(configured, tokens),
    async tool(chunks) {
      let deltas = 0;
      const sink = {
        publish(event: EventLike) {
          if (event.type === "tool-call-arguments-delta") deltas++;
        },
      };
      let turn: TurnLike;
      if (mode === "stream") {
        const stream = core.streamInference(engineFor(`tool-${chunks}`), input);
        for await (const event of stream) sink.publish(event);
        turn = (await stream.result).turn;
      } else {
        const ctx = core.RunContext.background().withSinks(sink);
        turn = await engineFor(`tool-${chunks}`).runInference(input, ctx);
      }
      if (deltas === 0) throw new Error("geppetto: the sink saw no tool-call-arguments-delta event");
      const call = turn.blocks.find((block) => block.kind === "tool_call");
      return call?.payload.args;
    },
  };
}

const OPENAI_ENGINE = "providers/openai/index.js";
const CLAUDE_ENGINE = "providers/anthropic/index.js";

function openAIClient(name: string, mode: Mode): ClientDefinition {
  return {
    name,
    label:
      mode === "stream"
        ? "geppetto createOpenAIChatEngine (dist/), streamInference read with for await"
        : "geppetto createOpenAIChatEngine (dist/), runInference with a sink",
    protocol: "openai",
    geppetto: true,
    pull: mode === "stream",
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
      return engineClient(core, engineFor, mode);
    },
  };
}

function claudeClient(name: string, mode: Mode): ClientDefinition {
  return {
    name,
    label:
      mode === "stream"
        ? "geppetto createClaudeEngine (dist/), streamInference read with for await"
        : "geppetto createClaudeEngine (dist/), runInference with a sink",
    protocol: "anthropic",
    geppetto: true,
    pull: mode === "stream",
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
      return engineClient(core, engineFor, mode);
    },
  };
}

export const geppettoOpenAI = openAIClient("geppetto", "sink");
export const geppettoOpenAIStream = openAIClient("geppetto-stream", "stream");
export const geppettoClaude = claudeClient("geppetto-claude", "sink");
export const geppettoClaudeStream = claudeClient("geppetto-claude-stream", "stream");

/** Whether a geppetto engine client can run (its dist module is built). */
export function geppettoAvailable(client: ClientDefinition): boolean {
  if (client.geppetto && client.protocol === "openai") return distHas(OPENAI_ENGINE);
  if (client.geppetto && client.protocol === "anthropic") return distHas(CLAUDE_ENGINE);
  return true;
}
