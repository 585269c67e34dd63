/**
 * Settings: one schema for everything an engine needs, loaded in layers (defaults < config files < profile <
 * environment < flags) with the source of every value, profiles, the engine factory and cost.
 *
 * @example
 * import { createEngine, loadSettings } from "geppetto/settings";
 * const engine = await createEngine(loadSettings({ flags: { "ai-api-type": "openai", "ai-engine": "gpt-4o-mini" } }));
 */
export { computeCost, stampCost, withCost } from "./cost.ts";
export { type CreateEngineOptions, createEngine, engineOptionsFromSettings } from "./factory.ts";
export {
  envVariableOf,
  type FlagValueKind,
  PROFILE_ENV,
  providerEnvironment,
  SETTINGS_FLAGS,
  type SettingsFlag,
  settingsFlagsHelp,
  settingsParseOptions,
} from "./flags.ts";
export {
  configFilePaths,
  configFolder,
  defaultModelOf,
  knownModelPrices,
  type SettingsEnv,
} from "./layers.ts";
export {
  isProviderConfigured,
  type LoadedSettings,
  type LoadSettingsOptions,
  loadSettings,
  parseSettings,
} from "./load.ts";
export { formatSettings, REDACTED, redactSettings, settingsToJson } from "./print.ts";
export {
  loadProfileRegistry,
  type Profile,
  type ProfileRegistry,
  type ProfileSelection,
  profileChain,
  profileFilePaths,
  selectProfile,
} from "./profiles.ts";
export {
  type ApiType,
  apiTypes,
  type InferenceSettings,
  inferenceSettingsSchema,
  type ModelPrices,
  modelPricesSchema,
  type ProviderEndpointSettings,
  type ProviderName,
  providerOf,
  type StructuredOutputSettings,
  structuredOutputSettingsSchema,
} from "./schema.ts";
export { redactURL, withSelfRedactingSecrets } from "./secrets.ts";
export { describeSource, isSecretPath, type LayerKind, type SettingSource } from "./sources.ts";
