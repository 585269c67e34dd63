/**
 * Keys never leave the settings by accident: loaded settings redact themselves under JSON.stringify and
 * util.inspect, printed settings hide credentials in base URLs, and settings errors never echo a key.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { inspect } from "node:util";
import { describe, expect, it } from "vitest";
import { loadSettings } from "./load.ts";
import { formatSettings, redactSettings, settingsToJson } from "./print.ts";
import { redactURL } from "./secrets.ts";

const CANARY = "sk-canary-settings-3f9a1c7e";

function sandbox(config?: string) {
  const root = mkdtempSync(join(tmpdir(), "geppetto-secrets-"));
  const cwd = join(root, "project");
  mkdirSync(join(root, "config", "geppetto"), { recursive: true });
  mkdirSync(cwd);
  if (config !== undefined) writeFileSync(join(cwd, ".geppetto.yaml"), config);
  return { env: { XDG_CONFIG_HOME: join(root, "config"), HOME: root }, cwd };
}

describe("secrets in settings", () => {
  it("loaded settings redact their keys under JSON.stringify, util.inspect and String(), yet keep them readable", () => {
    const box = sandbox();
    const loaded = loadSettings({
      env: { ...box.env, OPENAI_API_KEY: CANARY },
      cwd: box.cwd,
      flags: { "ai-api-type": "openai" },
    });
    expect(loaded.settings.api?.openai?.apiKey).toBe(CANARY);
    for (const shown of [
      JSON.stringify(loaded),
      JSON.stringify(loaded.settings, null, 2),
      inspect(loaded, { depth: 10 }),
      inspect(loaded.settings.api),
      `${JSON.stringify(redactSettings(loaded.settings))}`,
      formatSettings(loaded),
      settingsToJson(loaded),
    ]) {
      expect(shown).not.toContain(CANARY);
    }
    expect(JSON.stringify(loaded.settings.api)).toContain("<redacted>");
  });

  it("base URLs print without user info or ?key=", () => {
    const box = sandbox(
      `chat:\n  apiType: gemini\napi:\n  gemini:\n    baseURL: "https://user:${CANARY}@example.com/v1beta?key=${CANARY}&alt=sse"\n`,
    );
    const loaded = loadSettings({ env: box.env, cwd: box.cwd });
    for (const shown of [
      formatSettings(loaded),
      settingsToJson(loaded),
      JSON.stringify(loaded),
      inspect(loaded),
    ]) {
      expect(shown).not.toContain(CANARY);
    }
    expect(formatSettings(loaded)).toContain("https://<redacted>@example.com/v1beta?key=<redacted>&alt=sse");
    expect(redactURL("not a url")).toBe("not a url");
  });

  it("a key written where an endpoint belongs (api: {openai: <key>}) is not echoed by the error", () => {
    const box = sandbox(`api:\n  openai: ${CANARY}\n`);
    const error = (() => {
      try {
        loadSettings({ env: box.env, cwd: box.cwd });
      } catch (caught) {
        return caught as Error;
      }
    })();
    expect(error?.message).toMatch(/setting api\.openai/);
    expect(error?.message).not.toContain(CANARY);
  });

  it("a malformed base URL with a key in it is not echoed either", () => {
    const box = sandbox(`api:\n  openai:\n    baseURL: "${CANARY} not a url"\n`);
    const error = (() => {
      try {
        loadSettings({ env: box.env, cwd: box.cwd });
      } catch (caught) {
        return caught as Error;
      }
    })();
    expect(error?.message).toMatch(/setting api\.openai\.baseURL/);
    expect(error?.message).not.toContain(CANARY);
  });
});
