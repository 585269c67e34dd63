/**
 * The environment of a stdio MCP server: an explicit allow-list. The server gets a few harmless basics, the
 * variables named in `envPassthrough` (copied from geppetto's environment) and the values set in `env`; never the
 * whole environment, so API keys stay with geppetto unless a setting names them.
 */
import type { McpServerSettings } from "./settings.ts";

/**
 * What every stdio server gets (when set): enough to find executables and a home directory.
 *
 * @example
 * BASIC_ENVIRONMENT.includes("PATH") // true
 */
export const BASIC_ENVIRONMENT: readonly string[] = ["PATH", "HOME", "USER", "LOGNAME", "SHELL", "TERM"];

/**
 * The environment a stdio server is started with.
 *
 * @example
 * stdioEnvironment({ command: "mcp-github", envPassthrough: ["GITHUB_TOKEN"] }, process.env)
 * // { PATH: "…", HOME: "…", GITHUB_TOKEN: "…" } — and no OPENAI_API_KEY
 */
export function stdioEnvironment(
  settings: Pick<McpServerSettings, "env" | "envPassthrough">,
  source: NodeJS.ProcessEnv,
): Record<string, string> {
  const environment: Record<string, string> = {};
  for (const name of [...BASIC_ENVIRONMENT, ...(settings.envPassthrough ?? [])]) {
    const value = source[name];
    // A value starting with "()" is an exported shell function: never passed on.
    if (value !== undefined && !value.startsWith("()")) environment[name] = value;
  }
  return { ...environment, ...settings.env };
}
