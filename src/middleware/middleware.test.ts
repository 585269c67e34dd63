import { describe, expect, it } from "vitest";
import { CollectingSink, RunContext } from "../events/context.ts";
import { ScriptedEngine, script } from "../testing/scripted-engine.ts";
import type { SnapshotPhase } from "../toolloop/snapshot.ts";
import {
  newSystemTextBlock,
  newToolCallBlock,
  newToolUseBlock,
  newTurn,
  newUserTextBlock,
} from "../turns/builders.ts";
import type { Turn } from "../turns/types.ts";
import { composeMiddleware, type Middleware, withMiddleware } from "./compose.ts";
import { loggingMiddleware } from "./logging.ts";
import { PromptVariablesKey, renderTemplate, systemPromptMiddleware } from "./system-prompt.ts";
import { toolResultReorderMiddleware } from "./tool-result-reorder.ts";
import { turnSnapshotMiddleware } from "./turn-snapshot.ts";

const tagging =
  (name: string, order: string[]): Middleware =>
  (next) =>
  async (turn, ctx) => {
    order.push(`${name}>`);
    const out = await next(turn, ctx);
    order.push(`<${name}`);
    return out;
  };

describe("middleware", () => {
  it("composes with the first middleware outermost", async () => {
    const order: string[] = [];
    const handler = composeMiddleware(
      tagging("a", order),
      tagging("b", order),
    )(async (turn) => {
      order.push("engine");
      return turn;
    });
    await handler(newTurn(), RunContext.background());
    expect(order).toEqual(["a>", "b>", "engine", "<b", "<a"]);
  });

  it("system prompt inserts or replaces, rendering variables on every inference", async () => {
    const engine = new ScriptedEngine([script.text("ok")], { repeatLast: true, recordInputs: true });
    const wrapped = withMiddleware(engine, systemPromptMiddleware("You help {{user.name}} ({{plan}})."));
    const variables = { user: { name: "Ada" }, plan: "pro" };
    await wrapped.runInference(
      newTurn([newUserTextBlock("hi")]),
      RunContext.background().with(PromptVariablesKey, variables),
    );
    await wrapped.runInference(
      newTurn([newSystemTextBlock("old"), newUserTextBlock("hi")]),
      RunContext.background().with(PromptVariablesKey, { ...variables, plan: "free" }),
    );
    const systemTexts = engine.inputs.map((turn) =>
      turn.blocks
        .filter((block) => block.kind === "system")
        .map((block) => (block.payload as { text: string }).text),
    );
    expect(systemTexts).toEqual([["You help Ada (pro)."], ["You help Ada (free)."]]);
    expect(renderTemplate("{{missing}}!", {})).toBe("!");
  });

  it("tool-result reorder moves results right after their calls", async () => {
    const seen: Turn[] = [];
    const handler = toolResultReorderMiddleware()(async (turn) => {
      seen.push(turn);
      return turn;
    });
    const turn = newTurn([
      newUserTextBlock("q"),
      newToolCallBlock({ id: "a", name: "t", args: {} }),
      newToolCallBlock({ id: "b", name: "t", args: {} }),
      newUserTextBlock("interjection"),
      newToolUseBlock("b", 2),
      newToolUseBlock("a", 1),
    ]);
    await handler(turn, RunContext.background());
    expect(
      seen[0]!.blocks.map((block) => (block.kind === "tool_use" ? `use:${block.payload.id}` : block.kind)),
    ).toEqual(["user", "tool_call", "tool_call", "use:a", "use:b", "user"]);
  });

  it("logging publishes log events, or calls a logger", async () => {
    const sink = new CollectingSink();
    const engine = new ScriptedEngine([script.text("ok")], { repeatLast: true });
    await withMiddleware(engine, loggingMiddleware()).runInference(
      newTurn(),
      RunContext.background().withSinks(sink),
    );
    expect(sink.ofType("log").map((event) => event.message)).toEqual([
      "inference started",
      "inference finished",
    ]);
    const lines: string[] = [];
    await withMiddleware(
      engine,
      loggingMiddleware((level, message, fields) =>
        lines.push(`${level} ${message} ${fields.finishClass ?? ""}`),
      ),
    ).runInference(newTurn(), RunContext.background());
    expect(lines).toEqual(["debug inference started ", "info inference finished completed"]);
  });

  it("turn-snapshot hands the Turn to the hook before and after the inference", async () => {
    const phases: [SnapshotPhase, number][] = [];
    const engine = new ScriptedEngine([script.text("ok")]);
    await withMiddleware(
      engine,
      turnSnapshotMiddleware((turn, phase) => void phases.push([phase, turn.blocks.length])),
    ).runInference(newTurn([newUserTextBlock("q")]), RunContext.background());
    expect(phases).toEqual([
      ["pre_inference", 1],
      ["post_inference", 2],
    ]);
  });
});
