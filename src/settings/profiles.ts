/**
 * Profiles: named sets of settings in a registry file that may stack on others.
 *
 * Registries are read from `$XDG_CONFIG_HOME/geppetto/profiles.yaml`, then `./.geppetto-profiles.yaml` (a project's
 * profile replaces a user's profile of the same name):
 *
 * ```yaml
 * default: fast            # used when neither --profile nor GEPPETTO_PROFILE is given
 * profiles:
 *   base:
 *     chat: { apiType: openai, engine: gpt-4o-mini }
 *   fast:
 *     extends: base        # a name or a list of names; the later ones win
 *     description: Quick answers
 *     chat: { temperature: 0.2 }
 * ```
 */
import { join } from "node:path";
import { CallerError } from "../engine/errors.ts";
import { configFolder, readYamlMapping, type SettingsEnv } from "./layers.ts";
import { type SettingsLayer, withoutNulls } from "./sources.ts";

/**
 * One profile as written in a registry.
 *
 * @example
 * registry.profiles.get("fast") // { name: "fast", file, extends: ["base"], settings: { chat: { temperature: 0.2 } } }
 */
export interface Profile {
  name: string;
  file: string;
  extends: string[];
  description?: string;
  /** The profile's own settings (without `extends` and `description`). */
  settings: Record<string, unknown>;
}

/**
 * The profiles of every registry file, merged.
 *
 * @example
 * const registry = loadProfileRegistry(process.env, process.cwd());
 * registry.defaultProfile?.name
 */
export interface ProfileRegistry {
  profiles: Map<string, Profile>;
  defaultProfile?: { name: string; file: string };
  /** The registry files that exist, lowest first. */
  files: string[];
}

/**
 * The registry files, lowest first.
 *
 * @example
 * profileFilePaths({ XDG_CONFIG_HOME: "/c" }, "/work") // ["/c/geppetto/profiles.yaml", "/work/.geppetto-profiles.yaml"]
 */
export function profileFilePaths(env: SettingsEnv, cwd: string): string[] {
  const folder = configFolder(env);
  return [...(folder ? [join(folder, "profiles.yaml")] : []), join(cwd, ".geppetto-profiles.yaml")];
}

function registryError(file: string, keyPath: string, problem: string): CallerError {
  return new CallerError(`profiles file ${file} at ${keyPath}: ${problem}`, { code: "invalid_settings" });
}

function readProfile(file: string, name: string, raw: unknown): Profile {
  const keyPath = `profiles.${name}`;
  if (raw === null || raw === undefined) return { name, file, extends: [], settings: {} };
  if (typeof raw !== "object" || Array.isArray(raw)) throw registryError(file, keyPath, "expected a mapping");
  const { extends: parents, description, ...settings } = raw as Record<string, unknown>;
  const list = parents === undefined ? [] : typeof parents === "string" ? [parents] : parents;
  if (!Array.isArray(list) || list.some((parent) => typeof parent !== "string")) {
    throw registryError(file, `${keyPath}.extends`, "expected a profile name or a list of names");
  }
  if (description !== undefined && typeof description !== "string") {
    throw registryError(file, `${keyPath}.description`, "expected text");
  }
  return {
    name,
    file,
    extends: list as string[],
    ...(description === undefined ? {} : { description }),
    settings: withoutNulls(settings),
  };
}

/**
 * Reads the profile registries. Missing files are fine; malformed ones are CallerErrors naming file and key.
 *
 * @example
 * const registry = loadProfileRegistry(process.env, process.cwd());
 * [...registry.profiles.keys()] // ["base", "fast"]
 */
export function loadProfileRegistry(env: SettingsEnv, cwd: string): ProfileRegistry {
  const registry: ProfileRegistry = { profiles: new Map(), files: [] };
  for (const file of profileFilePaths(env, cwd)) {
    const document = readYamlMapping(file, "profiles file");
    if (!document) continue;
    registry.files.push(file);
    for (const key of Object.keys(document)) {
      if (key !== "default" && key !== "profiles") {
        throw registryError(file, key, 'unknown key (a profiles file holds "default" and "profiles")');
      }
    }
    if (document.default !== undefined) {
      if (typeof document.default !== "string")
        throw registryError(file, "default", "expected a profile name");
      registry.defaultProfile = { name: document.default, file };
    }
    const profiles = document.profiles ?? {};
    if (typeof profiles !== "object" || Array.isArray(profiles)) {
      throw registryError(file, "profiles", "expected a mapping of profile names to settings");
    }
    for (const [name, raw] of Object.entries(profiles as Record<string, unknown>)) {
      registry.profiles.set(name, readProfile(file, name, raw));
    }
  }
  return registry;
}

/**
 * A profile chosen by a flag, a variable or the registry's default.
 *
 * @example
 * const selection: ProfileSelection = { name: "fast", selectedBy: "--profile" };
 */
export interface ProfileSelection {
  name: string;
  /** `--profile`, `GEPPETTO_PROFILE`, or `default in /x/profiles.yaml`. */
  selectedBy: string;
}

/**
 * The profile in force: `--profile`, then `GEPPETTO_PROFILE`, then the registry's default.
 *
 * @example
 * selectProfile(registry, undefined, { GEPPETTO_PROFILE: "fast" }) // { name: "fast", selectedBy: "GEPPETTO_PROFILE" }
 */
export function selectProfile(
  registry: ProfileRegistry,
  flag: string | undefined,
  env: SettingsEnv,
): ProfileSelection | undefined {
  if (flag) return { name: flag, selectedBy: "--profile" };
  if (env.GEPPETTO_PROFILE) return { name: env.GEPPETTO_PROFILE, selectedBy: "GEPPETTO_PROFILE" };
  if (registry.defaultProfile) {
    return { name: registry.defaultProfile.name, selectedBy: `"default" in ${registry.defaultProfile.file}` };
  }
  return undefined;
}

/**
 * The profiles `name` stacks on, base first, ending with `name` itself. Unknown names and cycles are
 * CallerErrors.
 *
 * @example
 * profileChain(registry, { name: "fast", selectedBy: "--profile" }).map((profile) => profile.name) // ["base", "fast"]
 */
export function profileChain(registry: ProfileRegistry, selection: ProfileSelection): Profile[] {
  const chain: Profile[] = [];
  const done = new Set<string>();
  const visit = (name: string, path: string[], requiredBy: string) => {
    if (path.includes(name)) {
      const profile = registry.profiles.get(name)!;
      throw new CallerError(`profile cycle: ${[...path, name].join(" → ")} (in ${profile.file})`, {
        code: "invalid_settings",
      });
    }
    if (done.has(name)) return;
    const profile = registry.profiles.get(name);
    if (!profile) {
      const known = [...registry.profiles.keys()];
      const files = registry.files.length > 0 ? registry.files.join(", ") : "no profiles file found";
      throw new CallerError(
        `unknown profile "${name}" (${requiredBy}); known profiles: ${known.length > 0 ? known.join(", ") : "none"} (${files})`,
        { code: "invalid_settings" },
      );
    }
    for (const parent of profile.extends) {
      visit(
        parent,
        [...path, name],
        `extended by profile "${name}" in ${profile.file} at profiles.${name}.extends`,
      );
    }
    done.add(name);
    chain.push(profile);
  };
  visit(selection.name, [], `selected by ${selection.selectedBy}`);
  return chain;
}

/** The settings layers of a profile chain, base first. */
export function profileLayers(chain: readonly Profile[]): SettingsLayer[] {
  return chain.map((profile) => ({
    kind: "profile",
    label: `profile "${profile.name}" in ${profile.file}`,
    values: profile.settings,
    sourceOf: (path) => ({
      layer: "profile",
      profile: profile.name,
      file: profile.file,
      keyPath: `profiles.${profile.name}.${path}`,
    }),
  }));
}
