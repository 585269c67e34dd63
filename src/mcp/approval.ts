/**
 * Approval of MCP tool calls: a StepController that lets every call of a local tool or of a trusted server's tool
 * run, and asks (a user, a policy) before each call of an untrusted server's tool; a refusal becomes a denial
 * the model reads. Imports neither the SDK nor zod (the chat loads it at start-up).
 */
import { StepController, type StepDecision } from "../toolloop/step-control.ts";
import type { ToolRegistry } from "../tools/registry.ts";
import type { McpToolOrigin } from "./tools.ts";

/**
 * The step controller: each call of an untrusted server's tool runs only if `ask` resolves true.
 *
 * @example
 * const steps = mcpApproval(mcp.registry, (question) => controller.askApproval(question));
 */
export function mcpApproval(
  registry: ToolRegistry,
  ask: (question: string) => Promise<boolean>,
): StepController {
  return new StepController({
    afterInference: true,
    async decide(pause) {
      const deny: NonNullable<StepDecision["deny"]>[number][] = [];
      for (const call of pause.toolCalls) {
        // An MCP tool carries its origin (what `isMcpTool` checks; not imported: it would load zod).
        const origin = (registry.get(call.name) as { mcp?: McpToolOrigin } | undefined)?.mcp;
        if (origin === undefined || origin.trusted) continue;
        const question = `Run ${origin.tool} on MCP server ${origin.server} with ${JSON.stringify(call.args)}?`;
        if (!(await ask(question)))
          deny.push({ id: call.id, reason: `MCP server ${origin.server} is not trusted` });
      }
      return { deny };
    },
  });
}
