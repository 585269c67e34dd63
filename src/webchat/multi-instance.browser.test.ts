/**
 * Two `geppetto webchat` instances (real processes, the CLI from source) sharing one PostgreSQL database and one
 * Redis (then one NATS), all started by the test, with Debian's Chromium connected to them: a prompt posted to A streams to a page
 * on B, a reload on either hydrates the same timeline, Stop on B stops the answer running on A, and A killed
 * mid-answer leaves the answer marked interrupted on B with what had streamed.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Page } from "playwright-core";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestPostgres, type TestPostgres } from "../stores/postgres/test-server.ts";
import { startNatsServer, startRedisServer, type TestServer } from "../transports/test-servers.ts";
import { launchChromium } from "./test-support.ts";

const CLI = fileURLToPath(new URL("./__fixtures__/geppetto-cli.ts", import.meta.url));

interface Instance {
  url: string;
  process: ChildProcess;
  /** Everything it printed. */
  output(): string;
}

let database: TestPostgres;
let home: string;
let browser: Awaited<ReturnType<typeof launchChromium>>;

/** Starts `geppetto webchat --store … --transport …` on a free port; resolves once it printed its URL. */
function startInstance(storeUrl: string, transportUrl: string): Promise<Instance> {
  const child = spawn(
    process.execPath,
    [
      "--experimental-transform-types",
      "--no-warnings",
      CLI,
      "webchat",
      "--port",
      "0",
      "--store",
      storeUrl,
      "--transport",
      transportUrl,
      "--lease-seconds",
      "2",
    ],
    {
      stdio: ["ignore", "pipe", "pipe"],
      // The embedded default answers about 40 words, 100 ms apart: time to act mid-answer.
      env: {
        PATH: process.env.PATH,
        HOME: home,
        XDG_CONFIG_HOME: join(home, "config"),
        XDG_DATA_HOME: join(home, "data"),
        GEPPETTO_EMBEDDED_PACING_MS: "100",
      },
    },
  );
  let output = "";
  return new Promise((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /geppetto webchat: (http:\/\/127\.0\.0\.1:\d+\/)/.exec(output);
      if (match) resolve({ url: match[1]!, process: child, output: () => output });
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", onData);
    child.once("exit", (code) =>
      reject(new Error(`webchat exited (${code}) before it listened:\n${output}`)),
    );
  });
}

async function stopInstance(instance: Instance | undefined, signal: NodeJS.Signals): Promise<void> {
  const child = instance?.process;
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  child.kill(signal);
  await exited;
}

beforeAll(async () => {
  home = mkdtempSync(join(tmpdir(), "geppetto-multi-"));
  [database, browser] = await Promise.all([startTestPostgres(), launchChromium()]);
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await database?.dispose();
  rmSync(home, { recursive: true, force: true });
});

const answers = '[data-role="assistant"]:not([hidden])';

async function post(instance: Instance, path: string, body: object): Promise<Record<string, string>> {
  const response = await fetch(new URL(path, instance.url), {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  expect(response.status).toBeLessThan(300);
  return (await response.json()) as Record<string, string>;
}

async function openOn(instance: Instance, convId: string): Promise<Page> {
  const page = await browser.context.newPage();
  await page.goto(`${instance.url}#conv=${encodeURIComponent(convId)}`);
  return page;
}

async function texts(page: Page, role: string): Promise<string[]> {
  const all = await page.locator(`[data-role="${role}"]:not([hidden]) .content`).allTextContents();
  return all.map((text) => text.trim());
}

describe.each([
  ["Redis", startRedisServer],
  ["NATS", startNatsServer],
])("two web chat instances on one PostgreSQL and one %s", (name, startTransport) => {
  let transport: TestServer;
  let a: Instance;
  let b: Instance;
  let convId: string;

  beforeAll(async () => {
    transport = await startTransport();
    const admin = postgres(database.url, { max: 1, onnotice: () => {} });
    await admin.unsafe(`CREATE DATABASE webchat_${name.toLowerCase()}`);
    await admin.end();
    const storeUrl = database.url.replace(/\/postgres$/, `/webchat_${name.toLowerCase()}`);
    [a, b] = await Promise.all([
      startInstance(storeUrl, transport.url),
      startInstance(storeUrl, transport.url),
    ]);
  }, 120_000);

  afterAll(async () => {
    await Promise.all([stopInstance(a, "SIGINT"), stopInstance(b, "SIGINT")]);
    await transport?.dispose();
  });

  it("a prompt posted to A streams to a page on B; a reload on either shows the same timeline", async () => {
    ({ conv_id: convId } = (await post(a, "/chat", { prompt: "first question" })) as { conv_id: string });
    const page = await openOn(b, convId);
    await page.locator(`${answers}[data-status="streaming"]`).waitFor();
    await page.locator(`${answers}[data-status="done"]`).waitFor();
    const answer = (await texts(page, "assistant"))[0]!;
    expect(answer).toContain('You said: "first question"');
    expect(await texts(page, "user")).toEqual(["first question"]);
    await page.reload();
    await page.locator(`${answers}[data-status="done"]`).waitFor();
    const onA = await openOn(a, convId);
    await onA.locator(`${answers}[data-status="done"]`).waitFor();
    for (const shown of [page, onA]) {
      expect(await texts(shown, "user")).toEqual(["first question"]);
      expect(await texts(shown, "assistant")).toEqual([answer]);
    }
    await Promise.all([page.close(), onA.close()]);
  });

  it("Stop pressed on B stops the answer running on A, which keeps its partial text", async () => {
    const page = await openOn(b, convId);
    await page.locator(`${answers}[data-status="done"]`).waitFor();
    await post(a, "/chat", { conv_id: convId, prompt: "second question" });
    await page.locator(`${answers}`).nth(1).locator(".content", { hasText: "You said" }).waitFor();
    await page.getByRole("button", { name: "Stop" }).click();
    await page.locator(`${answers}[data-status="cancelled"]`).waitFor();
    expect(await page.locator(`${answers} .meta`).nth(1).textContent()).toMatch(/^cancelled/);
    const partial = (await texts(page, "assistant"))[1]!;
    expect(partial.length).toBeGreaterThan(0);
    expect('Hello! You said: "second question". I am geppetto').toContain(partial.slice(0, 20));
    // A itself ended it (A wrote the cancelled state), and its history has the partial answer.
    const timeline = (await (await fetch(new URL(`/api/timeline?conv_id=${convId}`, a.url))).json()) as {
      entities: { kind: string; status: string; text: string }[];
    };
    const stored = timeline.entities.filter((entity) => entity.kind === "assistant");
    expect(stored.map((entity) => entity.status)).toEqual(["done", "cancelled"]);
    await page.close();
  });

  it("A killed mid-answer leaves the answer interrupted on B, with what had streamed, and B goes on", async () => {
    const page = await openOn(b, convId);
    await page.locator(`${answers}[data-status="cancelled"]`).waitFor();
    await post(a, "/chat", { conv_id: convId, prompt: "third question" });
    await page.locator(`${answers}`).nth(2).locator(".content", { hasText: "third question" }).waitFor();
    await stopInstance(a, "SIGKILL");
    const interrupted = page.locator(`${answers}`).nth(2);
    await page.locator(`${answers}[data-status="cancelled"]`).nth(1).waitFor({ timeout: 15_000 });
    expect(await interrupted.locator(".meta").textContent()).toMatch(/^interrupted/);
    const kept = (await texts(page, "assistant"))[2]!;
    expect(kept).toContain('You said: "third question"');
    await page.reload();
    await page.locator(`${answers}[data-status="cancelled"]`).nth(1).waitFor();
    expect((await texts(page, "assistant"))[2]).toBe(kept);
    // B can answer in the conversation now: the dead instance's lease is gone.
    await page.getByLabel("Message", { exact: true }).fill("fourth question");
    await page.getByLabel("Message", { exact: true }).press("Enter");
    await page.locator(`${answers}[data-status="done"]`).nth(1).waitFor();
    expect((await texts(page, "assistant"))[3]).toContain('You said: "fourth question"');
    expect(await texts(page, "user")).toEqual([
      "first question",
      "second question",
      "third question",
      "fourth question",
    ]);
    await page.close();
  });

  it("never prints the database password", () => {
    expect(b.output()).toContain("postgres://geppetto:***@127.0.0.1");
    expect(a.output() + b.output()).not.toContain("secret-pw");
  });
});
