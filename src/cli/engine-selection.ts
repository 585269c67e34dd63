/**
 * Which engine a CLI command runs: the configured provider (settings → `createEngine`), or, when none is
 * configured, the real OpenAI Chat engine against geppetto's local provider server running in this process, over
 * HTTP/1.1 with a node:http client on an in-memory connection: no port is opened (`GEPPETTO_NO_LOCAL_SERVER=1`
 * selects the embedded scripted default instead: no HTTP at all).
 *
 * Settings are loaded here, so everything heavy (zod, YAML, the providers) is imported only when a command runs.
 */
import type { Engine } from "../engine/engine.ts";
import { GeppettoError } from "../engine/errors.ts";
import type { LoadedSettings } from "../settings/load.ts";
import type { CliIO } from "./main.ts";
import { UsageError } from "./usage.ts";

/** The engine a command will use, and how to describe it to the user. */
export interface SelectedEngine {
  engine: Engine;
  /** Shown on stderr when `isDefault`. */
  description: string;
  isDefault: boolean;
  /** The settings the engine was built from. */
  settings?: LoadedSettings;
  /** Releases what the engine holds (a local server, say). */
  close(): Promise<void>;
}

/** Settings errors are bad usage (exit 2); everything else passes through. */
function asUsageError(error: unknown): unknown {
  if (GeppettoError.is(error) && error.code === "invalid_settings") return new UsageError(error.message);
  return error;
}

/**
 * Loads the settings for a command from its parsed flags, the environment and the config files.
 * Bad settings become UsageErrors (exit 2) with the message naming the setting and its source.
 */
export async function loadCommandSettings(
  flags: Record<string, unknown>,
  io: CliIO,
): Promise<LoadedSettings> {
  const { loadSettings } = await import("../settings/load.ts");
  try {
    return loadSettings({ env: io.env, cwd: io.cwd ?? process.cwd(), flags });
  } catch (error) {
    throw asUsageError(error);
  }
}

/** Picks the engine for a command: the configured provider, or the local default when none is configured. */
export async function selectEngine(
  flags: Record<string, unknown>,
  io: CliIO,
  options: { tools?: boolean } = {},
): Promise<SelectedEngine> {
  const settings = await loadCommandSettings(flags, io);
  if (settings.settings.chat?.apiType !== undefined) {
    const { createEngine } = await import("../settings/factory.ts");
    let engine: Engine;
    try {
      engine = await createEngine(settings);
    } catch (error) {
      throw asUsageError(error);
    }
    const chat = settings.settings.chat;
    return {
      engine,
      description: `${chat.apiType} ${chat.engine ?? ""}`.trim(),
      isDefault: false,
      settings,
      async close() {},
    };
  }
  if (options.tools) return toolUsingDefault(settings, io);
  return (await localProviderDefault(settings, io)) ?? embeddedDefault(settings, io);
}

/** How fast the default answers stream: `GEPPETTO_EMBEDDED_PACING_MS` milliseconds per word (default 15). */
export function embeddedPacingMs(env: CliIO["env"]): number {
  const pacing = Number(env.GEPPETTO_EMBEDDED_PACING_MS ?? 15);
  return Number.isFinite(pacing) ? pacing : 15;
}

/** With tools and no provider: a scripted model that calls the demo tools (no server needed). */
async function toolUsingDefault(settings: LoadedSettings, io: CliIO): Promise<SelectedEngine> {
  const { createEmbeddedToolUsingEngine } = await import("../testing/tool-responder.ts");
  return {
    engine: createEmbeddedToolUsingEngine({ pacingMs: embeddedPacingMs(io.env) }),
    description:
      "no provider configured: --tools runs on the embedded default, a scripted model that calls the demo tools (no API key, no network)",
    isDefault: true,
    settings,
    async close() {},
  };
}

/** The real OpenAI Chat engine against the local provider server, started in-process. */
async function localProviderDefault(
  settings: LoadedSettings,
  io: CliIO,
): Promise<SelectedEngine | undefined> {
  if (io.env.GEPPETTO_NO_LOCAL_SERVER) return undefined;
  const [{ createOpenAIChatEngine }, { startDefaultProviderServer }] = await Promise.all([
    import("../providers/openai/index.ts"),
    import("../testing/provider-server/default-server.ts"),
  ]);
  const server = await startDefaultProviderServer({ pacingMs: embeddedPacingMs(io.env), inProcess: true });
  const engine = createOpenAIChatEngine({
    model: "geppetto-local-default",
    baseURL: server.baseURL(),
    apiKey: "local",
    stream: settings.settings.chat?.stream ?? true,
    env: {},
    // node:http on an in-memory connection: the platform fetch's first use costs more than the rest of the run,
    // and a listening socket loads Node's cluster and dns modules (and is open to every local user).
    fetch: server.fetch,
  });
  return {
    engine,
    description:
      "no provider configured: running the OpenAI Chat engine against geppetto's local provider server, in this " +
      "process (scripted answers; no API key, no network, no port opened). Set --ai-api-type (or a profile) to use a real model.",
    isDefault: true,
    settings,
    close: () => server.close(),
  };
}

async function embeddedDefault(settings: LoadedSettings, io: CliIO): Promise<SelectedEngine> {
  const { createEmbeddedDefaultEngine } = await import("../testing/embedded-default.ts");
  return {
    engine: createEmbeddedDefaultEngine({ pacingMs: embeddedPacingMs(io.env) }),
    description:
      "no provider configured: running on the embedded default (a scripted model; no API key, no network)",
    isDefault: true,
    settings,
    async close() {},
  };
}
