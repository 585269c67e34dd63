import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { type ProviderServer, startProviderServer } from "../testing/provider-server/index.ts";
import { turnFromJson } from "../turns/serialization.ts";
import { main } from "./main.ts";
import { createTestIO } from "./test-io.ts";

/** A fake home (XDG_CONFIG_HOME) and project folder, so no developer config is read. */
function sandbox(env: Record<string, string> = {}) {
  const root = mkdtempSync(join(tmpdir(), "geppetto-cli-"));
  const config = join(root, "config");
  const cwd = join(root, "project");
  mkdirSync(join(config, "geppetto"), { recursive: true });
  mkdirSync(cwd);
  const write = (file: string, text: string | Uint8Array) => {
    writeFileSync(file, text);
    return file;
  };
  const io = (stdin?: string) =>
    createTestIO({
      env: { HOME: root, XDG_CONFIG_HOME: config, GEPPETTO_NO_LOCAL_SERVER: "1", ...env },
      cwd,
      ...(stdin === undefined ? {} : { stdin }),
    });
  return { root, cwd, io, write, configDir: join(config, "geppetto") };
}

const PNG = Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0]);

describe("geppetto run: settings", () => {
  let server: ProviderServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it("--print-settings shows each value's source and redacts secrets", async () => {
    const box = sandbox({ OPENAI_API_KEY: "sk-secret-env" });
    box.write(join(box.cwd, ".geppetto.yaml"), "chat:\n  apiType: openai\n  temperature: 0.4\n");
    const io = box.io();
    expect(
      await main(["run", "--print-settings", "--ai-api-key", "sk-secret-flag", "--ai-engine", "m"], io),
    ).toBe(0);
    expect(io.out).toMatch(/api\.openai\.apiKey\s+= <redacted>\s+# flag --ai-api-key/);
    expect(io.out).toMatch(
      /chat\.temperature\s+= 0\.4\s+# config file .*\.geppetto\.yaml at chat\.temperature/,
    );
    expect(io.out).toMatch(/chat\.engine\s+= "m"\s+# flag --ai-engine/);
    expect(io.out + io.err).not.toMatch(/sk-secret/);

    const json = box.io();
    expect(await main(["run", "--print-settings", "--output", "json"], json)).toBe(0);
    const printed = JSON.parse(json.out);
    expect(printed.settings.api.openai.apiKey).toBe("<redacted>");
    expect(printed.sources["api.openai.apiKey"]).toBe("environment variable OPENAI_API_KEY");
    expect(json.out).not.toMatch(/sk-secret/);
  });

  it("bad settings exit 2 with a message naming the setting and its source", async () => {
    const box = sandbox();
    const cases: [string[], RegExp][] = [
      [["--ai-api-type", "foo"], /setting chat\.apiType: must be one of .* \(from flag --ai-api-type\)/],
      [["--ai-temperature", "hot"], /setting chat\.temperature: expected a number/],
      [["--ai-api-type", "openai"], /setting api\.openai\.apiKey: openai: no API key: set OPENAI_API_KEY/],
      [["--profile", "nope"], /unknown profile "nope" \(selected by --profile\)/],
      [["--image", "missing.png"], /--image missing\.png: no such file/],
    ];
    for (const [flags, message] of cases) {
      const io = box.io();
      expect(await main(["run", ...flags, "Hello"], io), flags.join(" ")).toBe(2);
      expect(io.err).toMatch(message);
      expect(io.out).toBe("");
    }
  });

  it("a bad config file exits 2 naming the file and key path", async () => {
    const box = sandbox();
    const file = box.write(join(box.configDir, "config.yaml"), "chat:\n  maxResponseTokens: -3\n");
    const io = box.io();
    expect(await main(["run", "Hello"], io)).toBe(2);
    expect(io.err).toContain(`setting chat.maxResponseTokens`);
    expect(io.err).toContain(`config file ${file} at chat.maxResponseTokens`);
    box.write(file, "chat: [\n");
    const malformed = box.io();
    expect(await main(["run", "Hello"], malformed)).toBe(2);
    expect(malformed.err).toMatch(/malformed YAML/);
  });

  it("runs the configured provider over HTTP, with the profile's settings and the cost from modelInfo", async () => {
    server = await startProviderServer({
      response: {
        script: { text: "Bonjour tout le monde.", usage: { inputTokens: 1000, outputTokens: 2000 } },
      },
    });
    const box = sandbox();
    box.write(
      join(box.configDir, "profiles.yaml"),
      [
        "profiles:",
        "  local:",
        "    chat: { apiType: openai-responses, engine: gpt-test, temperature: 0.3 }",
        "    modelInfo: { prices: { inputPerMillion: 1, outputPerMillion: 2 } }",
      ].join("\n"),
    );
    box.write(join(box.cwd, "cat.png"), PNG);
    const io = box.io();
    const argv = ["run", "--profile", "local", "--ai-base-url", server.baseURL(), "--image", "cat.png"];
    expect(await main([...argv, "--output", "json", "Hello"], io)).toBe(0);
    expect(io.err).toBe("");
    const turn = turnFromJson(io.out);
    const user = turn.blocks[0];
    expect(user?.kind === "user" && user.payload.images).toEqual([
      { mediaType: "image/png", data: Buffer.from(PNG).toString("base64") },
    ]);
    expect(turn.blocks.at(-1)).toMatchObject({
      kind: "llm_text",
      payload: { text: "Bonjour tout le monde." },
    });
    expect(turn.metadata["geppetto.inference_result@v1"]).toMatchObject({
      cost: { currency: "USD", input: 0.001, output: 0.004, total: 0.005 },
    });
    const body = server.requests.at(-1)?.body as Record<string, unknown>;
    expect(body).toMatchObject({ model: "gpt-test", temperature: 0.3 });
  });
});

describe("geppetto run: exit codes with a configured provider", () => {
  let server: ProviderServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it("a provider error exits 1 with the message on stderr", async () => {
    server = await startProviderServer({
      response: {
        error: {
          status: 400,
          body: { error: { message: "model not found", type: "invalid_request_error" } },
        },
      },
    });
    const box = sandbox({ OPENAI_API_KEY: "sk-test-key" });
    const io = box.io();
    const argv = ["run", "--ai-api-type", "openai-responses", "--ai-base-url", server.baseURL(), "Hello"];
    expect(await main(argv, io)).toBe(1);
    expect(io.err).toMatch(/^geppetto run: .*model not found/m);
    expect(io.err).not.toContain("sk-test-key");
  });

  it("Ctrl-C during the answer exits 130 and prints the partial Turn", async () => {
    server = await startProviderServer({
      response: { script: { text: "one two three four five six seven eight nine ten" }, pacingMs: 20 },
    });
    const box = sandbox();
    const io = box.io();
    let interrupted = false;
    io.onStdout((chunk) => {
      if (!interrupted && chunk.includes('"type":"partial"')) {
        interrupted = true;
        io.interrupt();
      }
    });
    const argv = [
      "run",
      "--ai-api-type",
      "openai-responses",
      "--ai-base-url",
      server.baseURL(),
      "-o",
      "jsonl",
      "Hi",
    ];
    expect(await main(argv, io)).toBe(130);
    const lines = io.out
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line));
    expect(lines.map((line) => line.type)).toContain("interrupt");
    expect(lines.at(-1).metadata["geppetto.inference_result@v1"].finishClass).toBe("interrupted");
  });
});

describe("geppetto profiles", () => {
  it("lists profiles with the default marked, and shows one with sources", async () => {
    const box = sandbox();
    const file = box.write(
      join(box.configDir, "profiles.yaml"),
      "default: fast\nprofiles:\n  base: { chat: { apiType: ollama } }\n  fast: { extends: base, description: Quick, chat: { temperature: 0.2 } }\n",
    );
    const list = box.io();
    expect(await main(["profiles", "list"], list)).toBe(0);
    expect(list.out).toContain(`  base  [${file}]`);
    expect(list.out).toContain(`* fast  Quick (extends base)  [${file}]`);

    const show = box.io();
    expect(await main(["profiles", "show", "fast"], show)).toBe(0);
    expect(show.out).toContain("# profile fast (selected by --profile; stack: base → fast)");
    expect(show.out).toMatch(
      /chat\.apiType\s+= "ollama"\s+# profile "base" in .* at profiles\.base\.chat\.apiType/,
    );
  });

  it("bad usage and bad profiles exit 2; --help shows examples", async () => {
    const box = sandbox();
    box.write(join(box.configDir, "profiles.yaml"), "profiles:\n  a: { extends: b }\n  b: { extends: a }\n");
    for (const argv of [["profiles"], ["profiles", "frob"], ["profiles", "show", "a"]]) {
      const io = box.io();
      expect(await main(argv, io), argv.join(" ")).toBe(2);
    }
    const cycle = box.io();
    await main(["profiles", "show", "a"], cycle);
    expect(cycle.err).toMatch(/profile cycle: a → b → a/);
    const help = box.io();
    expect(await main(["profiles", "--help"], help)).toBe(0);
    expect(help.out).toContain("Examples:");
  });
});
