/**
 * Model ids: `"provider:model"` (`"openai:gpt-4o-mini"`, `"anthropic:claude-sonnet-4-20250514"`) or a profile
 * name used as an alias (`"fast"`), resolved into an Engine through the provider registry and the user's settings
 * and profiles. The registry, the settings code and the chosen provider's code are all loaded on first use, so
 * importing the core costs nothing here.
 *
 * This is the one place the application API turns a model id into an engine.
 */
import type { Engine } from "../engine/engine.ts";
import { CallerError } from "../engine/errors.ts";

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
 * const { engine, apiType, protocol } = await resolveModel("gemini:gemini-2.5-flash"); // "gemini", "gemini"
 */
export interface ResolvedModel {
  engine: Engine;
  /** The provider's registry id (`openai`, `anthropic`, `deepseek`, …); undefined for an Engine given as is. */
  apiType?: string;
  /** The wire protocol the provider speaks (`openai-chat`, `anthropic`, …); undefined for an Engine given as is. */
  protocol?: string;
}

/**
 * Resolves a model into an engine. An Engine is returned as is. A `"provider:model"` id loads the user's
 * settings (config files, the default profile, the environment) with that provider and model on top; a profile
 * name loads that profile. The provider is any the registry knows (`parseModelId` of `geppetto/provider-kit`),
 * a registered one included. A name that is no profile lists the known providers and profiles.
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
  const [{ parseModelId }, registry, settings] = await Promise.all([
    import("../provider-kit/model-id.ts"),
    import("../provider-kit/registry.ts"),
    import("../settings/index.ts"),
  ]);
  const parsed = parseModelId(model);
  const env = options.env ?? process.env;
  const cwd = options.cwd ?? process.cwd();
  let flags: Record<string, unknown>;
  if ("profile" in parsed) {
    const profiles = settings.loadProfileRegistry(env, cwd).profiles;
    if (!profiles.has(parsed.profile)) {
      const names = [...profiles.keys()];
      throw new CallerError(
        `model "${model}" is neither "provider:model" (providers: ${registry.providerNamesHelp()}) nor a profile` +
          (names.length > 0 ? ` (profiles: ${names.join(", ")})` : " (no profiles are defined)"),
        { code: "unknown_model" },
      );
    }
    flags = { profile: parsed.profile };
  } else {
    flags = {
      "ai-api-type": parsed.provider.id,
      ...(parsed.model ? { "ai-engine": parsed.model } : {}),
    };
  }
  const loaded = settings.loadSettings({ env, cwd, flags });
  const engine = await settings.createEngine(loaded, {
    env,
    ...(options.fetch ? { fetch: options.fetch } : {}),
  });
  const apiType = loaded.settings.chat?.apiType;
  const provider = apiType === undefined ? undefined : registry.findProvider(apiType);
  return provider ? { engine, apiType: provider.id, protocol: provider.protocol.name } : { engine };
}
