/**
 * The chat without a terminal (standard input piped): each input line is a prompt; answers stream to stdout,
 * one per prompt, ending with a newline. Reasoning, tool calls and results, status lines (a retry) and the usage
 * line go to stderr.
 */
import { createInterface } from "node:readline";
import { GeppettoError } from "../../engine/errors.ts";
import type { GeppettoEvent } from "../../events/types.ts";
import type { Turn } from "../../turns/types.ts";
import type { CliIO } from "../main.ts";
import type { ChatBackend, ChatRun } from "./backend.ts";
import { formatAnswerFooter, formatStatus, formatToolCall, formatToolResult } from "./format.ts";
import { chatReducer, initialChatState } from "./view-model.ts";

/** Prints one answer's events in line mode: answer text to stdout, reasoning and tool lines to stderr. */
export function linePrinter(io: CliIO): (event: GeppettoEvent) => void {
  let thinking = false;
  return (event) => {
    if (event.type === "partial-thinking") {
      io.stderr.write(event.delta);
      thinking = true;
      return;
    }
    // Any other event ends a run of reasoning text (an answer, a tool call, or the end: final, interrupt, error).
    if (thinking) {
      io.stderr.write("\n");
      thinking = false;
    }
    if (event.type === "partial") io.stdout.write(event.delta);
    else if (event.type === "tool-call") {
      const { id, name, input } = event.toolCall;
      io.stderr.write(`${formatToolCall({ kind: "tool-call", id, name, input })}\n`);
    } else if (event.type === "tool-result") {
      io.stderr.write(`${formatToolResult({ kind: "tool-result", ...event.toolResult })}\n`);
    } else if (event.type === "status") io.stderr.write(`geppetto: ${formatStatus(event)}\n`);
  };
}

/** The usage line of an ended answer. */
function footerOf(outcome: { turn?: Turn; error?: string }): string | undefined {
  let state = chatReducer(initialChatState(), { type: "submitted", text: "" });
  state =
    outcome.error === undefined && outcome.turn
      ? chatReducer(state, { type: "finished", turn: outcome.turn })
      : chatReducer(state, {
          type: "failed",
          message: outcome.error ?? "failed",
          ...(outcome.turn ? { turn: outcome.turn } : {}),
        });
  const answer = state.messages.at(-1);
  return answer?.kind === "answer" ? formatAnswerFooter(answer) : undefined;
}

/**
 * Runs the chat over piped input. Returns 0 at the end of input, 1 when an answer failed, 130 on Ctrl-C
 * (the answer being written is cancelled and kept in the session).
 *
 * @example
 * // printf 'Hello\nAnd again\n' | geppetto chat
 * const code = await runLineChat(backend, io);
 */
export async function runLineChat(backend: ChatBackend, io: CliIO): Promise<number> {
  const lines = createInterface({ input: io.stdin, crlfDelay: Number.POSITIVE_INFINITY });
  let interrupted = false;
  let failed = false;
  let running: ChatRun | undefined;
  const stopListening = io.onInterrupt(() => {
    interrupted = true;
    running?.cancel();
    lines.close();
  });
  try {
    for await (const line of lines) {
      if (interrupted) break;
      if (line.trim() === "") continue;
      running = backend.start(line.trim(), linePrinter(io));
      let footer: string | undefined;
      try {
        footer = footerOf({ turn: await running.done });
      } catch (error) {
        failed = true;
        const message = error instanceof Error ? error.message : String(error);
        const turn = GeppettoError.is(error) ? error.turn : undefined;
        footer = footerOf({ error: message, ...(turn ? { turn } : {}) });
      }
      running = undefined;
      io.stdout.write("\n");
      if (footer !== undefined) io.stderr.write(`${footer}\n`);
      if (interrupted) break;
    }
  } finally {
    stopListening();
  }
  if (interrupted) return 130;
  return failed ? 1 : 0;
}
