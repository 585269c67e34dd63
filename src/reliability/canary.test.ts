/**
 * The canary secret scan: a made-up API key goes through every route out of the process that a key could take,
 * and must never come out — the CLI's output formats (text, json, yaml, jsonl) and its error paths, printed
 * settings and settings errors, the settings object (JSON.stringify, util.inspect), events, errors (message,
 * util.inspect), the Turns kept on errors, raw taps, and a SQLite store written through its public API. The
 * provider side is hostile on purpose: it echoes the key in error bodies and in mid-stream error events.
 * Web chat frames and Redis/NATS transport messages are scanned in canary-wire.test.ts.
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { inspect } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { main } from "../cli/main.ts";
import { createTestIO } from "../cli/test-io.ts";
import { GeppettoError } from "../engine/errors.ts";
import { CollectingSink, RunContext } from "../events/context.ts";
import { createFixtureTap } from "../providers/transport/tap.ts";
import { openSqliteTurnStore } from "../session/sqlite-turn-store.ts";
import { loadSettings } from "../settings/load.ts";
import {
  type ProviderServer,
  type RecordedRequest,
  startProviderServer,
} from "../testing/provider-server/index.ts";
import { newTurn, newUserTextBlock } from "../turns/builders.ts";
import type { Turn } from "../turns/types.ts";
import {
  contentTypeOf,
  createTestEngine,
  ENGINE_NAMES,
  type EngineName,
  errorFrame,
  protocolOf,
  soleEvent,
} from "./test-support.ts";

const CANARY = `sk-canary-${crypto.randomUUID().replaceAll("-", "")}`;
/** Every text that left through some route, with the route's name. */
const seen: { route: string; text: string }[] = [];
const record = (route: string, text: string): void => {
  seen.push({ route, text });
};
const folder = mkdtempSync(join(tmpdir(), "geppetto-canary-"));
const keptTurns: Turn[] = [];

function keyOf(request: RecordedRequest): string {
  const header =
    request.headers.authorization ?? request.headers["x-api-key"] ?? request.headers["x-goog-api-key"];
  return header?.replace(/^Bearer /, "") ?? "";
}

let server: ProviderServer;
beforeAll(async () => {
  server = await startProviderServer();
});
afterAll(async () => {
  await server.close();
});

function expectNoCanary(): void {
  expect(seen.length).toBeGreaterThan(0);
  const leaks = seen.filter((entry) => entry.text.includes(CANARY)).map((entry) => entry.route);
  expect(leaks).toEqual([]);
}

async function runEngine(
  engineName: EngineName,
  route: string,
  baseURL = server.baseURL(protocolOf(engineName)),
) {
  const tapPath = join(folder, "taps", `${engineName}-${route.replaceAll(/\W+/g, "-")}.txt`);
  mkdirSync(join(folder, "taps"), { recursive: true });
  const engine = createTestEngine(engineName, { baseURL, apiKey: CANARY, tap: createFixtureTap(tapPath) });
  const sink = new CollectingSink();
  const where = `${engineName} ${route}`;
  try {
    const turn = await engine.runInference(
      newTurn([newUserTextBlock("Hello")]),
      RunContext.background().withSinks(sink),
    );
    keptTurns.push(turn);
    record(`${where}: turn`, JSON.stringify(turn));
  } catch (error) {
    record(`${where}: error message`, String(error));
    record(`${where}: error inspected`, inspect(error, { depth: 8 }));
    if (GeppettoError.is(error) && error.turn) {
      keptTurns.push(error.turn);
      record(`${where}: error turn`, JSON.stringify(error.turn));
    }
  }
  record(`${where}: events`, JSON.stringify(sink.events));
}

describe("canary secret scan", () => {
  it("engines: answers, echoed keys in error bodies and error events, URL credentials, taps", async () => {
    const closed = await startProviderServer();
    await closed.close();
    for (const engineName of ENGINE_NAMES) {
      server.respond({ script: { text: "A plain answer." } });
      await runEngine(engineName, "answer");
      server.respond({
        handler: (request) => ({
          error: {
            status: 401,
            body: {
              error: {
                message: `Incorrect API key provided: ${keyOf(request)}`,
                type: "invalid_request_error",
              },
            },
          },
        }),
      });
      await runEngine(engineName, "401 echoing the key");
      server.respond({
        handler: (request) => ({
          raw: {
            frames: [errorFrame(engineName, `key ${keyOf(request)} is over its quota`, true)],
            contentType: contentTypeOf(engineName),
          },
        }),
      });
      await runEngine(engineName, "error event echoing the key");
      for (const [route, frame] of [
        ["malformed event echoing the key", (key: string) => `not json ${key}`],
        ["clean end mid-event echoing the key", (key: string) => `{"key": "${key}`],
      ] as const) {
        // The clean end leaves the event without its end: the stream stops in the middle of it.
        const complete = !route.startsWith("clean end");
        server.respond({
          handler: (request) => ({
            raw: {
              frames: [soleEvent(engineName, frame(keyOf(request)), complete)],
              contentType: contentTypeOf(engineName),
            },
          }),
        });
        await runEngine(engineName, route);
      }
      const closedURL = new URL(closed.baseURL(protocolOf(engineName)));
      await runEngine(
        engineName,
        "key in URL user info",
        `http://user:${CANARY}@${closedURL.host}${closedURL.pathname}`,
      );
      await runEngine(engineName, "key in ?key=", `${closed.baseURL(protocolOf(engineName))}?key=${CANARY}`);
    }
    for (const file of readdirSync(join(folder, "taps")))
      record(`tap file ${file}`, readFileSync(join(folder, "taps", file), "latin1"));
    expectNoCanary();
  });

  it("CLI: every output format, its error path, printed settings and settings errors", async () => {
    const home = mkdtempSync(join(tmpdir(), "geppetto-canary-home-"));
    const env = {
      HOME: home,
      XDG_CONFIG_HOME: join(home, ".config"),
      XDG_DATA_HOME: join(home, ".local/share"),
    };
    const provider = [
      "--ai-api-type",
      "openai",
      "--ai-api-key",
      CANARY,
      "--ai-base-url",
      server.baseURL("openai-chat"),
    ];
    for (const output of ["text", "json", "yaml", "jsonl"]) {
      server.respond({ script: { text: "A plain answer." } });
      const ok = createTestIO({ env });
      await main(["run", ...provider, "--output", output, "Hello"], ok);
      record(`cli run --output ${output}`, ok.out + ok.err);
      server.respond({
        handler: (request) => ({
          error: { status: 401, body: { error: { message: `bad key ${keyOf(request)}` } } },
        }),
      });
      const failed = createTestIO({ env });
      expect(await main(["run", ...provider, "--output", output, "Hello"], failed)).toBe(1);
      record(`cli run --output ${output} (401 echoing the key)`, failed.out + failed.err);
    }
    for (const output of ["text", "json"]) {
      const printed = createTestIO({ env });
      const url = `http://user:${CANARY}@127.0.0.1:9/v1?key=${CANARY}`;
      await main(
        ["run", "--print-settings", "--output", output, ...provider.slice(0, 4), "--ai-base-url", url],
        printed,
      );
      record(`cli --print-settings --output ${output}`, printed.out + printed.err);
    }
    const project = join(home, "project");
    mkdirSync(project);
    writeFileSync(join(project, ".geppetto.yaml"), `api:\n  openai: ${CANARY}\n`);
    const badSettings = createTestIO({ env, cwd: project });
    expect(await main(["run", "Hello"], badSettings)).toBe(2);
    record("cli settings error", badSettings.out + badSettings.err);
    expectNoCanary();
  });

  it("the settings object, and a SQLite store holding the Turns of every route", async () => {
    const home = mkdtempSync(join(tmpdir(), "geppetto-canary-settings-"));
    const loaded = loadSettings({
      env: { HOME: home, XDG_CONFIG_HOME: join(home, ".config"), OPENAI_API_KEY: CANARY },
      cwd: home,
      flags: {
        "ai-api-type": "openai",
        "ai-base-url": `https://user:${CANARY}@example.com/v1?key=${CANARY}`,
      },
    });
    record("settings JSON.stringify", JSON.stringify(loaded));
    record("settings util.inspect", inspect(loaded, { depth: 10 }));
    record("settings console-style", `${inspect(loaded.settings)}`);

    const dbPath = join(folder, "sessions.db");
    const store = await openSqliteTurnStore(dbPath);
    for (const turn of keptTurns) await store.save("canary-session", turn, "final");
    await store.close();
    for (const file of readdirSync(folder).filter((name) => name.startsWith("sessions.db"))) {
      record(`store file ${file}`, readFileSync(join(folder, file), "latin1"));
    }
    expectNoCanary();
  });
});
