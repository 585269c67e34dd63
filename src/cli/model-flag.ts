/**
 * `-m provider:model` (`--model`): the model as one id, for every command that chooses one. It becomes the
 * settings flags it stands for (`--ai-api-type` and `--ai-engine`), or `--profile` for a profile name, so the
 * usual layers (files, profile, environment, flags) still apply. Providers are those of the registry; an unknown
 * one lists the known ones.
 */
import { GeppettoError } from "../engine/errors.ts";
import { parseModelId } from "../provider-kit/model-id.ts";
import { UsageError } from "./usage.ts";

/** The parseArgs option of `-m` / `--model`. */
export const MODEL_OPTION = { model: { type: "string", short: "m" } } as const;

/** The help line of `-m`. */
export const MODEL_FLAG_HELP =
  "-m, --model ID         The model as provider:model (openai:gpt-4o-mini, anthropic:claude-sonnet-4-20250514) or a profile name";

/**
 * The flags with `model` replaced by the settings flags it stands for. Giving both `-m` and `--ai-api-type`,
 * `--ai-engine` or `--profile` is a UsageError.
 *
 * @example
 * applyModelFlag({ model: "claude:claude-sonnet-4-20250514" }) // { "ai-api-type": "anthropic", "ai-engine": "claude-sonnet-4-20250514" }
 */
export function applyModelFlag<T extends Record<string, unknown>>(flags: T): T {
  const model = flags.model;
  if (typeof model !== "string") return flags;
  const clash = ["ai-api-type", "ai-engine", "profile"].filter((flag) => flags[flag] !== undefined);
  if (clash.length > 0) {
    throw new UsageError(`--model cannot be combined with ${clash.map((flag) => `--${flag}`).join(", ")}`);
  }
  let parsed: ReturnType<typeof parseModelId>;
  try {
    parsed = parseModelId(model);
  } catch (error) {
    throw new UsageError(`--model: ${GeppettoError.is(error) ? error.message : String(error)}`);
  }
  const { model: _model, ...rest } = flags;
  if ("profile" in parsed) return { ...rest, profile: parsed.profile } as unknown as T;
  return {
    ...rest,
    "ai-api-type": parsed.provider.id,
    ...(parsed.model ? { "ai-engine": parsed.model } : {}),
  } as unknown as T;
}
