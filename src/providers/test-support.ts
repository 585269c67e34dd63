/**
 * Test-only scaffolding shared by the provider test files: the local provider server started once per file (or
 * per describe), paths into the recorded fixtures, replaying a fixture through a real engine over HTTP, reading
 * the request body an engine sent, and a context that cancels at the first text delta.
 *
 * Not part of the build (`tsconfig.build.json` excludes `src/**\/test-support.ts`): it imports vitest.
 *
 * @example
 * const server = setupLocalServer();
 * it("replays a recorded stream", async () => {
 *   const engine = createClaudeEngine({ model: "m", apiKey: "k", baseURL: server.baseURL("anthropic") });
 *   const { text, result } = await replay(engine, server, { fixture: fixturePath("anthropic", "stream-text.chunks.txt") });
 *   expect(text).toContain("Hello");
 *   expect(result.finishClass).toBe("completed");
 * });
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { afterAll, afterEach, beforeAll, expect } from "vitest";
import { type Engine, type InferenceResult, KeyInferenceResult } from "../engine/engine.ts";
import type { InferenceConfig, ToolConfig } from "../engine/inference-config.ts";
import { InferenceOutput } from "../engine/output.ts";
import type { StructuredOutputConfig } from "../engine/structured-output.ts";
import type { ToolDescription } from "../engine/tools.ts";
import { CollectingSink, RunContext } from "../events/context.ts";
import { type PreparedInference, prepareTurn } from "../provider-kit/prepare.ts";
import {
  type ProviderServer,
  type ProviderServerOptions,
  type ResponseSpec,
  startProviderServer,
} from "../testing/provider-server/index.ts";
import {
  assistantText,
  newAssistantTextBlock,
  newSystemTextBlock,
  newTurn,
  newUserTextBlock,
  pendingToolCalls,
} from "../turns/builders.ts";
import { deepFreeze } from "../turns/immutable.ts";
import type { TurnDataKey } from "../turns/keys.ts";
import type {
  Block,
  BlockKind,
  ReasoningPayload,
  ToolCallBlock,
  ToolCallPayload,
  Turn,
} from "../turns/types.ts";
import { encodeJsonBody, hasJsonPieces } from "./transport/json-pieces.ts";

/** A folder of recorded provider files under `fixtures/providers/` (see its MANIFEST.md). */
export type FixtureFolder =
  | "openai-chat"
  | "openai-responses"
  | "anthropic"
  | "gemini"
  | "ollama"
  | "embeddings";

/**
 * Where the recorded provider files are: the repository's own `fixtures/providers/`. Its presence and the
 * checksum of every file in its MANIFEST are checked once before any test runs (`vitest.global-setup.ts`).
 */
export function providerFixturesRoot(): URL {
  return new URL("../../fixtures/providers/", import.meta.url);
}

/**
 * Starts the local provider server before the tests of the enclosing scope (file or `describe`), closes it after
 * them, and forgets the recorded requests after each test. Call it at the top level of a test file or of a
 * `describe` callback.
 *
 * Returns a handle that stands for the running server: every member reads the server started in `beforeAll`, so
 * use it inside tests and hooks only (reading it earlier throws, naming the cause).
 *
 * @example
 * const server = setupLocalServer();
 * it("sends the prompt", async () => {
 *   server.respond({ script: { text: "ok" } });
 *   // … run an engine against server.baseURL("openai-chat"), then assert server.requests[0]!.body
 * });
 */
export function setupLocalServer(options: ProviderServerOptions = {}): ProviderServer {
  let running: ProviderServer | undefined;
  const current = (): ProviderServer => {
    if (running === undefined) {
      throw new Error(
        "setupLocalServer: the local provider server runs only between its beforeAll and afterAll; use it inside a test or a hook",
      );
    }
    return running;
  };
  beforeAll(async () => {
    running = await startProviderServer(options);
  });
  afterAll(async () => {
    await running?.close();
    running = undefined;
  });
  afterEach(() => {
    if (running !== undefined) running.requests.length = 0;
  });
  return {
    get url() {
      return current().url;
    },
    get port() {
      return current().port;
    },
    get requests() {
      return current().requests;
    },
    get fetch() {
      return current().fetch;
    },
    baseURL: (protocol) => current().baseURL(protocol),
    enqueue: (...responses) => current().enqueue(...responses),
    respond: (response) => current().respond(response),
    close: () => current().close(),
  };
}

/**
 * The engine options that point an engine at the local server for `protocol`, with retries off so a recorded
 * error fails at once. Spread them into a provider's factory options.
 *
 * @example
 * const engine = createOpenAIChatEngine({ model: "gpt-4o-mini", apiKey: "test", ...serverOptions(server, "openai-chat") });
 */
export function serverOptions(
  server: ProviderServer,
  protocol: string,
): { baseURL: string; client: { maxRetries: number } } {
  return { baseURL: server.baseURL(protocol), client: { maxRetries: 0 } };
}

/**
 * A test file's engine maker: `create` called with `defaults()` overridden by the test's options. `defaults` is a
 * function so it can read the local server's address, which exists only once the tests run.
 *
 * @example
 * const engine = engineFactory(createOllamaEngine, () => ({ model: "gemma3:1b", ...serverOptions(server, "ollama") }));
 * await engine({ stream: false }).runInference(turn, RunContext.background());
 */
export function engineFactory<Options extends object, Made extends Engine>(
  create: (options: Options) => Made,
  defaults: () => NoInfer<Options>,
): (overrides?: Partial<Options>) => Made {
  return (overrides = {}) => create({ ...defaults(), ...overrides });
}

/**
 * The absolute path of a recorded file, for `server.respond({ fixture })` or for reading it.
 *
 * @example
 * server.respond({ fixture: fixturePath("openai-chat", "stream-tool-call.sse") });
 */
export function fixturePath(folder: FixtureFolder, name: string): string {
  return fileURLToPath(new URL(`${folder}/${name}`, providerFixturesRoot()));
}

/**
 * The parsed lines of a recorded `.chunks.txt` file: one JSON value a non-blank line.
 *
 * @example
 * const events = fixtureLines<AnthropicStreamEvent>("anthropic", "stream-text.chunks.txt");
 */
export function fixtureLines<T>(folder: FixtureFolder, name: string): T[] {
  return readFileSync(fixturePath(folder, name), "utf8")
    .split("\n")
    .filter((line) => line.trim().length > 0)
    .map((line) => JSON.parse(line) as T);
}

/** What {@link replay} hands back: the Turn, the events, and the views the conformance tests check. */
export interface Replayed {
  /** The Turn the engine resolved with. */
  turn: Turn;
  /** Every event the inference published. */
  sink: CollectingSink;
  /** The assistant text of the Turn (`assistantText`). */
  text: string;
  /** The payloads of the Turn's reasoning blocks, in order. */
  reasoning: ReasoningPayload[];
  /** The payloads of the pending tool calls, in order. */
  calls: ToolCallPayload[];
  /** The pending tool-call blocks themselves (for block metadata). */
  callBlocks: ToolCallBlock[];
  /** The Turn's `KeyInferenceResult`. */
  result: InferenceResult;
}

/**
 * Makes the server answer the next requests with `spec`, runs `engine` on `turn` (default: one user block
 * "hello") with a {@link CollectingSink}, and collects what the tests look at. Rejects as the engine does.
 *
 * @example
 * const { calls, result } = await replay(engine, server, { fixture: fixturePath("anthropic", "tool-use-no-args.json") });
 */
export async function replay(
  engine: Engine,
  server: ProviderServer,
  spec: ResponseSpec,
  turn: Turn = newTurn([newUserTextBlock("hello")]),
): Promise<Replayed> {
  server.respond(spec);
  const sink = new CollectingSink();
  const answered = await engine.runInference(turn, RunContext.background().withSinks(sink));
  const callBlocks = pendingToolCalls(answered);
  return {
    turn: answered,
    sink,
    text: assistantText(answered),
    reasoning: answered.blocks.flatMap((block) => (block.kind === "reasoning" ? [block.payload] : [])),
    calls: callBlocks.map((block) => block.payload),
    callBlocks,
    result: KeyInferenceResult.get(answered) as InferenceResult,
  };
}

/** What {@link replayStreamedAndWhole} compares between the streamed and the whole answer. */
export interface TurnSummary {
  /** The kinds of the Turn's blocks, in order. */
  kinds: BlockKind[];
  /** The payload of the first reasoning block (undefined when there is none). */
  reasoning: ReasoningPayload | undefined;
  /** The payloads of the pending tool calls. */
  calls: ToolCallPayload[];
  /** The result's finish class. */
  finishClass: InferenceResult["finishClass"];
}

/**
 * Replays `spec` twice, through `engineFor(true)` (streamed) and `engineFor(false)` (one whole response), on a
 * user block "hi", and summarizes both Turns, so a test can check that both paths build the same Turn.
 *
 * @example
 * const [streamed, whole] = await replayStreamedAndWhole(server, { script: { text: "Hi" } }, (stream) =>
 *   createClaudeEngine({ model: "m", apiKey: "k", baseURL: server.url, stream }),
 * );
 * expect(whole).toEqual(streamed);
 */
export async function replayStreamedAndWhole(
  server: ProviderServer,
  spec: ResponseSpec,
  engineFor: (stream: boolean) => Engine,
): Promise<[TurnSummary, TurnSummary]> {
  const summarize = async (stream: boolean): Promise<TurnSummary> => {
    const { turn, reasoning, calls, result } = await replay(
      engineFor(stream),
      server,
      spec,
      newTurn([newUserTextBlock("hi")]),
    );
    return {
      kinds: turn.blocks.map((block) => block.kind),
      reasoning: reasoning[0],
      calls,
      finishClass: result.finishClass,
    };
  };
  return [await summarize(true), await summarize(false)];
}

/**
 * Runs `engine` on `turn` against a server answering a short scripted text, and returns the JSON body of the
 * request the engine sent: the golden-request check without a real provider.
 *
 * @example
 * const body = await requestBodyFor(engine, server, newTurn([newUserTextBlock("Hi")]));
 * expect(body).toMatchObject({ model: "gpt-4o-mini" });
 */
export async function requestBodyFor(
  engine: Engine,
  server: ProviderServer,
  turn: Turn,
  ctx: RunContext = RunContext.background(),
): Promise<Record<string, unknown>> {
  server.respond({ script: { text: "ok" } });
  await engine.runInference(turn, ctx);
  return server.requests.at(-1)!.body as Record<string, unknown>;
}

/**
 * A context whose signal aborts as soon as the first text delta (`partial` event) is published: the caller
 * cancelling mid-stream, without timers.
 *
 * @example
 * const turn = await engine.runInference(newTurn([newUserTextBlock("count")]), cancelAtFirstText());
 * expect(KeyInferenceResult.get(turn)?.finishClass).toBe("interrupted");
 */
export function cancelAtFirstText(ctx: RunContext = RunContext.background()): RunContext {
  const controller = new AbortController();
  return ctx
    .withSinks({
      publish: (event) => {
        if (event.type === "partial") controller.abort();
      },
    })
    .withSignal(controller.signal);
}

/** What {@link runStreamHandler} hands back. */
export interface HandledStream<Outcome> {
  /** The finished Turn, or the partial Turn of the failure. */
  turn: Turn;
  /** Every event published. */
  sink: CollectingSink;
  /** The handler's outcome after the last event. */
  outcome: Outcome;
  /** The Turn's `KeyInferenceResult`. */
  result: InferenceResult;
  /** The blocks the handler added after the input's user block. */
  output: Block[];
}

/**
 * Drives a provider's stream handler without HTTP: makes an {@link InferenceOutput} for `provider` over a user
 * block "hi" with a {@link CollectingSink}, starts it, lets `feed` hand the wire events to the handler and return
 * its outcome, then finishes the output (or, for a `failed` outcome, fails it with the outcome's error).
 *
 * @example
 * const { output, result } = runStreamHandler("anthropic", (out) => {
 *   const handler = new ClaudeStreamHandler(out);
 *   for (const event of events) handler.handle(event);
 *   return handler.outcome;
 * });
 */
export function runStreamHandler<Outcome extends { kind: string; error?: unknown }>(
  provider: string,
  feed: (output: InferenceOutput) => Outcome,
): HandledStream<Outcome> {
  const sink = new CollectingSink();
  const input = newTurn([newUserTextBlock("hi")]);
  const out = new InferenceOutput(RunContext.background().withSinks(sink), input, { provider });
  out.start();
  const outcome = feed(out);
  const turn = outcome.kind === "failed" && outcome.error ? out.fail(outcome.error).turn! : out.finish();
  return { turn, sink, outcome, result: KeyInferenceResult.get(turn)!, output: turn.blocks.slice(1) };
}

/** The engine defaults a request-builder test gives in one object with the builder's own options. */
export interface RequestTestDefaults<P extends object> {
  tools?: ToolDescription[];
  inference?: InferenceConfig;
  toolConfig?: ToolConfig;
  structuredOutput?: StructuredOutputConfig;
  /** The provider's own defaults (resolved under `key`). */
  provider?: P;
}

/**
 * A request builder as the tests call it: `(turn, { model, stream, tools, inference, … })`, preparing the Turn
 * with `prepareTurn` first.
 *
 * @example
 * const buildClaudeRequest = preparedBuilder(buildFromPrepared, KeyClaudeInferenceConfig, "claude");
 */
export function preparedBuilder<P extends object, Options, Result>(
  build: (prepared: PreparedInference<P>, options: Options) => Result,
  key?: TurnDataKey<P>,
  field?: string,
): (turn: Turn, options?: Options & Omit<RequestTestDefaults<P>, "provider">) => Result {
  return (turn, options = {} as Options & RequestTestDefaults<P>) => {
    const defaults = options as RequestTestDefaults<P> & Record<string, unknown>;
    const provider = field === undefined ? undefined : (defaults[field] as P | undefined);
    const prepared = prepareTurn<P>(turn, defaults.tools ?? [], {
      inference: defaults.inference,
      tools: defaults.toolConfig,
      structuredOutput: defaults.structuredOutput,
      ...(key ? { provider: { key, defaults: provider } } : {}),
    });
    return build(prepared, options);
  };
}

/**
 * A conversation for the cached-pieces tests, frozen as a Session leaves it: a system block, then per round a
 * user question (quotes, backslashes, a newline), the provider's own blocks after it, on every third round its
 * tool round (reasoning, calls, results), the answer (`answer N` unless given) and the blocks after the answer.
 *
 * @example
 * const blocks = cachedConversation(40, { toolRound: (round) => [newToolCallBlock({ id: `c${round}`, name: "echo", args: {} })] });
 */
export function cachedConversation(
  rounds: number,
  shape: {
    toolRound: (round: number) => Block[];
    afterQuestion?: (round: number) => Block[];
    answer?: (round: number) => Block;
    afterAnswer?: (round: number) => Block[];
  },
): Block[] {
  const blocks: Block[] = [newSystemTextBlock("Be brief. ünïcødé ✓ 😀")];
  for (let round = 0; round < rounds; round++) {
    blocks.push(newUserTextBlock(`question ${round} "quoted" \\ back\nslash`));
    blocks.push(...(shape.afterQuestion?.(round) ?? []));
    if (round % 3 === 1) blocks.push(...shape.toolRound(round));
    blocks.push(shape.answer?.(round) ?? newAssistantTextBlock(`answer ${round}`));
    blocks.push(...(shape.afterAnswer?.(round) ?? []));
  }
  return blocks.map((block) => deepFreeze(block));
}

/** A request builder as the cached-pieces tests call it: the Turn, and whether to build from cached pieces. */
type CachedBuild = (turn: Turn, cacheMessages: boolean) => { body: object; warnings: string[] };

/**
 * For Turns of growing prefixes of `blocks`: the body built from cached pieces is, request after request, byte for
 * byte the plain one (encoded and through `JSON.stringify`).
 *
 * @example
 * expectCachedBodiesPlain(blocks, (turn, cacheMessages) => buildOllamaRequest(prepareTurn(turn, []), { model, cacheMessages }));
 */
export function expectCachedBodiesPlain(blocks: Block[], build: CachedBuild, turnOf = newTurn): void {
  const decoder = new TextDecoder();
  for (const length of [1, 2, 3, 5, 8, 17, 60, blocks.length - 1, blocks.length]) {
    const turn = turnOf(blocks.slice(0, length));
    const plain = JSON.stringify(build(turn, false).body);
    for (let request = 0; request < 2; request++) {
      const cached = build(turn, true).body;
      expect(hasJsonPieces(cached)).toBe(true);
      expect(decoder.decode(encodeJsonBody(cached))).toBe(plain);
      expect(JSON.stringify(cached)).toBe(plain);
    }
  }
}

/**
 * A Turn with a block the builder drops is built whole, not from cached pieces, so its warnings are still given.
 *
 * @example
 * expectCachedFallback([newOtherBlock("refusal", { text: "no" })], build, ["turn.blocks[0]: …"]);
 */
export function expectCachedFallback(blocks: Block[], build: CachedBuild, warnings: string[]): void {
  const turn = newTurn(blocks.map((block) => deepFreeze(block)));
  for (let request = 0; request < 2; request++) {
    const built = build(turn, true);
    expect(hasJsonPieces(built.body)).toBe(false);
    expect(built.warnings).toEqual(warnings);
  }
}
