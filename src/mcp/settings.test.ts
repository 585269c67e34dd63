import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadSettings } from "../settings/load.ts";
import { formatSettings, settingsToJson } from "../settings/print.ts";
import { stdioEnvironment } from "./environment.ts";

function sandbox(profiles: string) {
  const root = mkdtempSync(join(tmpdir(), "geppetto-mcp-settings-"));
  const config = join(root, "config");
  const cwd = join(root, "project");
  mkdirSync(join(config, "geppetto"), { recursive: true });
  mkdirSync(cwd);
  writeFileSync(join(config, "geppetto", "profiles.yaml"), profiles);
  return { env: { XDG_CONFIG_HOME: config, HOME: root }, cwd };
}

const PROFILES = `profiles:
  tools:
    mcp:
      servers:
        github:
          command: mcp-github
          args: [--read-only]
          env: { GITHUB_PERSONAL_ACCESS: ghp_abc }
          envPassthrough: [GITHUB_HOST]
        docs:
          url: http://127.0.0.1:3000/mcp
          headers: { X-Api: hdr_abc }
          bearerToken: tok_abc
          trusted: true
`;

describe("mcp.servers settings", () => {
  it("come from a profile, with every secret redacted when printed", () => {
    const box = sandbox(PROFILES);
    const loaded = loadSettings({ ...box, flags: { profile: "tools" } });
    expect(loaded.settings.mcp?.servers?.github).toMatchObject({
      command: "mcp-github",
      args: ["--read-only"],
    });
    expect(loaded.settings.mcp?.servers?.docs?.trusted).toBe(true);
    const printed = formatSettings(loaded) + settingsToJson(loaded);
    expect(printed).toContain("mcp.servers.github.command");
    expect(printed).not.toMatch(/ghp_abc|hdr_abc|tok_abc/);
  });

  it("reject a bad environment variable name, naming the setting", () => {
    const box = sandbox(
      "profiles:\n  bad:\n    mcp: { servers: { x: { command: c, envPassthrough: ['NOT OK'] } } }\n",
    );
    expect(() => loadSettings({ ...box, flags: { profile: "bad" } })).toThrow(
      /mcp.servers.x.envPassthrough.0: must be an environment variable name/,
    );
  });

  it("stdio environment: the basics, the allow-listed names and the set values, nothing else", () => {
    const source = {
      PATH: "/bin",
      HOME: "/home/a",
      OPENAI_API_KEY: "sk",
      GITHUB_HOST: "gh",
      FN: "() { x; }",
    };
    expect(stdioEnvironment({ envPassthrough: ["GITHUB_HOST", "FN"], env: { A: "1" } }, source)).toEqual({
      PATH: "/bin",
      HOME: "/home/a",
      GITHUB_HOST: "gh",
      A: "1",
    });
  });
});
