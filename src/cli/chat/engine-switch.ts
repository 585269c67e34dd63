/**
 * `/model` and `/profile` in the chat: the next turn runs on another model or profile, the conversation
 * continuing. The engine is chosen as the command line would (`-m provider:model`, `--profile NAME`) on top of
 * the chat's other flags, so settings files, profiles and the environment still apply; the turns written from
 * then on carry the new provider and model (so `--resume` continues on it).
 */

import { CallerError } from "../../engine/errors.ts";
import type { SelectedEngine } from "../engine-selection.ts";
import { applyModelFlag } from "../model-flag.ts";
import type { ChatBackend } from "./backend.ts";
import { engineChoiceOf, KeyChatEngine } from "./engine-choice.ts";

/** Switches the chat's engine. */
export interface EngineSwitch {
  /** What the chat runs on now ("openai gpt-4o-mini", "profile fast: …"). */
  describe(): string;
  /**
   * Runs the next turns on the model (`provider:model`, or a model of the current provider) or the profile
   * `name`. Resolves with what the chat now runs on; rejects with an error naming what was wrong.
   */
  use(kind: "model" | "profile", name: string): Promise<string>;
  /** Releases the engine in use. */
  close(): Promise<void>;
}

/** The flags that choose the engine, removed before a new choice is applied. */
const CHOICE_FLAGS = ["model", "profile", "ai-api-type", "ai-engine"] as const;

function describe(selected: SelectedEngine, profile: string | undefined): string {
  const chat = selected.settings?.settings.chat;
  const model = selected.isDefault
    ? "the local default"
    : `${chat?.apiType ?? "?"} ${chat?.engine ?? ""}`.trim();
  return profile === undefined ? model : `${model} (profile ${profile})`;
}

/**
 * The engine switch of a chat started with `flags` on `selected`; `select` chooses an engine from flags
 * (`selectEngine`), `backend` receives it.
 *
 * @example
 * const engines = engineSwitch(values, selected, (flags) => selectEngine(flags, io), backend);
 * await engines.use("model", "anthropic:claude-sonnet-4-20250514");
 */
export function engineSwitch(
  flags: Record<string, unknown>,
  selected: SelectedEngine,
  select: (flags: Record<string, unknown>) => Promise<SelectedEngine>,
  backend: ChatBackend,
): EngineSwitch {
  let current = selected;
  let profile = typeof flags.profile === "string" ? flags.profile : undefined;
  const others: Record<string, unknown> = { ...flags };
  for (const flag of CHOICE_FLAGS) delete others[flag];
  return {
    describe: () => describe(current, profile),
    async use(kind, name) {
      if (!backend.setEngine) throw new CallerError("this chat cannot switch engines", { code: "usage" });
      let chosen: Record<string, unknown>;
      if (kind === "profile") chosen = { ...others, profile: name };
      else if (name.includes(":")) chosen = applyModelFlag({ ...others, model: name });
      else {
        const apiType = current.settings?.settings.chat?.apiType;
        if (apiType === undefined || current.isDefault) {
          throw new Error(
            `name the provider too: /model provider:${name} (the chat runs on the local default)`,
          );
        }
        chosen = { ...others, "ai-api-type": apiType, "ai-engine": name };
      }
      const next = await select(chosen);
      const nextProfile = typeof chosen.profile === "string" ? chosen.profile : undefined;
      const choice = engineChoiceOf(next, nextProfile);
      backend.setEngine(next.engine, choice ? (turn) => KeyChatEngine.set(turn, choice) : undefined);
      const previous = current;
      current = next;
      profile = nextProfile;
      await previous.close();
      return describe(current, profile);
    },
    close: () => current.close(),
  };
}
