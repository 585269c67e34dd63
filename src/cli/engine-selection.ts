/**
 * Which engine a CLI command runs: the configured provider, or the embedded default when none is configured.
 */
import type { Engine } from "../engine/engine.ts";
import type { CliIO } from "./main.ts";

/** The engine a command will use, and how to describe it to the user. */
export interface SelectedEngine {
  engine: Engine;
  /** Shown on stderr when `isDefault`. */
  description: string;
  isDefault: boolean;
  /** Releases what the engine holds (a local server, say). */
  close(): Promise<void>;
}

/** Picks the engine for a command. With no provider configured, the embedded default. */
export async function selectEngine(_flags: Record<string, unknown>, io: CliIO): Promise<SelectedEngine> {
  const { createEmbeddedDefaultEngine } = await import("../testing/embedded-default.ts");
  const pacing = Number(io.env.GEPPETTO_EMBEDDED_PACING_MS ?? 15);
  return {
    engine: createEmbeddedDefaultEngine({ pacingMs: Number.isFinite(pacing) ? pacing : 15 }),
    description:
      "no provider configured: running on the embedded default (a scripted model; no API key, no network)",
    isDefault: true,
    async close() {},
  };
}
