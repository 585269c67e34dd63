/**
 * Approval of tools marked `needsApproval` in the CLI: before such a call runs, `run` asks on the terminal
 * (`Allow …? [y/N]`); without a terminal the call is refused unless `--yes` was given. The model reads a
 * refusal as the call's error result. Tools without `needsApproval` run without asking.
 */
import { createInterface } from "node:readline";
import { StepController, type StepDecision } from "../toolloop/step-control.ts";
import type { ToolRegistry } from "../tools/registry.ts";
import type { CliIO } from "./main.ts";

/** A step controller that asks about approval-needing calls, and how to release the terminal afterwards. */
export interface ToolApproval {
  stepControl: StepController;
  close(): void;
}

/**
 * The approval step control for a registry, or undefined when none of its tools needs approval.
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
  if (!registry.list().some((tool) => tool.needsApproval !== undefined)) return undefined;
  let lines: AsyncIterator<string> | undefined;
  let close = () => {};
  const ask = async (question: string): Promise<boolean> => {
    if (!lines) {
      const reader = createInterface({ input: io.stdin, terminal: false });
      lines = reader[Symbol.asyncIterator]();
      close = () => reader.close();
    }
    io.stderr.write(question);
    const answer = await lines.next();
    return !answer.done && /^\s*y(es)?\s*$/i.test(answer.value);
  };
  const stepControl = new StepController({
    afterInference: true,
    async decide(pause): Promise<StepDecision> {
      const deny: { id: string; reason: string }[] = [];
      for (const call of pause.toolCalls) {
        const tool = registry.get(call.name);
        if (!tool?.needsApproval || !(await tool.needsApproval(call.args))) continue;
        const shown = `tool "${call.name}" with ${JSON.stringify(call.args)}`;
        if (assumeYes) continue;
        if (!io.stdin.isTTY) {
          io.stderr.write(
            `geppetto: refused ${shown}: it needs approval and there is no terminal to ask (use --yes)\n`,
          );
          deny.push({ id: call.id, reason: "it needs approval and nobody could be asked" });
        } else if (!(await ask(`Allow ${shown}? [y/N] `))) {
          deny.push({ id: call.id, reason: "the user refused" });
        }
      }
      return { deny };
    },
  });
  return { stepControl, close: () => close() };
}
