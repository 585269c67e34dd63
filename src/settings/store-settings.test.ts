/** The `store` settings (`{ kind, url }`): validated, and the URL's password never shown. */
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { inspect } from "node:util";
import { describe, expect, it } from "vitest";
import { loadSettings } from "./load.ts";
import { formatSettings, redactSettings, settingsToJson } from "./print.ts";

const PASSWORD = "pg-canary-5d1e";

function sandbox(config: string) {
  const root = mkdtempSync(join(tmpdir(), "geppetto-store-settings-"));
  const cwd = join(root, "project");
  mkdirSync(join(root, "config", "geppetto"), { recursive: true });
  mkdirSync(cwd);
  writeFileSync(join(cwd, ".geppetto.yaml"), config);
  return { env: { XDG_CONFIG_HOME: join(root, "config"), HOME: root }, cwd };
}

describe("store settings", () => {
  it("reads store: { kind, url } and redacts the URL's password wherever settings are shown", () => {
    const box = sandbox(`store:\n  kind: postgres\n  url: postgres://app:${PASSWORD}@db:5432/app\n`);
    const loaded = loadSettings({ env: box.env, cwd: box.cwd, flags: {} });
    expect(loaded.settings.store).toMatchObject({
      kind: "postgres",
      url: `postgres://app:${PASSWORD}@db:5432/app`,
    });
    for (const shown of [
      JSON.stringify(loaded),
      inspect(loaded, { depth: 10 }),
      JSON.stringify(redactSettings(loaded.settings)),
      formatSettings(loaded),
      settingsToJson(loaded),
    ]) {
      expect(shown).not.toContain(PASSWORD);
      expect(shown).toContain("postgres://");
    }
  });

  it("names a postgres store whose URL is not a postgres:// URL", () => {
    const box = sandbox(`store:\n  kind: postgres\n  url: ./sessions.db\n`);
    expect(() => loadSettings({ env: box.env, cwd: box.cwd, flags: {} })).toThrow(/store\.url/);
  });
});
