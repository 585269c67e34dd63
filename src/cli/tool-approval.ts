/**
 * Approval of tools marked `needsApproval` in the CLI: before such a call runs, `run` asks on the terminal
 * (`Allow …? [y/N]`); without a terminal the call is refused unless `--yes` was given. The model reads a
 * refusal as the call's error result. Tools without `needsApproval` run without asking.
 */
import { StepController, type StepDecision } from "../toolloop/step-control.ts";
import type { ToolRegistry } from "../tools/registry.ts";
import type { CliIO } from "./main.ts";

/** A step controller that asks about approval-needing calls, and how to release the terminal afterwards. */
export interface ToolApproval {
  stepControl: StepController;
  close(): void;
}

/**
 * A step controller that asks before each call of a tool marked `needsApproval`: `ask` resolves true to allow
 * it, or with the reason of the refusal (what the model reads). Undefined when no tool of the registry needs
 * approval. Used by `run` (terminal prompt, `--yes`) and `chat` (its approval question).
 *
 * @example
 * const steps = needsApprovalControl(registry, async (question) => (await confirm(question)) || "the user refused");
 */
export function needsApprovalControl(
  registry: ToolRegistry,
  ask: (question: string) => Promise<true | string>,
): StepController | undefined {
  if (!registry.list().some((tool) => tool.needsApproval !== undefined)) return undefined;
  return new StepController({
    afterInference: true,
    async decide(pause): Promise<StepDecision> {
      const deny: { id: string; reason: string }[] = [];
      for (const call of pause.toolCalls) {
        const tool = registry.get(call.name);
        if (!tool?.needsApproval || !(await tool.needsApproval(call.args))) continue;
        const answer = await ask(`Allow tool "${call.name}" with ${JSON.stringify(call.args)}?`);
        if (answer !== true) deny.push({ id: call.id, reason: answer });
      }
      return { deny };
    },
  });
}

/**
 * The approval step control of `run`, or undefined when no tool of the registry needs approval: with `--yes`
 * every call runs; on a terminal it asks `[y/N]`; without one the call is refused (and stderr says so).
 *
 * @example
 * const approval = toolApproval(registry, io, values.yes === true);
 * const engine = new ToolLoopEngine({ engine, registry, ...(approval ? { stepControl: approval.stepControl } : {}) });
 */
export function toolApproval(
  registry: ToolRegistry,
  io: CliIO,
  assumeYes: boolean,
): ToolApproval | undefined {
  let lines: AsyncIterator<string> | undefined;
  let close = () => {};
  const ask = async (question: string): Promise<true | string> => {
    if (assumeYes) return true;
    if (!io.stdin.isTTY) {
      io.stderr.write(
        `geppetto: refused: ${question} It needs approval and there is no terminal to ask (use --yes)\n`,
      );
      return "it needs approval and nobody could be asked";
    }
    if (!lines) {
      // node:readline only when a question is asked: `run` without tools never loads it.
      const reader = process
        .getBuiltinModule("node:readline")
        .createInterface({ input: io.stdin, terminal: false });
      lines = reader[Symbol.asyncIterator]();
      close = () => reader.close();
    }
    io.stderr.write(`${question} [y/N] `);
    const answer = await lines.next();
    return (!answer.done && /^\s*y(es)?\s*$/i.test(answer.value)) || "the user refused";
  };
  const stepControl = needsApprovalControl(registry, ask);
  return stepControl ? { stepControl, close: () => close() } : undefined;
}
