/**
 * Which provider and model a chat session runs on, kept on its turns so `chat --resume` (and `--session`)
 * continues on them: a provider or model flag given now wins, and the chat says so.
 */
import { turnDataKey } from "../../turns/keys.ts";
import type { Turn } from "../../turns/types.ts";
import type { SelectedEngine } from "../engine-selection.ts";

/** The provider (api type), model and profile a session was chatting with. */
export interface ChatEngineChoice {
  apiType: string;
  engine?: string;
  profile?: string;
}

/**
 * Turn.data: the provider and model of the chat that wrote the turn.
 *
 * @example
 * KeyChatEngine.get(turn) // { apiType: "claude", engine: "claude-sonnet-4-5" }
 */
export const KeyChatEngine = turnDataKey<ChatEngineChoice>("geppetto", "chat_engine", 1);

/** The flags that pick a provider or model. */
const ENGINE_FLAGS = ["profile", "ai-api-type", "ai-engine"] as const;

/**
 * The choice to store with a session's turns: the configured provider and model (none on the local default).
 *
 * @example
 * const choice = engineChoiceOf(selected, values.profile);
 */
export function engineChoiceOf(selected: SelectedEngine, profile?: string): ChatEngineChoice | undefined {
  const chat = selected.settings?.settings.chat;
  if (selected.isDefault || chat?.apiType === undefined) return undefined;
  return {
    apiType: chat.apiType,
    ...(chat.engine === undefined ? {} : { engine: chat.engine }),
    ...(profile === undefined ? {} : { profile }),
  };
}

function describe(choice: ChatEngineChoice): string {
  const model = [choice.apiType, choice.engine].filter(Boolean).join(" ");
  return choice.profile === undefined ? model : `${model} (profile ${choice.profile})`;
}

/**
 * The flags a resumed chat runs with: the session's provider and model unless a provider or model flag is given
 * now (that flag wins); `notice` says which happened.
 *
 * @example
 * const { flags, notice } = restoreEngineChoice(values, conversation.history);
 */
export function restoreEngineChoice<F extends Record<string, unknown>>(
  flags: F,
  history: Turn | undefined,
): { flags: F; notice?: string } {
  const stored = history ? KeyChatEngine.get(history) : undefined;
  if (!stored) return { flags };
  const given = ENGINE_FLAGS.filter((flag) => flags[flag] !== undefined);
  const wins = given.map((flag) => `--${flag} ${String(flags[flag])}`).join(" ");
  const otherProvider = flags["ai-api-type"] !== undefined && flags["ai-api-type"] !== stored.apiType;
  if (flags.profile !== undefined || otherProvider) {
    return { flags, notice: `${wins} wins over the session's ${describe(stored)}` };
  }
  // Field by field: the provider stays the session's, a model given now replaces the session's.
  const restored: Record<string, unknown> = { ...flags, "ai-api-type": stored.apiType };
  if (stored.engine !== undefined && flags["ai-engine"] === undefined) restored["ai-engine"] = stored.engine;
  if (stored.profile !== undefined) restored.profile = stored.profile;
  const notice =
    given.length > 0
      ? `${wins} wins over the session's ${describe(stored)}`
      : `Continuing on the session's ${describe(stored)}`;
  return { flags: restored as F, notice };
}
