/**
 * Model ids: `"provider:model"` (`"openai:gpt-4o-mini"`, `"anthropic:claude-sonnet-4-20250514"`) or a profile
 * name used as an alias (`"fast"`), resolved into an Engine through the user's settings and profiles. Only the
 * chosen provider's code is loaded, and the settings code itself is loaded on first use, so importing the core
 * costs nothing here.
 *
 * This is the one place the application API turns a model id into an engine.
 */
import type { Engine } from "../engine/engine.ts";
import { CallerError } from "../engine/errors.ts";

/** The provider names a model id may start with (`anthropic` is `claude`, `openai-chat` is `openai`). */
const PROVIDER_NAMES: Record<string, string> = {
  openai: "openai",
  "openai-chat": "openai",
  "openai-responses": "openai-responses",
  anthropic: "claude",
  claude: "claude",
  gemini: "gemini",
  google: "gemini",
  ollama: "ollama",
};

/**
 * The provider names a model id accepts.
 *
 * @example
 * KNOWN_PROVIDERS.includes("anthropic") // true
 */
export const KNOWN_PROVIDERS: readonly string[] = Object.keys(PROVIDER_NAMES);

/**
 * A model: an Engine, or a model id (`"provider:model"`, or a profile name).
 *
 * @example
 * const model: ModelSpecifier = "anthropic:claude-sonnet-4-20250514"; // or an Engine, or "fast"
 */
export type ModelSpecifier = Engine | string;

/**
 * Where model ids are resolved from. Everything is optional; tests inject the environment and the folder.
 *
 * @example
 * await resolveModel("openai:gpt-4o-mini", { env: { OPENAI_API_KEY: key }, cwd: projectDir });
 */
export interface ModelResolutionOptions {
  /** Default `process.env`. */
  env?: Record<string, string | undefined>;
  /** The folder project settings and profiles are read from. Default `process.cwd()`. */
  cwd?: string;
  /** A fetch for the provider's HTTP calls (tests, proxies). */
  fetch?: typeof fetch;
}

/**
 * A resolved model: its engine and, for a model id, the api type it speaks.
 *
 * @example
 * const { engine, apiType } = await resolveModel("gemini:gemini-2.5-flash"); // apiType "gemini"
 */
export interface ResolvedModel {
  engine: Engine;
  /** `openai`, `openai-responses`, `claude`, `gemini` or `ollama`; undefined for an Engine given as is. */
  apiType?: string;
}

/**
 * Parses a model id without loading anything: `{ apiType, model }` for `"provider:model"`, `{ profile }` for an
 * alias. An unknown provider is a CallerError (`unknown_provider`) listing the known ones.
 *
 * @example
 * parseModelId("anthropic:claude-sonnet-4-20250514") // { apiType: "claude", model: "claude-sonnet-4-20250514" }
 * parseModelId("fast") // { profile: "fast" }
 */
export function parseModelId(id: string): { apiType: string; model?: string } | { profile: string } {
  const trimmed = id.trim();
  const colon = trimmed.indexOf(":");
  if (colon < 0) {
    if (trimmed.length === 0) {
      throw new CallerError(
        `model id is empty: use "provider:model" (providers: ${KNOWN_PROVIDERS.join(", ")}) or a profile name`,
        { code: "invalid_model_id" },
      );
    }
    return { profile: trimmed };
  }
  const provider = trimmed.slice(0, colon).toLowerCase();
  const model = trimmed.slice(colon + 1);
  const apiType = PROVIDER_NAMES[provider];
  if (!apiType) {
    throw new CallerError(
      `unknown provider "${provider}" in model id "${id}": known providers are ${KNOWN_PROVIDERS.join(", ")}`,
      { code: "unknown_provider" },
    );
  }
  return model.length > 0 ? { apiType, model } : { apiType };
}

/**
 * Resolves a model into an engine. An Engine is returned as is. A `"provider:model"` id loads the user's
 * settings (config files, the default profile, the environment) with that provider and model on top; a profile
 * name loads that profile. A name that is no profile lists the known providers and profiles.
 *
 * @example
 * const { engine } = await resolveModel("openai:gpt-4o-mini");
 * const fast = await resolveModel("fast"); // the "fast" profile of profiles.yaml
 */
export async function resolveModel(
  model: ModelSpecifier,
  options: ModelResolutionOptions = {},
): Promise<ResolvedModel> {
  if (typeof model !== "string") return { engine: model };
  const parsed = parseModelId(model);
  const settings = await import("../settings/index.ts");
  const env = options.env ?? process.env;
  const cwd = options.cwd ?? process.cwd();
  let flags: Record<string, unknown>;
  if ("profile" in parsed) {
    const registry = settings.loadProfileRegistry(env, cwd);
    if (!registry.profiles.has(parsed.profile)) {
      const profiles = [...registry.profiles.keys()];
      throw new CallerError(
        `model "${model}" is neither "provider:model" (providers: ${KNOWN_PROVIDERS.join(", ")}) nor a profile` +
          (profiles.length > 0 ? ` (profiles: ${profiles.join(", ")})` : " (no profiles are defined)"),
        { code: "unknown_model" },
      );
    }
    flags = { profile: parsed.profile };
  } else {
    flags = { "ai-api-type": parsed.apiType, ...(parsed.model ? { "ai-engine": parsed.model } : {}) };
  }
  const loaded = settings.loadSettings({ env, cwd, flags });
  const engine = await settings.createEngine(loaded, {
    env,
    ...(options.fetch ? { fetch: options.fetch } : {}),
  });
  const apiType = loaded.settings.chat?.apiType;
  return apiType ? { engine, apiType } : { engine };
}
