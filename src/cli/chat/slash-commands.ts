/**
 * The chat's slash commands: answered in the chat itself, never sent to the model (an unknown one too).
 */
import { existsSync, writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { type Attachments, loadAttachments } from "../attachments.ts";
import { didYouMean } from "../suggest.ts";
import type { EngineSwitch } from "./engine-switch.ts";
import type { ChatMessage } from "./view-model.ts";

/** What a slash command may do to the chat. */
export interface SlashCommandContext {
  /** Shows a line in the transcript. */
  notice(text: string, tone?: "info" | "error"): void;
  /** The transcript so far. */
  messages(): readonly ChatMessage[];
  /** Sends a prompt (for /retry). */
  submit(prompt: string): Promise<void>;
  /** Leaves the chat (for /exit). */
  exit(code: number): void;
  /**
   * Writes raw bytes to the terminal (for /copy: an OSC 52 clipboard sequence); undefined when there is no
   * terminal (piped output), and /copy then says it cannot copy.
   */
  writeTerminal?: (bytes: string) => void;
  /** Where relative /save paths are resolved. */
  cwd: string;
  /** Starts a new conversation (/clear); returns its session id, or undefined when the chat cannot. */
  clear(): string | undefined;
  /** The system prompt (/system), and replacing it (`""` removes it); undefined when the chat cannot. */
  system?: { get(): string | undefined; set(text: string): void };
  /** Switches the model or profile (/model, /profile); undefined when the chat cannot. */
  engines?: EngineSwitch;
  /** Sends files with the next prompt (/attach); undefined when the chat cannot. */
  attach?(attachments: Attachments): void;
}

const HELP = [
  "/help          this list",
  "/exit          leave the chat (Ctrl-D on an empty line too)",
  "/clear         start a new conversation (a new session; the system prompt is kept)",
  "/model [ID]    show the model, or answer the next prompts with ID (provider:model, or a model name)",
  "/profile NAME  answer the next prompts with the profile NAME (profiles.yaml)",
  "/system [TEXT] show the system prompt, or replace it for the next prompts (/system - removes it)",
  "/attach FILE   send FILE with the next prompt (text fenced, images, PDFs where the provider takes them)",
  "/retry         send the last prompt again (with its attachments)",
  "/save FILE     write the conversation to FILE (Markdown)",
  "/copy          copy the last answer to the clipboard (OSC 52; most terminals and tmux; needs a terminal)",
];

/** The commands, by name. */
export const SLASH_COMMANDS = [
  "help",
  "exit",
  "quit",
  "clear",
  "model",
  "profile",
  "system",
  "retry",
  "attach",
  "save",
  "copy",
] as const;

/** /model and /profile: show or switch, every failure answered in the chat. */
async function switchEngine(kind: "model" | "profile", name: string, context: SlashCommandContext) {
  const engines = context.engines;
  if (!engines) return context.notice(`/${kind}: this chat cannot switch engines`, "error");
  if (name === "") {
    if (kind === "profile") return context.notice("/profile needs a name: /profile fast", "error");
    return context.notice(`model: ${engines.describe()}`);
  }
  try {
    context.notice(`the next prompts go to ${await engines.use(kind, name)}`);
  } catch (error) {
    context.notice(`/${kind} ${name}: ${error instanceof Error ? error.message : String(error)}`, "error");
  }
}

function systemCommand(text: string, context: SlashCommandContext) {
  const system = context.system;
  if (!system) return context.notice("/system: this chat cannot change its system prompt", "error");
  if (text === "") {
    const current = system.get();
    return context.notice(current === undefined ? "no system prompt" : `system prompt: ${current}`);
  }
  system.set(text === "-" ? "" : text);
  context.notice(text === "-" ? "system prompt removed" : "system prompt set for the next prompts");
}

/** /attach FILE…: the whole argument as one path when that file exists (a name with spaces), else each word. */
function attachCommand(argument: string, context: SlashCommandContext) {
  if (!context.attach) return context.notice("/attach: this chat cannot send files", "error");
  if (argument === "") return context.notice("/attach needs a file: /attach notes.md", "error");
  const files = existsSync(resolve(context.cwd, argument)) ? [argument] : argument.split(/\s+/);
  let attachments: Attachments;
  try {
    attachments = loadAttachments(files, context.cwd);
  } catch (error) {
    // The loaders name the flag (`--attach FILE: …`, `--image FILE: …`); here it is the command.
    const message = (error as Error).message.replace(/^--(attach|image) /, "");
    return context.notice(`/attach ${message}`, "error");
  }
  context.attach(attachments);
  context.notice(`attached to the next prompt: ${files.join(", ")}`);
}

function answerText(message: ChatMessage): string {
  if (message.kind !== "answer") return "";
  return message.parts.map((part) => (part.kind === "text" ? part.text : "")).join("");
}

/**
 * The transcript as Markdown: each prompt as a quote, each answer's text below it.
 *
 * @example
 * transcriptMarkdown(controller.getState().messages) // "> Hello\n\nHello! You said…\n"
 */
export function transcriptMarkdown(messages: readonly ChatMessage[]): string {
  const sections: string[] = [];
  for (const message of messages) {
    if (message.kind === "user") sections.push(message.text.replace(/^/gm, "> "));
    else if (message.kind === "answer") sections.push(answerText(message));
  }
  return `${sections.join("\n\n")}\n`;
}

/**
 * Runs the slash command `line` (it starts with `/`). Resolves once it is done (/retry: once the answer ended).
 *
 * @example
 * await runSlashCommand("/save chat.md", context);
 */
export async function runSlashCommand(line: string, context: SlashCommandContext): Promise<void> {
  const [word = "", ...rest] = line.trim().slice(1).split(/\s+/);
  const argument = rest.join(" ");
  switch (word) {
    case "help":
      context.notice(`Commands:\n${HELP.join("\n")}`);
      return;
    case "exit":
    case "quit":
      context.exit(0);
      return;
    case "clear": {
      const id = context.clear();
      if (id === undefined) return context.notice("/clear: this chat cannot start a new session", "error");
      return context.notice(`New session ${id}: the conversation starts again`);
    }
    case "model":
    case "profile":
      return switchEngine(word, argument, context);
    case "system":
      return systemCommand(line.trim().slice("/system".length).trim(), context);
    case "retry": {
      const prompt = context
        .messages()
        .filter((message) => message.kind === "user")
        .at(-1);
      if (prompt?.kind !== "user") return context.notice("/retry: nothing to retry yet", "error");
      return context.submit(prompt.text);
    }
    case "attach":
      return attachCommand(argument, context);
    case "save": {
      if (argument === "") return context.notice("/save needs a file name: /save chat.md", "error");
      const path = resolve(context.cwd, argument);
      try {
        writeFileSync(path, transcriptMarkdown(context.messages()));
        context.notice(`saved the conversation to ${path}`);
      } catch (error) {
        context.notice(`/save: cannot write ${path}: ${(error as Error).message}`, "error");
      }
      return;
    }
    case "copy": {
      const last = context
        .messages()
        .filter((message) => message.kind === "answer")
        .at(-1);
      const text = last ? answerText(last) : "";
      if (text === "") return context.notice("/copy: no answer to copy yet", "error");
      if (!context.writeTerminal) {
        return context.notice(
          "/copy: cannot copy without a terminal (the clipboard is reached through the terminal, OSC 52); /save FILE writes the conversation to a file",
          "error",
        );
      }
      context.writeTerminal(`\x1b]52;c;${Buffer.from(text).toString("base64")}\x07`);
      context.notice(`copied the last answer (${text.length} characters) to the clipboard`);
      return;
    }
    default:
      context.notice(
        `unknown command /${word}${didYouMean(word, SLASH_COMMANDS, "/")}: not sent to the model; /help lists the commands`,
        "error",
      );
  }
}
