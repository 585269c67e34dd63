/**
 * The chat without a terminal (standard input piped): each input line is a prompt or a slash command; answers
 * stream to stdout, one per prompt, ending with a newline. Reasoning, tool calls and results, status lines (a
 * retry), the usage line and what the slash commands answer go to stderr.
 */
import { createInterface } from "node:readline";
import type { GeppettoEvent } from "../../events/types.ts";
import type { Attachments } from "../attachments.ts";
import type { CliIO } from "../main.ts";
import type { ChatBackend } from "./backend.ts";
import { ChatController } from "./controller.ts";
import type { EngineSwitch } from "./engine-switch.ts";
import { formatAnswerFooter, formatStatus, formatToolCall, formatToolResult } from "./format.ts";

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

/** What the piped chat shares with the terminal one. */
export interface LineChatOptions {
  /** Where /save and /attach resolve relative paths. */
  cwd: string;
  /** Switches the model or profile (/model, /profile). */
  engines?: EngineSwitch;
  /** Files sent with the first prompt (`chat --attach`). */
  attachments?: Attachments;
}

/**
 * Runs the chat over piped input: each line is a prompt, or a slash command (the same commands as the terminal
 * chat, through the same controller; their answers go to stderr, so stdout holds the answers only). Returns 0 at
 * the end of input or on /exit, 1 when an answer failed, 130 on Ctrl-C (the answer being written is cancelled and
 * kept in the session).
 *
 * @example
 * // printf 'Hello\n/model openai:gpt-4o\nAnd again\n' | geppetto chat
 * const code = await runLineChat(backend, io, { cwd: process.cwd() });
 */
export async function runLineChat(
  backend: ChatBackend,
  io: CliIO,
  options: LineChatOptions,
): Promise<number> {
  const lines = createInterface({ input: io.stdin, crlfDelay: Number.POSITIVE_INFINITY });
  const controller = new ChatController(backend, {
    // No screen: nothing is redrawn, and rows are never broken.
    columns: 1_000_000,
    cwd: options.cwd,
    ...(options.engines ? { engines: options.engines } : {}),
    ...(options.attachments ? { attachments: options.attachments } : {}),
    onEvent: linePrinter(io),
    onNotice: (text) => io.stderr.write(`${text}\n`),
    // The clipboard sequence goes to a terminal only: stderr, when it is one (stdin and stdout may be piped).
    ...(io.stderr.isTTY ? { writeTerminal: (bytes: string) => io.stderr.write(bytes) } : {}),
  });
  let interrupted = false;
  let exited: number | undefined;
  let failed = false;
  controller.onExit = (code) => {
    exited = code;
    lines.close();
  };
  const stopListening = io.onInterrupt(() => {
    interrupted = true;
    controller.cancel();
    lines.close();
  });
  try {
    for await (const line of lines) {
      if (interrupted || exited !== undefined) break;
      if (line.trim() === "") continue;
      const before = controller.getState().messages.length;
      await controller.submit(line);
      // A prompt (or /retry) ends with its answer: a newline on stdout, the usage line on stderr.
      const answer = controller
        .getState()
        .messages.slice(before)
        .findLast((message) => message.kind === "answer");
      if (answer?.kind === "answer") {
        if (answer.outcome === "error") failed = true;
        io.stdout.write("\n");
        const footer = formatAnswerFooter(answer);
        if (footer !== undefined) io.stderr.write(`${footer}\n`);
      }
      if (interrupted) break;
    }
  } finally {
    stopListening();
    controller.dispose();
  }
  if (interrupted) return 130;
  if (exited !== undefined) return exited;
  return failed ? 1 : 0;
}
