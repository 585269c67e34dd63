/**
 * The toy engine: the request builder (Turn → toy body), the reducer (toy lines → InferenceOutput) and the engine
 * (the kit's HttpEngine with those two), in one file because the wire is tiny.
 */
import type { Engine } from "../../../engine/engine.ts";
import type { InferenceOutput } from "../../../engine/output.ts";
import type { RunContext } from "../../../events/context.ts";
import type { JsonObject } from "../../../turns/json.ts";
import type { Turn } from "../../../turns/types.ts";
import { HttpEngine, type HttpEngineOptions } from "../../http-engine.ts";
import { type PreparedInference, prepareInference } from "../../prepare.ts";
import { midStreamError } from "../../stream-error.ts";
import { toyProvider } from "./descriptor.ts";

/** One line of a toy answer. */
export interface ToyLine {
  text?: string;
  call?: { id: string; name: string; args: JsonObject };
  done?: "stop" | "limit";
  usage?: { input: number; output: number };
  error?: string;
}

/** Turn → toy body; every setting the toy wire has no field for is a warning. */
export function buildToyRequest(prepared: PreparedInference, options: { model: string; stream: boolean }) {
  const { turn, inference, drop } = prepared;
  const messages: JsonObject[] = [];
  turn.blocks.forEach((block, index) => {
    if (block.kind === "system" || block.kind === "user" || block.kind === "llm_text") {
      const role = block.kind === "llm_text" ? "assistant" : block.kind;
      if (block.payload.text) messages.push({ role, text: block.payload.text });
    } else if (block.kind === "tool_call") {
      messages.push({ role: "assistant", call: { ...block.payload } });
    } else if (block.kind === "tool_use") {
      messages.push({ role: "tool", id: block.payload.id, output: block.payload.result });
    } else prepared.warnings.push(`turn.blocks[${index}] (${block.kind}): not sent to toy`);
  });
  const body: JsonObject = { model: options.model, stream: options.stream, messages };
  if (prepared.tools.length > 0)
    body.tools = prepared.tools.map(({ name, parameters }) => ({ name, parameters }));
  if (inference.temperature !== undefined) body.temperature = inference.temperature;
  if (inference.maxResponseTokens !== undefined) body.max_tokens = inference.maxResponseTokens;
  const none = "the toy wire has no field for it";
  for (const setting of ["topP", "stop", "seed", "thinkingBudget", "reasoningEffort"] as const)
    drop(setting, inference[setting], none);
  drop("reasoningSummary", inference.reasoningSummary, none);
  drop("includeThoughts", inference.includeThoughts, none);
  drop("toolChoice", prepared.toolConfig.toolChoice, none);
  if (prepared.toolConfig.parallelToolCalls === false) drop("parallelToolCalls", false, none);
  return { body, warnings: prepared.warnings };
}

/** Toy lines → blocks and events. */
class ToyStream {
  done = false;
  constructor(readonly out: InferenceOutput) {}

  handle(line: ToyLine): void {
    if (line.error !== undefined) throw midStreamError({ provider: "toy", message: line.error });
    if (line.text) this.out.text(line.text);
    if (line.call) this.out.toolCall(line.call);
    if (line.done) {
      this.done = true;
      this.out.stop(line.done, line.done === "limit" ? "max_tokens" : undefined);
      if (line.usage) this.out.usage({ inputTokens: line.usage.input, outputTokens: line.usage.output });
    }
  }
}

class ToyEngine extends HttpEngine<HttpEngineOptions> implements Engine {
  constructor(options: HttpEngineOptions) {
    super(options, {
      factory: "createToyEngine",
      provider: toyProvider.id,
      source: toyProvider,
      auth: (apiKey) => ({ authorization: `Bearer ${apiKey}` }),
    });
  }

  runInference(turn: Turn, ctx: RunContext): Promise<Turn> {
    const prepared = prepareInference(turn, ctx, {
      dialect: "json-schema",
      inference: this.options.inference,
    });
    const { body } = buildToyRequest(prepared, { model: this.options.model, stream: this.streaming });
    return this.exchange<{ lines: ToyLine[] }>(turn, ctx, prepared, (out) => {
      const stream = new ToyStream(out);
      return {
        path: "/generate",
        body,
        framing: this.streaming ? "ndjson" : undefined,
        onEvent: (line) => stream.handle(JSON.parse(line) as ToyLine),
        onWhole: (whole) => {
          for (const line of whole.lines) stream.handle(line);
        },
        end: () => {
          if (!stream.done) throw new Error("toy: the answer ended before its done line");
        },
      };
    });
  }
}

/** The toy engine factory. */
export const createToyEngine = (options: HttpEngineOptions): Engine => new ToyEngine(options);
