/**
 * Internal to the sessions: the middleware a session adds to its engine (the rendered system prompt as the first
 * block, kept as is when unchanged so blocks stay shared; every inference's result recorded), and sums of usage
 * and cost over the inferences of one execute or duplex turn; the session machinery, loaded when a session opens.
 */
import { type Engine, type InferenceResult, KeyInferenceResult } from "../engine/engine.ts";
import { contextKey } from "../events/context.ts";
import type { Middleware } from "../middleware/compose.ts";
import type { EngineBuilder } from "../session/engine-builder.ts";
import type { Session } from "../session/session.ts";
import { newSystemTextBlock } from "../turns/builders.ts";

/**
 * What one execute records: its rendered system prompt and its inferences' results.
 *
 * @example
 * const record: RunRecord = { system: "Be brief.", results: [] };
 */
export interface RunRecord {
  system: string | undefined;
  results: InferenceResult[];
}

/**
 * The run context slot of the {@link RunRecord}.
 *
 * @example
 * RunContext.background().with(RunRecordKey, record)
 */
export const RunRecordKey = contextKey<RunRecord>("geppetto.sessions.unary_run");

/**
 * Puts the rendered system prompt first (keeping the block when its text is unchanged) and records results.
 *
 * @example
 * new EngineBuilder({ base: engine }).withMiddlewares(sessionMiddleware)
 */
export const sessionMiddleware: Middleware = (next) => async (turn, ctx) => {
  const record = ctx.get(RunRecordKey);
  let input = turn;
  if (record?.system !== undefined) {
    const first = turn.blocks[0];
    if (first?.kind !== "system" || first.payload.text !== record.system) {
      const block = newSystemTextBlock(record.system);
      input = {
        ...turn,
        blocks: first?.kind === "system" ? [block, ...turn.blocks.slice(1)] : [block, ...turn.blocks],
      };
    }
  }
  const output = await next(input, ctx);
  const result = KeyInferenceResult.get(output);
  if (result && record) record.results.push(result);
  return output;
};

/** What a session runs on: its engine as a builder with {@link sessionMiddleware}, and the Session class. */
export interface SessionParts {
  builder: EngineBuilder;
  Session: typeof Session;
}

/**
 * Loads the session machinery (EngineBuilder, Session and the tool loop behind them) when a session opens, so
 * that importing `geppetto/sessions` does not, and wraps `engine` with {@link sessionMiddleware}.
 *
 * @example
 * const { builder, Session } = await sessionParts(engine);
 * new Session({ runner: builder.build() });
 */
export async function sessionParts(engine: Engine | EngineBuilder): Promise<SessionParts> {
  const [{ EngineBuilder }, { Session }] = await Promise.all([
    import("../session/engine-builder.ts"),
    import("../session/session.ts"),
  ]);
  const builder = engine instanceof EngineBuilder ? engine : new EngineBuilder({ base: engine });
  return { builder: builder.withMiddlewares(sessionMiddleware), Session };
}
