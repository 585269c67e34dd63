/**
 * Guardrails: checks that run before the inference (on the input) and on the answer (on the final text, or on
 * the text as it streams). A tripped guardrail ends the run with a {@link GuardrailTrippedError} (code
 * `guardrail_tripped`, naming the guardrail and why) and a `custom` event `geppetto.guardrail_tripped`; a
 * streaming output guardrail cancels the inference at once, and the partial answer stays on the error's Turn.
 */
import { GeppettoError } from "../engine/errors.ts";
import { publish, type RunContext, sinkFrom } from "../events/context.ts";
import type { ToolLoopStatus } from "../toolloop/loop.ts";
import type { JsonValue } from "../turns/json.ts";
import type { Turn } from "../turns/types.ts";

/**
 * A guardrail's answer: `tripped: true` ends the run. Returning nothing (or `{ tripped: false }`) passes.
 *
 * @example
 * const verdict: GuardrailVerdict = { tripped: true, reason: "mentions a competitor" };
 */
export interface GuardrailVerdict {
  tripped: boolean;
  /** Why it tripped, for the error and the event. */
  reason?: string;
  /** Anything the guardrail wants to keep with the outcome (JSON). */
  info?: JsonValue;
}

/**
 * What a guardrail returns.
 *
 * @example
 * const check = ({ text }: { text: string }): GuardrailCheckResult => (text.length > 10_000 ? { tripped: true, reason: "too long" } : undefined);
 */
export type GuardrailCheckResult = GuardrailVerdict | undefined | Promise<GuardrailVerdict | undefined>;

/**
 * Runs on the input before the inference.
 *
 * @example
 * const noSecrets: InputGuardrail = {
 *   name: "no-secrets",
 *   check: ({ text }) => (/sk-[a-z0-9]{20}/i.test(text) ? { tripped: true, reason: "the prompt holds an API key" } : undefined),
 * };
 */
export interface InputGuardrail {
  name: string;
  /** `text` is the text of the input's last user block. */
  check(input: { text: string; turn: Turn }, ctx: RunContext): GuardrailCheckResult;
}

/**
 * Runs on the answer. With `streaming: true` it also runs on every new piece of text while the answer streams
 * (`final: false`; `delta` is the new piece, `text` all text so far) and a trip cancels the inference at once.
 * The final check (`final: true`) runs however the call ended, with `status` saying how: `completed`, or early
 * (`max_iterations`, `stopped` by `stopWhen`, `interrupted` by a cancel, on the partial answer).
 *
 * @example
 * const noPasswords: OutputGuardrail = {
 *   name: "no-passwords",
 *   streaming: true,
 *   check: ({ text }) => (text.includes("password:") ? { tripped: true, reason: "the answer leaks a password" } : undefined),
 * };
 */
export interface OutputGuardrail {
  name: string;
  streaming?: boolean;
  check(
    output: { text: string; delta: string; final: boolean; turn?: Turn; status?: ToolLoopStatus },
    ctx: RunContext,
  ): GuardrailCheckResult;
}

/**
 * Which guardrail tripped, where, and why.
 *
 * @example
 * error.trip // { guardrail: "no-keys", phase: "input", reason: "the prompt holds a key" }
 */
export interface GuardrailTrip {
  guardrail: string;
  phase: "input" | "output";
  reason: string;
  info?: JsonValue;
}

/**
 * A guardrail ended the run. `trip` says which and why; `turn` holds the Turn as far as it got (for an output
 * guardrail, the answer or the partial answer). Input trips are the caller's fault, output trips the model's.
 *
 * @example
 * try { await generateText({ model, prompt, inputGuardrails: [noSecrets] }) }
 * catch (error) { if (error instanceof GuardrailTrippedError) console.log(error.trip.guardrail, error.trip.reason) }
 */
export class GuardrailTrippedError extends GeppettoError {
  override name = "GuardrailTrippedError";
  readonly trip: GuardrailTrip;

  constructor(trip: GuardrailTrip, turn?: Turn) {
    super(`guardrail "${trip.guardrail}" tripped on the ${trip.phase}: ${trip.reason}`, {
      code: "guardrail_tripped",
      fault: trip.phase === "input" ? "caller" : "model",
      ...(turn ? { turn } : {}),
    });
    this.trip = trip;
  }
}

function tripOf(
  guardrail: { name: string },
  phase: GuardrailTrip["phase"],
  verdict: GuardrailVerdict,
): GuardrailTrip {
  return {
    guardrail: guardrail.name,
    phase,
    reason: verdict.reason ?? "no reason given",
    ...(verdict.info === undefined ? {} : { info: verdict.info }),
  };
}

function announce(ctx: RunContext, trip: GuardrailTrip): void {
  const payload: Record<string, JsonValue> = {
    guardrail: trip.guardrail,
    phase: trip.phase,
    reason: trip.reason,
  };
  if (trip.info !== undefined) payload.info = trip.info;
  publish(ctx, { type: "custom", name: "geppetto.guardrail_tripped", payload });
}

function lastUserText(turn: Turn): string {
  for (let index = turn.blocks.length - 1; index >= 0; index--) {
    const block = turn.blocks[index]!;
    if (block.kind === "user") return block.payload.text;
  }
  return "";
}

/**
 * Runs the input guardrails (in parallel); the first to trip, in list order, wins. Throws its
 * {@link GuardrailTrippedError} after publishing the event.
 *
 * @example
 * await runInputGuardrails([noSecrets], turn, ctx);
 */
export async function runInputGuardrails(
  guardrails: readonly InputGuardrail[] | undefined,
  turn: Turn,
  ctx: RunContext,
): Promise<void> {
  if (!guardrails || guardrails.length === 0) return;
  const text = lastUserText(turn);
  const verdicts = await Promise.all(guardrails.map((guardrail) => guardrail.check({ text, turn }, ctx)));
  verdicts.forEach((verdict, index) => {
    if (!verdict?.tripped) return;
    const trip = tripOf(guardrails[index]!, "input", verdict);
    announce(ctx, trip);
    throw new GuardrailTrippedError(trip, turn);
  });
}

/**
 * Runs the output guardrails on the final answer text (`status`: how the loop ended); throws the first trip (in
 * list order).
 *
 * @example
 * await runOutputGuardrails([noPasswords], answerText, turn, ctx, "completed");
 */
export async function runOutputGuardrails(
  guardrails: readonly OutputGuardrail[] | undefined,
  text: string,
  turn: Turn,
  ctx: RunContext,
  status: ToolLoopStatus = "completed",
): Promise<void> {
  if (!guardrails || guardrails.length === 0) return;
  const verdicts = await Promise.all(
    guardrails.map((guardrail) => guardrail.check({ text, delta: "", final: true, turn, status }, ctx)),
  );
  verdicts.forEach((verdict, index) => {
    if (!verdict?.tripped) return;
    const trip = tripOf(guardrails[index]!, "output", verdict);
    announce(ctx, trip);
    throw new GuardrailTrippedError(trip, turn);
  });
}

/**
 * Watches the streaming answer with the `streaming` output guardrails: adds a sink to `ctx` that runs them on
 * each text delta and, on a trip, publishes the event and aborts `controller`. `tripped()` gives the trip.
 * Each check sees only the new piece plus the text so far (no re-scan is forced on it).
 *
 * @example
 * const watch = watchStreamingOutput(guardrails, ctx, controller);
 * const out = await runToolLoop(turn, watch.ctx, options);
 * if (watch.tripped()) throw new GuardrailTrippedError(watch.tripped()!, out.turn);
 */
export function watchStreamingOutput(
  guardrails: readonly OutputGuardrail[] | undefined,
  ctx: RunContext,
  controller: AbortController,
): { ctx: RunContext; tripped: () => GuardrailTrip | undefined; settled: () => Promise<void> } {
  const streaming = (guardrails ?? []).filter((guardrail) => guardrail.streaming);
  let trip: GuardrailTrip | undefined;
  let pending: Promise<void> = Promise.resolve();
  if (streaming.length === 0) return { ctx, tripped: () => undefined, settled: () => pending };
  const decide = (guardrail: OutputGuardrail, verdict: GuardrailVerdict | undefined) => {
    if (trip || !verdict?.tripped) return;
    trip = tripOf(guardrail, "output", verdict);
    announce(ctx, trip);
    controller.abort(new GuardrailTrippedError(trip));
  };
  const sink = sinkFrom((event) => {
    if (trip || event.type !== "partial") return;
    const output = { text: event.completion, delta: event.delta, final: false };
    for (const guardrail of streaming) {
      const verdict = guardrail.check(output, ctx);
      if (verdict instanceof Promise) {
        pending = pending.then(() => verdict).then((value) => decide(guardrail, value));
      } else decide(guardrail, verdict);
    }
  });
  return { ctx: ctx.withSinks(sink), tripped: () => trip, settled: () => pending };
}
