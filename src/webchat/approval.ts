/**
 * Approval in the web chat: before a call of a tool marked `needsApproval` runs, the conversation shows an
 * `approval` entity (`approval:<call id>`, the tool's name and arguments) and the tool loop waits until someone
 * presses Approve or Deny on the page (`POST /chat/approve`). A denial is the call's error result, which the
 * model reads; Stop cancels the wait (the entity ends cancelled). Tools without `needsApproval` run at once.
 *
 * The decision reaches the instance running the answer: with several instances, a decision posted to another one
 * travels over the relay (`WebChatRelay.requestApproval`) to the one holding the run.
 */
import type { RunContext } from "../events/context.ts";
import { StepController, type StepDecision, type StepPause } from "../toolloop/step-control.ts";
import type { ToolRegistry } from "../tools/registry.ts";
import type { ToolCallPayload } from "../turns/types.ts";
import type { FrameDraft, FrameValue } from "./frames.ts";

/** The reason a denied call gets (what the model reads). */
export const DENIED_REASON = "the user denied it in the web chat";

/**
 * The approvals of one conversation.
 *
 * @example
 * const approvals = new WebChatApprovals(registry, (draft) => emit(draft));
 * builder = builder.withStepControl(approvals.stepControl!);
 * approvals.answer("call_1", true); // from POST /chat/approve
 */
export class WebChatApprovals {
  /** The step control to give the tool loop; undefined when no tool of the registry needs approval. */
  readonly stepControl: StepController | undefined;
  readonly #registry: ToolRegistry;
  readonly #emit: (draft: FrameDraft) => void;
  readonly #pending = new Map<string, (approved: boolean) => void>();

  constructor(registry: ToolRegistry, emit: (draft: FrameDraft) => void) {
    this.#registry = registry;
    this.#emit = emit;
    this.stepControl = registry.list().some((tool) => tool.needsApproval !== undefined)
      ? new StepController({ afterInference: true, decide: (pause, ctx) => this.#decide(pause, ctx) })
      : undefined;
  }

  /** Decides a waiting call; false when none with this id waits (decided already, cancelled, or unknown). */
  answer(callId: string, approved: boolean): boolean {
    const resolve = this.#pending.get(callId);
    if (!resolve) return false;
    this.#pending.delete(callId);
    resolve(approved);
    return true;
  }

  async #needsApproval(call: ToolCallPayload): Promise<boolean> {
    const tool = this.#registry.get(call.name);
    return tool?.needsApproval !== undefined && (await tool.needsApproval(call.args));
  }

  async #decide(pause: StepPause, ctx: RunContext): Promise<StepDecision> {
    const asked: Promise<{ id: string; approved: boolean }>[] = [];
    for (const call of pause.toolCalls) {
      if (await this.#needsApproval(call)) asked.push(this.#ask(call, ctx));
    }
    const answers = await Promise.all(asked);
    return {
      deny: answers.filter((answer) => !answer.approved).map(({ id }) => ({ id, reason: DENIED_REASON })),
    };
  }

  #ask(call: ToolCallPayload, ctx: RunContext): Promise<{ id: string; approved: boolean }> {
    const id = `approval:${call.id}`;
    this.#emit({
      type: "approval.request",
      id,
      kind: "approval",
      status: "streaming",
      data: { callId: call.id, name: call.name, args: call.args as FrameValue },
    });
    return new Promise((resolve) => {
      if (ctx.signal.aborted) return resolve({ id: call.id, approved: false });
      const onAbort = () => {
        // Stop pressed while waiting: the loop ends cancelled; the entity is settled with the answer.
        this.#pending.delete(call.id);
        resolve({ id: call.id, approved: false });
      };
      ctx.signal.addEventListener("abort", onAbort, { once: true });
      this.#pending.set(call.id, (approved) => {
        ctx.signal.removeEventListener("abort", onAbort);
        this.#emit({
          type: "approval.decided",
          id,
          kind: "approval",
          status: "done",
          data: { decision: approved ? "approved" : "denied" },
        });
        resolve({ id: call.id, approved });
      });
    });
  }
}
