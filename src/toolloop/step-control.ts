/**
 * Step control: the tool loop pauses after an inference (before running its tool calls) and/or after the tools,
 * and waits for a caller to decide. After an inference the caller approves or denies each pending call (a
 * denial becomes an error result the model sees); after the tools it lets the loop continue or stops it.
 * A pause publishes a `custom` event `geppetto.step_paused`; it ends with a decision, its timeout, or cancellation.
 */
import { publish, type RunContext } from "../events/context.ts";
import { newId } from "../turns/builders.ts";
import type { JsonValue } from "../turns/json.ts";
import type { ToolCallPayload, Turn } from "../turns/types.ts";

/** Where the loop pauses. */
export type StepPhase = "after_inference" | "after_tools";

/** One pause, waiting for a decision. */
export interface StepPause {
  id: string;
  phase: StepPhase;
  turn: Turn;
  /** The calls awaiting approval (`after_inference`); empty after tools. */
  toolCalls: ToolCallPayload[];
}

/**
 * A decision. `stop: true` ends the loop (status `stopped`). Otherwise every call runs except those in `deny`
 * (by tool call id, with an optional reason); when `approve` is given, calls missing from it are denied too.
 */
export interface StepDecision {
  approve?: readonly string[];
  deny?: readonly (string | { id: string; reason?: string })[];
  stop?: boolean;
}

/** What happens when nobody decides within `timeoutMs`. */
export type StepTimeoutBehaviour = "approve" | "deny" | "stop";

/** Step control settings. */
export interface StepControlOptions {
  /** Pause after each inference that has pending tool calls. Default true. */
  afterInference?: boolean;
  /** Pause after each round of tools. Default false. */
  afterTools?: boolean;
  /** How long a pause waits. Default: forever (until decided or cancelled). */
  timeoutMs?: number;
  /** What a timed-out pause decides. Default `deny` (nothing runs without approval). */
  onTimeout?: StepTimeoutBehaviour;
  /** Decides programmatically instead of waiting for {@link StepController.decide}. */
  decide?: (pause: StepPause, ctx: RunContext) => StepDecision | Promise<StepDecision>;
}

interface Waiting {
  pause: StepPause;
  resolve: (decision: StepDecision) => void;
}

/** The outcome of a pause for the loop: a decision, or `cancelled`. */
export type StepOutcome = { decision: StepDecision; timedOut: boolean } | { cancelled: true };

/**
 * Pauses the tool loop for approval.
 *
 * @example
 * const steps = new StepController({ afterInference: true });
 * steps.onPause((pause) => steps.decide(pause.id, { deny: [{ id: pause.toolCalls[0]!.id, reason: "not now" }] }));
 */
export class StepController {
  readonly options: StepControlOptions;
  readonly #waiting = new Map<string, Waiting>();
  readonly #listeners = new Set<(pause: StepPause) => void>();

  constructor(options: StepControlOptions = {}) {
    this.options = options;
  }

  /** Whether the loop pauses at this phase. */
  pausesAt(phase: StepPhase): boolean {
    return phase === "after_inference"
      ? this.options.afterInference !== false
      : this.options.afterTools === true;
  }

  /** The pauses waiting for a decision. */
  pending(): StepPause[] {
    return [...this.#waiting.values()].map((waiting) => waiting.pause);
  }

  /** Calls `listener` on every pause; returns a function that stops it. */
  onPause(listener: (pause: StepPause) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Decides a pause. Returns false when no such pause is waiting (already decided, timed out, cancelled). */
  decide(pauseId: string, decision: StepDecision): boolean {
    const waiting = this.#waiting.get(pauseId);
    if (!waiting) return false;
    this.#waiting.delete(pauseId);
    waiting.resolve(decision);
    return true;
  }

  /** Waits at a pause (used by the tool loop). Leaves no timer or listener behind. */
  async wait(
    phase: StepPhase,
    turn: Turn,
    toolCalls: ToolCallPayload[],
    ctx: RunContext,
  ): Promise<StepOutcome> {
    const pause: StepPause = { id: newId(), phase, turn, toolCalls };
    const payload: JsonValue = {
      pauseId: pause.id,
      phase,
      toolCalls: toolCalls.map((call) => ({ id: call.id, name: call.name, args: call.args })),
    };
    publish(ctx, { type: "custom", name: "geppetto.step_paused", payload });
    if (ctx.signal.aborted) return { cancelled: true };
    let timer: NodeJS.Timeout | undefined;
    let onAbort: (() => void) | undefined;
    try {
      return await new Promise<StepOutcome>((resolve) => {
        this.#waiting.set(pause.id, { pause, resolve: (decision) => resolve({ decision, timedOut: false }) });
        onAbort = () => {
          this.#waiting.delete(pause.id);
          resolve({ cancelled: true });
        };
        ctx.signal.addEventListener("abort", onAbort, { once: true });
        if (this.options.timeoutMs !== undefined) {
          timer = setTimeout(() => {
            this.#waiting.delete(pause.id);
            resolve({
              decision: timeoutDecision(this.options.onTimeout ?? "deny", toolCalls),
              timedOut: true,
            });
          }, this.options.timeoutMs);
        }
        for (const listener of this.#listeners) listener(pause);
        if (this.options.decide) {
          Promise.resolve(this.options.decide(pause, ctx)).then(
            (decision) => this.decide(pause.id, decision),
            (error: unknown) =>
              this.decide(pause.id, {
                deny: toolCalls.map((call) => ({
                  id: call.id,
                  reason: `step control failed: ${String(error)}`,
                })),
              }),
          );
        }
      });
    } finally {
      if (timer) clearTimeout(timer);
      if (onAbort) ctx.signal.removeEventListener("abort", onAbort);
      this.#waiting.delete(pause.id);
    }
  }
}

function timeoutDecision(behaviour: StepTimeoutBehaviour, toolCalls: ToolCallPayload[]): StepDecision {
  if (behaviour === "approve") return {};
  if (behaviour === "stop") return { stop: true };
  return { deny: toolCalls.map((call) => ({ id: call.id, reason: "no approval before the step timeout" })) };
}

/**
 * The denied calls of a decision, with their reasons.
 *
 * @example
 * deniedCalls({ approve: ["c1"] }, [c1, c2]) // Map { "c2" => "not approved" }
 */
export function deniedCalls(
  decision: StepDecision,
  toolCalls: readonly ToolCallPayload[],
): Map<string, string> {
  const denied = new Map<string, string>();
  for (const entry of decision.deny ?? []) {
    if (typeof entry === "string") denied.set(entry, "denied");
    else denied.set(entry.id, entry.reason ?? "denied");
  }
  if (decision.approve) {
    const approved = new Set(decision.approve);
    for (const call of toolCalls)
      if (!approved.has(call.id) && !denied.has(call.id)) denied.set(call.id, "not approved");
  }
  return denied;
}
