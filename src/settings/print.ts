/**
 * Printing settings: secrets redacted, every value with where it came from.
 */
import type { LoadedSettings } from "./load.ts";
import type { InferenceSettings } from "./schema.ts";
import { REDACTED, redactURL } from "./secrets.ts";
import { describeSource, forEachLeaf, isSecretPath, setPath } from "./sources.ts";

export { REDACTED } from "./secrets.ts";

/** A value as printed: `<redacted>` for a secret, a URL without its credentials. */
function printable(path: string, value: unknown): unknown {
  if (isSecretPath(path)) return REDACTED;
  return typeof value === "string" && (path.endsWith("baseURL") || path === "store.url")
    ? redactURL(value)
    : value;
}

/**
 * A copy of the settings with every secret replaced by `<redacted>` (and base URLs without their credentials).
 *
 * @example
 * redactSettings({ api: { openai: { apiKey: "sk-123" } } }) // { api: { openai: { apiKey: "<redacted>" } } }
 */
export function redactSettings(settings: InferenceSettings): InferenceSettings {
  const copy: Record<string, unknown> = {};
  forEachLeaf(settings as Record<string, unknown>, (path, value) => {
    setPath(copy, path, structuredClone(printable(path, value)));
  });
  return copy as InferenceSettings;
}

/**
 * Settings as JSON: `{ settings, sources, profile, files }`, secrets redacted.
 *
 * @example
 * JSON.parse(settingsToJson(loaded)).sources["chat.engine"] // "flag --ai-engine"
 */
export function settingsToJson(loaded: LoadedSettings): string {
  const sources: Record<string, string> = {};
  forEachLeaf(loaded.settings as Record<string, unknown>, (path) => {
    const source = loaded.sources.get(path);
    sources[path] = source ? describeSource(source) : "normalized";
  });
  return JSON.stringify(
    {
      settings: redactSettings(loaded.settings),
      sources,
      ...(loaded.profile ? { profile: loaded.profile } : {}),
      files: loaded.files,
    },
    null,
    2,
  );
}

/**
 * Settings as text, one value a line with its source; secrets redacted.
 *
 * @example
 * formatSettings(loadSettings({ flags: { "ai-engine": "gpt-4o" } }))
 * // chat.engine  = "gpt-4o"  # flag --ai-engine
 */
export function formatSettings(loaded: LoadedSettings): string {
  const rows: [string, string, string][] = [];
  forEachLeaf(loaded.settings as Record<string, unknown>, (path, value) => {
    const source = loaded.sources.get(path);
    const shown = isSecretPath(path) ? REDACTED : JSON.stringify(printable(path, value));
    rows.push([path, shown, source ? describeSource(source) : "normalized"]);
  });
  const header: string[] = [];
  if (loaded.profile) {
    header.push(
      `# profile ${loaded.profile.name} (selected by ${loaded.profile.selectedBy}; stack: ${loaded.profile.chain.join(" → ")})`,
    );
  } else header.push("# no profile");
  header.push(`# files read: ${loaded.files.length > 0 ? loaded.files.join(", ") : "none"}`);
  const pathWidth = Math.max(0, ...rows.map(([path]) => path.length));
  const valueWidth = Math.min(40, Math.max(0, ...rows.map(([, shown]) => shown.length)));
  const lines = rows.map(
    ([path, shown, source]) => `${path.padEnd(pathWidth)} = ${shown.padEnd(valueWidth)}  # ${source}`,
  );
  return `${[...header, ...lines].join("\n")}\n`;
}
