/**
 * The README's TypeScript blocks run as written. Each block that needs no server of its own (Redis, PostgreSQL,
 * a realtime provider, an MCP server) and no name the prose assumes runs in a fresh `node` process as a user's
 * file importing `geppetto` (the built package), against the local provider server reached through the providers'
 * own environment variables (`OPENAI_BASE_URL`, `ANTHROPIC_BASE_URL`, `GEMINI_BASE_URL`, `OLLAMA_HOST`) with test
 * keys, in an empty folder whose config folder holds the README's own `profiles.yaml`. Every other block is
 * listed with the reason it does not run here, so a new block must be classified.
 */
import { execFile } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ProviderServer, startProviderServer } from "../src/testing/provider-server/server.ts";
import { readmeBlocks } from "./readme-blocks.ts";

const run = promisify(execFile);
const ROOT = new URL("../", import.meta.url);

/**
 * The blocks that run, by a line of theirs: what their output shows, the requests they send (path prefixes on the
 * local server) and the files they leave in their folder.
 */
const RUNS: { marker: string; prints: RegExp; requests?: string[]; files?: string[] }[] = [
  { marker: 'import { ScriptedEngine, script } from "geppetto/testing";\n\n// A Turn', prints: /completed/ },
  {
    marker: "generateObject, generateText, hasToolCall",
    prints: /Ada\n.*Alan\n.*Grace/s,
    requests: ["/v1/chat/completions", "/v1/messages", "/v1beta/models/gemini-2.5-flash:", "/api/chat"],
  },
  { marker: "Streams arrive token by token.", prints: /Streams arrive token by token\./ },
  {
    marker: "createClaudeEngine({ model: ",
    prints: /Hello from the local server\./,
    requests: ["/v1/messages"],
  },
  { marker: "openSqliteTurnStore", prints: /^$/, requests: ["/v1/chat/completions"], files: ["sessions.db"] },
  // Builds the logging, tracing and recording context (no inference: the recording is written on the first).
  { marker: "createRecordingTap, withRecording", prints: /^$/ },
];

/** The blocks that do not run here, and why (each has its own runnable test). */
const NOT_RUN: { marker: string; reason: string }[] = [
  { marker: "RedisStreamsTransport", reason: "needs a Redis server (examples/multi-process runs it)" },
  { marker: "openPostgresTurnStore", reason: "needs PostgreSQL (src/stores/postgres tests run it)" },
  {
    marker: "openAIRealtimeMode",
    reason: "a realtime provider and the reader's engine (src/sessions tests)",
  },
  { marker: "McpToolset", reason: "MCP servers (src/mcp tests run them)" },
  {
    marker: "FilteringSink",
    reason: "the reader's engine and UI (src/structured/citations.example.test.ts)",
  },
];

const answers = {
  person: { name: "Ada", age: 36 },
  people: {
    elements: [
      { name: "Ada", age: 36 },
      { name: "Alan", age: 41 },
      { name: "Grace", age: 85 },
    ],
  },
};

let server: ProviderServer;
let home: string;
beforeAll(async () => {
  server = await startProviderServer({
    response: {
      handler: (_request, protocol) => ({
        script: {
          text:
            protocol.name === "gemini"
              ? JSON.stringify(answers.person)
              : protocol.name === "ollama"
                ? JSON.stringify(answers.people)
                : "Hello from the local server.",
          usage: { inputTokens: 10, outputTokens: 5 },
        },
      }),
    },
  });
  home = mkdtempSync(join(tmpdir(), "geppetto-readme-run-"));
  // The README's profiles.yaml, as a reader would save it.
  const readme = readFileSync(new URL("README.md", ROOT), "utf8");
  const profiles = /```yaml\n# ~\/\.config\/geppetto\/profiles\.yaml[^\n]*\n([\s\S]*?)```/.exec(readme)?.[1];
  expect(profiles).toContain("fast:");
  mkdirSync(join(home, "config", "geppetto"), { recursive: true });
  writeFileSync(join(home, "config", "geppetto", "profiles.yaml"), profiles ?? "");
});
afterAll(async () => {
  await server.close();
  rmSync(home, { recursive: true, force: true });
});

describe("README code blocks run as written", () => {
  it("every block is one that runs here or one listed with its reason", () => {
    const unclassified = readmeBlocks().filter(
      (block) => ![...RUNS, ...NOT_RUN].some((known) => block.source.includes(known.marker)),
    );
    expect(unclassified.map((block) => `README.md:${block.line}`)).toEqual([]);
  });

  it.each(RUNS)(
    "the block with `$marker` runs",
    { timeout: 60_000 },
    async ({ marker, prints, requests, files }) => {
      const block = readmeBlocks().find((each) => each.source.includes(marker));
      expect(block).toBeDefined();
      // Inside the package, so `geppetto` resolves to the built package as in a user's project.
      const folder = new URL("test-artifacts/readme-run/", ROOT);
      mkdirSync(folder, { recursive: true });
      const file = new URL(`readme-line-${block?.line}.ts`, folder);
      writeFileSync(file, `${block?.source}\n`);
      const cwd = mkdtempSync(join(home, "cwd-"));
      const sent = server.requests.length;
      try {
        const { stdout } = await run(process.execPath, [file.pathname], {
          cwd,
          encoding: "utf8",
          env: {
            PATH: process.env.PATH ?? "",
            HOME: home,
            XDG_CONFIG_HOME: join(home, "config"),
            OPENAI_API_KEY: "sk-readme-openai",
            OPENAI_BASE_URL: server.baseURL("openai-chat"),
            ANTHROPIC_API_KEY: "sk-ant-readme",
            ANTHROPIC_BASE_URL: server.baseURL("anthropic"),
            GEMINI_API_KEY: "readme-gemini",
            GEMINI_BASE_URL: server.baseURL("gemini"),
            OLLAMA_HOST: server.baseURL("ollama"),
          },
        });
        expect(stdout).toMatch(prints);
        const paths = server.requests.slice(sent).map((request) => request.path);
        for (const path of requests ?? [])
          expect(paths.filter((each) => each.startsWith(path))).not.toEqual([]);
        for (const name of files ?? []) expect(existsSync(join(cwd, name))).toBe(true);
      } finally {
        rmSync(file, { force: true });
      }
    },
  );
});
