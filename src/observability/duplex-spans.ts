/**
 * The spans of a duplex session, read off its response stream: one `duplex_session` span for the whole session
 * (failed when the session fails) and, for a realtime mode (whose exchanges are the provider model's answers),
 * one `chat {model}` span per exchange (GenAI conventions: provider, request model, token usage, finish reason,
 * time to first output) with an `execute_tool {name}` span per tool call under it. A VAD mode's exchanges are
 * unary inferences, traced by the Session it runs them in (session turn, iterations, inferences, tools) under the
 * `duplex_session` span. At debug, a `realtime turn` line per exchange. Without a tracer and a debug logger it is
 * not created.
 */
import type { RunContext } from "../events/context.ts";
import type { Usage } from "../events/types.ts";
import type { DuplexOutput } from "../sessions/duplex/types.ts";
import { genAIProviderName } from "./inference-observer.ts";
import { logEnabled } from "./logger.ts";
import { endToolSpan, openToolSpan } from "./tool-span.ts";
import { openSpan, type TraceSpan } from "./tracing.ts";

/** The provider model a realtime mode talks to (the driver's `traced`). */
export interface RealtimeModel {
  provider: string;
  model?: string;
}

/** Observes one duplex session; see the module comment. */
export interface DuplexObserver {
  /** The context the session's work runs in (the `duplex_session` span current). */
  readonly ctx: RunContext;
  /** A response chunk, as it is queued. */
  chunk(chunk: DuplexOutput): void;
  /** Text the caller sent (for `gen_ai.input.messages`, when the tracer captures content). */
  input(text: string): void;
  /** The session failed with `error`. */
  fail(error: unknown): void;
  /** The session ended: exchanges still open end as cancelled, then the session span. */
  end(): void;
}

interface OpenExchange {
  span: TraceSpan | undefined;
  ctx: RunContext;
  startedAt: number;
  firstOutputAt: number | undefined;
  interrupted: boolean;
  tools: Map<string, TraceSpan>;
  /** The user's and the model's words, kept only when the tracer captures content. */
  input: string;
  output: string;
}

function isAnswerOutput(chunk: DuplexOutput): boolean {
  return (
    chunk.type === "text-delta" ||
    chunk.type === "audio-delta" ||
    chunk.type === "tool-call" ||
    (chunk.type === "transcript" && chunk.role === "assistant")
  );
}

/**
 * Starts observing a duplex session, or returns undefined when the context neither traces nor logs at debug.
 *
 * @example
 * const observer = observeDuplexSession(ctx, session.id, { provider: "openai-realtime", model: "gpt-realtime" });
 */
export function observeDuplexSession(
  ctx: RunContext,
  sessionId: string,
  realtime: RealtimeModel | undefined,
): DuplexObserver | undefined {
  const debug = logEnabled(ctx.logger, "debug");
  if (ctx.tracer === undefined && !debug) return undefined;
  const captureContent = ctx.tracer?.captureContent === true;
  const provider = realtime ? genAIProviderName(realtime.provider) : undefined;
  const session = openSpan(ctx, "duplex_session", "duplex-session", {
    "gen_ai.conversation.id": sessionId,
    "gen_ai.provider.name": provider,
    "gen_ai.request.model": realtime?.model,
    "geppetto.duplex.mode": realtime ? "realtime" : "vad",
  });
  const sessionCtx = session?.ctx ?? ctx;
  const exchanges = new Map<string, OpenExchange>();
  /** Text sent before the exchange it belongs to began. */
  let pendingInput = "";

  const open = (turnId: string): OpenExchange => {
    const opened = realtime
      ? openSpan(sessionCtx, realtime.model ? `chat ${realtime.model}` : "chat", "inference", {
          "gen_ai.operation.name": "chat",
          "gen_ai.provider.name": provider,
          "gen_ai.request.model": realtime.model,
          "gen_ai.conversation.id": sessionId,
          "geppetto.provider": realtime.provider,
          "geppetto.turn.id": turnId,
        })
      : undefined;
    const exchange: OpenExchange = {
      span: opened?.span,
      ctx: opened?.ctx ?? sessionCtx,
      startedAt: performance.now(),
      firstOutputAt: undefined,
      interrupted: false,
      tools: new Map(),
      input: pendingInput,
      output: "",
    };
    pendingInput = "";
    exchanges.set(turnId, exchange);
    return exchange;
  };

  const close = (turnId: string, finish: string, usage: Usage | undefined, error?: unknown): void => {
    const exchange = exchanges.get(turnId);
    if (exchange === undefined) return;
    exchanges.delete(turnId);
    for (const tool of exchange.tools.values()) {
      if (error !== undefined) tool.recordError(error);
      tool.end();
    }
    const now = performance.now();
    const span = exchange.span;
    if (span) {
      span.setAttributes({
        "gen_ai.usage.input_tokens": usage?.inputTokens,
        "gen_ai.usage.output_tokens": usage?.outputTokens,
        "gen_ai.response.finish_reasons": [finish],
        "geppetto.finish_class": finish === "stop" ? "completed" : finish,
      });
      if (exchange.firstOutputAt !== undefined) {
        span.setAttributes({
          "geppetto.time_to_first_token_ms": exchange.firstOutputAt - exchange.startedAt,
        });
        const seconds = (now - exchange.firstOutputAt) / 1000;
        if (usage?.outputTokens !== undefined && seconds > 0)
          span.setAttributes({ "geppetto.output_tokens_per_second": usage.outputTokens / seconds });
      }
      if (captureContent)
        span.setAttributes({
          "gen_ai.input.messages": JSON.stringify([{ role: "user", content: exchange.input }]),
          "gen_ai.output.messages": JSON.stringify([{ role: "assistant", content: exchange.output }]),
        });
      if (error !== undefined) span.recordError(error);
      span.end();
    }
    if (realtime && debug) {
      ctx.logger.log(error === undefined ? "debug" : "warn", "realtime turn", {
        provider: realtime.provider,
        ...(realtime.model === undefined ? {} : { model: realtime.model }),
        turnId,
        finish,
        ...(usage?.inputTokens === undefined ? {} : { inputTokens: usage.inputTokens }),
        ...(usage?.outputTokens === undefined ? {} : { outputTokens: usage.outputTokens }),
        durationMs: Math.round(now - exchange.startedAt),
      });
    }
  };

  return {
    ctx: sessionCtx,
    chunk(chunk) {
      if (chunk.type === "error") return;
      if (chunk.type === "turn-start") {
        open(chunk.turnId);
        return;
      }
      const exchange = exchanges.get(chunk.turnId);
      if (exchange === undefined) return;
      if (exchange.firstOutputAt === undefined && isAnswerOutput(chunk)) {
        exchange.firstOutputAt = performance.now();
        exchange.span?.addEvent("gen_ai.first_token");
      }
      switch (chunk.type) {
        case "text-delta":
          if (captureContent) exchange.output += chunk.delta;
          return;
        case "transcript":
          if (captureContent) {
            if (chunk.role === "user") exchange.input += chunk.text;
            else exchange.output += chunk.text;
          }
          return;
        case "tool-call": {
          if (!realtime) return;
          const opened = openToolSpan(exchange.ctx, { id: chunk.id, name: chunk.name, args: chunk.args });
          if (opened) exchange.tools.set(chunk.id, opened.span);
          return;
        }
        case "tool-result": {
          const span = exchange.tools.get(chunk.id);
          if (span === undefined) return;
          exchange.tools.delete(chunk.id);
          const ok = chunk.error === undefined;
          endToolSpan(
            span,
            {
              status: ok ? "ok" : "error",
              result: chunk.result,
              attempts: 1,
              ...(ok ? {} : { error: chunk.error }),
            },
            captureContent,
          );
          return;
        }
        case "interrupted":
          exchange.interrupted = true;
          return;
        case "turn-end":
          close(
            chunk.turnId,
            chunk.interrupted || exchange.interrupted ? "interrupted" : "stop",
            chunk.usage,
          );
          return;
        default:
          return;
      }
    },
    input(text) {
      if (!captureContent) return;
      const waiting = [...exchanges.values()].find((exchange) => exchange.firstOutputAt === undefined);
      if (waiting) waiting.input += text;
      else pendingInput += text;
    },
    fail(error) {
      for (const turnId of [...exchanges.keys()]) close(turnId, "error", undefined, error);
      session?.span.recordError(error);
    },
    end() {
      for (const turnId of [...exchanges.keys()]) close(turnId, "cancelled", undefined);
      session?.span.end();
    },
  };
}
