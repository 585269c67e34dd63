/**
 * The settings' `store` (and `--db` with a path or a `postgres://` URL) is where every command that persists keeps
 * its sessions: `run`, `chat`, `sessions` and `webchat`, each run here as a real process of its own, on SQLite and
 * on a real PostgreSQL cluster. The URL's password never appears in what they print.
 */
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestPostgres, type TestPostgres } from "../stores/postgres/test-server.ts";

/** The built command (`npm test` builds first): a process starts in a fraction of what the sources take. */
const CLI = fileURLToPath(new URL("../../bin/geppetto.js", import.meta.url));
const PASSWORD = "canary-pw-4c1f";

interface Outcome {
  code: number | null;
  out: string;
  err: string;
}

let cluster: TestPostgres;
const homes: string[] = [];

beforeAll(async () => {
  cluster = await startTestPostgres();
});
afterAll(async () => {
  await cluster?.dispose();
  for (const home of homes) rmSync(home, { recursive: true, force: true });
});

/** A home with its own config and data folders; `store` goes into its config.yaml when given. */
function sandbox(store?: { kind: string; url: string }): { home: string; env: NodeJS.ProcessEnv } {
  const home = mkdtempSync(join(tmpdir(), "geppetto-store-setting-"));
  homes.push(home);
  mkdirSync(join(home, "config", "geppetto"), { recursive: true });
  if (store) {
    writeFileSync(
      join(home, "config", "geppetto", "config.yaml"),
      `store:\n  kind: ${store.kind}\n  url: "${store.url}"\n`,
    );
  }
  return {
    home,
    env: {
      PATH: process.env.PATH,
      HOME: home,
      XDG_CONFIG_HOME: join(home, "config"),
      XDG_DATA_HOME: join(home, "data"),
      GEPPETTO_NO_LOCAL_SERVER: "1",
      GEPPETTO_EMBEDDED_PACING_MS: "0",
    },
  };
}

/** Runs `geppetto ARGS` as a process (from source), with `input` on its standard input. */
function geppetto(env: NodeJS.ProcessEnv, args: string[], input = ""): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      stdio: ["pipe", "pipe", "pipe"],
      cwd: env.HOME,
      env,
    });
    let out = "";
    let err = "";
    child.stdout.on("data", (chunk: Buffer) => {
      out += chunk.toString();
    });
    child.stderr.on("data", (chunk: Buffer) => {
      err += chunk.toString();
    });
    child.on("error", reject);
    child.on("exit", (code) => resolve({ code, out, err }));
    child.stdin.end(input);
  });
}

/** Starts `geppetto webchat --port 0`, waits for its first lines, then stops it with SIGINT. */
function webchatBanner(env: NodeJS.ProcessEnv): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, "webchat", "--port", "0"], {
      stdio: ["ignore", "pipe", "pipe"],
      cwd: env.HOME,
      env,
    });
    let out = "";
    let err = "";
    child.stdout.on("data", (chunk: Buffer) => {
      out += chunk.toString();
      if (out.includes("geppetto webchat: http")) child.kill("SIGINT");
    });
    child.stderr.on("data", (chunk: Buffer) => {
      err += chunk.toString();
    });
    child.on("error", reject);
    child.on("exit", (code) => resolve({ code, out, err }));
  });
}

async function freshDatabase(): Promise<string> {
  const name = `geppetto_${crypto.randomUUID().replaceAll("-", "")}`;
  const admin = postgres(cluster.url, { max: 1, onnotice: () => {} });
  await admin.unsafe(`CREATE DATABASE ${name}`);
  await admin.end();
  return cluster.url.replace("secret-pw", PASSWORD).replace(/\/postgres$/, `/${name}`);
}

/** `run`, `run --continue`, `chat` (piped), `sessions list|search|show` and `webchat` on one store. */
async function everyCommand(env: NodeJS.ProcessEnv, where: string | RegExp): Promise<Outcome[]> {
  const seen: Outcome[] = [];
  const step = async (outcome: Promise<Outcome>, code = 0) => {
    const done = await outcome;
    seen.push(done);
    expect(done.code, done.err).toBe(code);
    return done;
  };
  await step(geppetto(env, ["run", "Tell me about Zanzibar"]));
  const continued = await step(geppetto(env, ["run", "--continue", "And its spice trade?"]));
  expect(continued.err).toMatch(/saved to session [0-9a-f-]+ \(/);
  expect(continued.err).toMatch(where);
  const chat = await step(geppetto(env, ["chat"], "A quokka question\n"));
  expect(chat.err).toMatch(where);
  const list = await step(geppetto(env, ["sessions", "list"]));
  const rows = list.out.trim().split("\n");
  expect(rows).toHaveLength(2);
  expect(rows[0]).toMatch(/ 1 turn .*A quokka question$/);
  expect(rows[1]).toMatch(/ 2 turns .*Tell me about Zanzibar$/);
  const search = await step(geppetto(env, ["sessions", "search", "spice TRADE"]));
  expect(search.out).toContain(rows[1]!.split(" ")[0]);
  expect(search.out.trim().split("\n")).toHaveLength(1);
  const show = await step(geppetto(env, ["sessions", "show", "--last"]));
  expect(show.out).toContain("user: A quokka question");
  const webchat = await step(webchatBanner(env));
  expect(webchat.err).toMatch(where);
  return seen;
}

describe("the store setting, read by run, chat, sessions and webchat (real processes)", () => {
  it("SQLite: the settings' file is used, GEPPETTO_DB and --db override it", {
    timeout: 120_000,
  }, async () => {
    const { home, env } = sandbox();
    const file = join(home, "elsewhere", "team.db");
    const configured = sandbox({ kind: "sqlite", url: file });
    await everyCommand(configured.env, new RegExp(file.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")));
    expect(existsSync(file)).toBe(true);
    expect(existsSync(join(configured.home, "data", "geppetto", "sessions.db"))).toBe(false);
    // Overridden: the environment, then the flag.
    const other = join(home, "other.db");
    const withEnv = { ...configured.env, GEPPETTO_DB: other };
    expect((await geppetto(withEnv, ["run", "In the env store"])).code).toBe(0);
    expect((await geppetto(withEnv, ["sessions", "list"])).out).toContain("In the env store");
    const flagged = await geppetto(configured.env, ["sessions", "list", "--db", other]);
    expect(flagged.out.trim().split("\n")).toHaveLength(1);
    expect((await geppetto(env, ["sessions", "list"])).err).toMatch(/no sessions in .*sessions\.db/);
  });

  it("PostgreSQL: the settings' URL is used by every command, its password never printed", {
    timeout: 120_000,
  }, async () => {
    const url = await freshDatabase();
    const { env } = sandbox({ kind: "postgres", url });
    const outcomes = await everyCommand(
      env,
      /postgres:\/\/(<redacted>|geppetto:\*\*\*)@127\.0\.0\.1:\d+\/geppetto_/,
    );
    for (const outcome of outcomes) expect(outcome.out + outcome.err).not.toContain(PASSWORD);
    const sql = postgres(url, { max: 1, onnotice: () => {} });
    expect(await sql`SELECT turn_count FROM geppetto_sessions ORDER BY ref`).toEqual([
      { turn_count: 2 },
      { turn_count: 1 },
    ]);
    await sql.end();
  });

  it("PostgreSQL: --db postgres://… with no settings; an unreachable one is named, redacted", {
    timeout: 60_000,
  }, async () => {
    const url = await freshDatabase();
    const { env } = sandbox();
    expect((await geppetto(env, ["run", "--db", url, "Stored remotely"])).code).toBe(0);
    const list = await geppetto({ ...env, GEPPETTO_DB: url }, ["sessions", "list"]);
    expect(list.out).toContain("Stored remotely");
    const port = new URL(cluster.url).port;
    const down = url.replace(`:${port}/`, ":1/");
    const failed = await geppetto(env, ["sessions", "list", "--db", down]);
    expect(failed.code).toBe(1);
    expect(failed.err).toMatch(/cannot open the session store postgres:\/\/<redacted>@127\.0\.0\.1:1\//);
    expect(failed.err).not.toContain(PASSWORD);
  });
});
