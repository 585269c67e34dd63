import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { isProviderConfigured, loadSettings } from "./load.ts";
import { describeSource } from "./sources.ts";

/** A fake home (XDG_CONFIG_HOME) and a fake project folder (cwd), both empty. */
function sandbox() {
  const root = mkdtempSync(join(tmpdir(), "geppetto-settings-"));
  const config = join(root, "config");
  const cwd = join(root, "project");
  mkdirSync(join(config, "geppetto"), { recursive: true });
  mkdirSync(cwd);
  const env: Record<string, string> = { XDG_CONFIG_HOME: config, HOME: root };
  return {
    env,
    cwd,
    userConfig: join(config, "geppetto", "config.yaml"),
    projectConfig: join(cwd, ".geppetto.yaml"),
    userProfiles: join(config, "geppetto", "profiles.yaml"),
    projectProfiles: join(cwd, ".geppetto-profiles.yaml"),
    write(file: string, text: string) {
      writeFileSync(file, text);
      return file;
    },
  };
}

const sourceText = (loaded: ReturnType<typeof loadSettings>, path: string) =>
  describeSource(loaded.sources.get(path)!);

describe("loadSettings precedence", () => {
  it("defaults only: stream on, no provider configured", () => {
    const box = sandbox();
    const loaded = loadSettings({ env: box.env, cwd: box.cwd });
    expect(loaded.settings).toEqual({ chat: { stream: true } });
    expect(sourceText(loaded, "chat.stream")).toBe("default");
    expect(isProviderConfigured(loaded)).toBe(false);
    expect(loaded.files).toEqual([]);
  });

  it("user config < project config < profile < environment < flags, each with its source", () => {
    const box = sandbox();
    box.write(
      box.userConfig,
      "chat:\n  apiType: openai\n  engine: user-model\n  temperature: 0.1\n  topP: 0.1\n  maxResponseTokens: 10\n  stop: [a]\n",
    );
    box.write(
      box.projectConfig,
      "chat:\n  engine: project-model\n  temperature: 0.2\n  topP: 0.2\n  stop: [b]\n",
    );
    box.write(box.userProfiles, "profiles:\n  p:\n    chat:\n      temperature: 0.3\n      topP: 0.3\n");
    const env = {
      ...box.env,
      GEPPETTO_PROFILE: "p",
      GEPPETTO_AI_TOP_P: "0.4",
      GEPPETTO_AI_STOP: '["c","d"]',
    };
    const loaded = loadSettings({ env, cwd: box.cwd, flags: { "ai-temperature": "0.5" } });
    expect(loaded.settings.chat).toEqual({
      apiType: "openai",
      engine: "project-model",
      temperature: 0.5,
      topP: 0.4,
      maxResponseTokens: 10,
      stop: ["c", "d"],
      stream: true,
    });
    expect(sourceText(loaded, "chat.apiType")).toBe(`config file ${box.userConfig} at chat.apiType`);
    expect(sourceText(loaded, "chat.engine")).toBe(`config file ${box.projectConfig} at chat.engine`);
    expect(sourceText(loaded, "chat.topP")).toBe("environment variable GEPPETTO_AI_TOP_P");
    expect(sourceText(loaded, "chat.temperature")).toBe("flag --ai-temperature");
    expect(sourceText(loaded, "chat.stop")).toBe("environment variable GEPPETTO_AI_STOP");
    expect(loaded.profile).toEqual({ name: "p", selectedBy: "GEPPETTO_PROFILE", chain: ["p"] });
    expect(loaded.files).toEqual([box.userConfig, box.projectConfig, box.userProfiles]);
  });

  it("a profile sits above config files and below the environment", () => {
    const box = sandbox();
    box.write(box.projectConfig, "chat: { apiType: openai, temperature: 0.1 }\n");
    box.write(box.projectProfiles, "profiles:\n  warm:\n    chat: { temperature: 0.9, topP: 0.5 }\n");
    const loaded = loadSettings({
      env: { ...box.env, GEPPETTO_AI_TOP_P: "0.6" },
      cwd: box.cwd,
      flags: { profile: "warm" },
    });
    expect(loaded.settings.chat?.temperature).toBe(0.9);
    expect(sourceText(loaded, "chat.temperature")).toBe(
      `profile "warm" in ${box.projectProfiles} at profiles.warm.chat.temperature`,
    );
    expect(loaded.settings.chat?.topP).toBe(0.6);
  });

  it("providers' usual variables fill api keys; GEPPETTO_* and flags override them", () => {
    const box = sandbox();
    const env = {
      ...box.env,
      OPENAI_API_KEY: "sk-env",
      OPENAI_BASE_URL: "https://example.test/v1",
      ANTHROPIC_API_KEY: "ant-env",
      GOOGLE_API_KEY: "google-env",
      OLLAMA_HOST: "127.0.0.1",
    };
    const loaded = loadSettings({ env, cwd: box.cwd });
    expect(loaded.settings.api).toEqual({
      openai: { apiKey: "sk-env", baseURL: "https://example.test/v1" },
      claude: { apiKey: "ant-env" },
      gemini: { apiKey: "google-env" },
      ollama: { baseURL: "http://127.0.0.1:11434" },
    });
    expect(sourceText(loaded, "api.gemini.apiKey")).toBe("environment variable GOOGLE_API_KEY");
    const gemini = loadSettings({ env: { ...env, GEMINI_API_KEY: "gemini-env" }, cwd: box.cwd });
    expect(gemini.settings.api?.gemini?.apiKey).toBe("gemini-env");
    const flagged = loadSettings({
      env,
      cwd: box.cwd,
      flags: { "ai-api-type": "anthropic", "ai-api-key": "ant-flag", "ai-base-url": "http://127.0.0.1:9/" },
    });
    expect(flagged.settings.chat?.apiType).toBe("anthropic");
    expect(flagged.settings.api?.claude).toEqual({ apiKey: "ant-flag", baseURL: "http://127.0.0.1:9/" });
    expect(sourceText(flagged, "api.claude.apiKey")).toBe("flag --ai-api-key");
    expect(flagged.settings.api?.openai?.apiKey).toBe("sk-env");
  });

  it("--ai-api-key follows the api type set in a profile", () => {
    const box = sandbox();
    box.write(box.userProfiles, "default: g\nprofiles:\n  g:\n    chat: { apiType: gemini }\n");
    const loaded = loadSettings({ env: box.env, cwd: box.cwd, flags: { "ai-api-key": "k" } });
    expect(loaded.settings.api).toEqual({ gemini: { apiKey: "k" } });
    expect(loaded.profile?.selectedBy).toBe(`"default" in ${box.userProfiles}`);
    expect(loaded.settings.chat?.engine).toBe("gemini-2.5-flash");
    expect(sourceText(loaded, "chat.engine")).toMatch(/default \(the default model of api type gemini\)/);
  });

  it("--profile wins over GEPPETTO_PROFILE, which wins over the registry's default", () => {
    const box = sandbox();
    box.write(
      box.userProfiles,
      "default: a\nprofiles:\n  a: { chat: { topP: 0.1 } }\n  b: { chat: { topP: 0.2 } }\n  c: { chat: { topP: 0.3 } }\n",
    );
    const env = { ...box.env, GEPPETTO_PROFILE: "b" };
    expect(loadSettings({ env: box.env, cwd: box.cwd }).settings.chat?.topP).toBe(0.1);
    expect(loadSettings({ env, cwd: box.cwd }).settings.chat?.topP).toBe(0.2);
    expect(loadSettings({ env, cwd: box.cwd, flags: { profile: "c" } }).settings.chat?.topP).toBe(0.3);
  });

  it("profiles stack with extends (later parents win, the profile wins over its parents)", () => {
    const box = sandbox();
    box.write(
      box.userProfiles,
      [
        "profiles:",
        "  base: { chat: { apiType: openai, engine: base-model, temperature: 0.1, topP: 0.1 } }",
        "  hot: { chat: { temperature: 1.5 } }",
        "  mine: { extends: [base, hot], description: mine, chat: { topP: 0.7 } }",
      ].join("\n"),
    );
    box.write(box.projectProfiles, "profiles:\n  hot: { chat: { temperature: 1.2 } }\n");
    const loaded = loadSettings({ env: box.env, cwd: box.cwd, flags: { profile: "mine" } });
    expect(loaded.profile?.chain).toEqual(["base", "hot", "mine"]);
    expect(loaded.settings.chat).toMatchObject({ engine: "base-model", temperature: 1.2, topP: 0.7 });
    expect(sourceText(loaded, "chat.temperature")).toBe(
      `profile "hot" in ${box.projectProfiles} at profiles.hot.chat.temperature`,
    );
  });

  it("known models get built-in prices (shown as defaults); configured prices replace them", () => {
    const box = sandbox();
    const loaded = loadSettings({ env: box.env, cwd: box.cwd, flags: { "ai-api-type": "openai" } });
    expect(loaded.settings.chat?.engine).toBe("gpt-4o-mini");
    expect(loaded.settings.modelInfo?.prices).toEqual({
      inputPerMillion: 0.15,
      outputPerMillion: 0.6,
      cachedInputPerMillion: 0.075,
    });
    expect(sourceText(loaded, "modelInfo.prices.inputPerMillion")).toBe(
      "default (built-in prices of gpt-4o-mini)",
    );
    box.write(box.projectConfig, "modelInfo:\n  prices: { inputPerMillion: 1 }\n");
    const configured = loadSettings({ env: box.env, cwd: box.cwd, flags: { "ai-api-type": "openai" } });
    expect(configured.settings.modelInfo?.prices).toEqual({ inputPerMillion: 1 });
  });

  it("structured output flags, with the schema from JSON text or @file", () => {
    const box = sandbox();
    box.write(join(box.cwd, "schema.json"), '{"type":"object","properties":{"a":{"type":"string"}}}');
    const loaded = loadSettings({
      env: box.env,
      cwd: box.cwd,
      flags: {
        "ai-structured-output-mode": "json_schema",
        "ai-structured-output-name": "thing",
        "ai-structured-output-schema": "@schema.json",
        "ai-structured-output-strict": "false",
        "thinking-budget": "1024",
        "reasoning-effort": "low",
      },
    });
    expect(loaded.settings.chat?.structuredOutput).toEqual({
      mode: "json_schema",
      name: "thing",
      schema: { type: "object", properties: { a: { type: "string" } } },
      strict: false,
    });
    expect(loaded.settings.inference).toEqual({ thinkingBudget: 1024, reasoningEffort: "low" });
  });
});

describe("loadSettings bad input", () => {
  const expectError = (run: () => unknown, ...patterns: (string | RegExp)[]) => {
    let message = "";
    try {
      run();
    } catch (error) {
      message = (error as Error).message;
      expect((error as { code?: string }).code).toBe("invalid_settings");
    }
    expect(message, "expected an error").not.toBe("");
    for (const pattern of patterns) expect(message).toMatch(pattern);
    return message;
  };

  it("an unknown api type from a flag names the flag", () => {
    const box = sandbox();
    expectError(
      () => loadSettings({ env: box.env, cwd: box.cwd, flags: { "ai-api-type": "foo" } }),
      "setting chat.apiType",
      "must be one of openai (or openai-compatible), openai-responses, anthropic (or claude), gemini, ollama, deepseek",
      "flag --ai-api-type",
    );
  });

  it("a bad value in a config file names the file and the key path", () => {
    const box = sandbox();
    box.write(box.projectConfig, "chat:\n  temperature: 5\n");
    expectError(
      () => loadSettings({ env: box.env, cwd: box.cwd }),
      "setting chat.temperature",
      "(got 5)",
      `config file ${box.projectConfig} at chat.temperature`,
    );
  });

  it("a misspelled key in a config file is an unknown setting", () => {
    const box = sandbox();
    box.write(box.userConfig, "chat:\n  temprature: 0.5\n");
    expectError(
      () => loadSettings({ env: box.env, cwd: box.cwd }),
      "setting chat.temprature: unknown setting (did you mean chat.temperature?)",
      `config file ${box.userConfig} at chat.temprature`,
    );
  });

  it("a snake_case key suggests its camelCase name", () => {
    const box = sandbox();
    box.write(box.userConfig, "api:\n  openai:\n    api_key: sk-1\n");
    const message = expectError(
      () => loadSettings({ env: box.env, cwd: box.cwd }),
      "setting api.openai.api_key: unknown setting (did you mean api.openai.apiKey?)",
    );
    expect(message).not.toContain("sk-1");
  });

  it("malformed YAML names the file and line", () => {
    const box = sandbox();
    box.write(box.userConfig, "chat:\n  engine: [unclosed\n");
    expectError(
      () => loadSettings({ env: box.env, cwd: box.cwd }),
      `config file ${box.userConfig}`,
      "malformed YAML",
    );
    const other = sandbox();
    other.write(other.projectProfiles, "profiles: {\n");
    expectError(
      () => loadSettings({ env: other.env, cwd: other.cwd }),
      `profiles file ${other.projectProfiles}`,
    );
  });

  it("empty keys in YAML mean unset", () => {
    const box = sandbox();
    box.write(box.userConfig, "chat:\napi:\n  openai:\n    apiKey:\n");
    expect(loadSettings({ env: box.env, cwd: box.cwd }).settings).toEqual({ chat: { stream: true } });
  });

  it("a config file that is not a mapping", () => {
    const box = sandbox();
    box.write(box.userConfig, "- a\n- b\n");
    expectError(() => loadSettings({ env: box.env, cwd: box.cwd }), "expected a mapping");
  });

  it("a bad number from a flag or the environment", () => {
    const box = sandbox();
    expectError(
      () => loadSettings({ env: box.env, cwd: box.cwd, flags: { "ai-temperature": "warm" } }),
      'setting chat.temperature: expected a number (got "warm") (from flag --ai-temperature)',
    );
    expectError(
      () => loadSettings({ env: { ...box.env, GEPPETTO_AI_MAX_RESPONSE_TOKENS: "1.5" }, cwd: box.cwd }),
      "expected a whole number",
      "environment variable GEPPETTO_AI_MAX_RESPONSE_TOKENS",
    );
    expectError(
      () => loadSettings({ env: box.env, cwd: box.cwd, flags: { "ai-structured-output-schema": "{nope" } }),
      "not valid JSON",
      "--ai-structured-output-schema",
    );
  });

  it("a bad value from the environment names the variable", () => {
    const box = sandbox();
    expectError(
      () => loadSettings({ env: { ...box.env, GEPPETTO_AI_API_TYPE: "palm" }, cwd: box.cwd }),
      'setting chat.apiType: must be one of openai (or openai-compatible), openai-responses, anthropic (or claude), gemini, ollama, deepseek, openrouter, vllm, ollama-openai, azure (got "palm") (from environment variable GEPPETTO_AI_API_TYPE)',
    );
  });

  it("a bad value in a profile names the profile, its file and key path", () => {
    const box = sandbox();
    box.write(box.userProfiles, "profiles:\n  p:\n    chat: { topP: 7 }\n");
    expectError(
      () => loadSettings({ env: box.env, cwd: box.cwd, flags: { profile: "p" } }),
      "setting chat.topP",
      `profile "p" in ${box.userProfiles} at profiles.p.chat.topP`,
    );
  });

  it("an unknown profile lists the known ones and says who selected it", () => {
    const box = sandbox();
    box.write(box.userProfiles, "profiles:\n  a: {}\n  b: {}\n");
    expectError(
      () => loadSettings({ env: { ...box.env, GEPPETTO_PROFILE: "zzz" }, cwd: box.cwd }),
      'unknown profile "zzz" (selected by GEPPETTO_PROFILE); known profiles: a, b',
    );
    box.write(box.userProfiles, "profiles:\n  a: { extends: ghost }\n");
    expectError(
      () => loadSettings({ env: box.env, cwd: box.cwd, flags: { profile: "a" } }),
      'unknown profile "ghost" (extended by profile "a"',
      "at profiles.a.extends",
    );
  });

  it("a profile cycle is a clear error", () => {
    const box = sandbox();
    box.write(box.userProfiles, "profiles:\n  a: { extends: b }\n  b: { extends: c }\n  c: { extends: a }\n");
    expectError(
      () => loadSettings({ env: box.env, cwd: box.cwd, flags: { profile: "a" } }),
      `profile cycle: a → b → c → a (in ${box.userProfiles})`,
    );
  });

  it("a malformed profile entry names the key path", () => {
    const box = sandbox();
    box.write(box.userProfiles, "profiles:\n  a: { extends: 3 }\n");
    expectError(
      () => loadSettings({ env: box.env, cwd: box.cwd }),
      `profiles file ${box.userProfiles} at profiles.a.extends`,
    );
    box.write(box.userProfiles, "profilez: {}\n");
    expectError(() => loadSettings({ env: box.env, cwd: box.cwd }), "at profilez: unknown key");
  });

  it("an api key never appears in an error message", () => {
    const box = sandbox();
    box.write(box.userConfig, "api:\n  openai:\n    apiKey: 12345\n");
    const message = expectError(() => loadSettings({ env: box.env, cwd: box.cwd }), "api.openai.apiKey");
    expect(message).not.toContain("12345");
  });
});
