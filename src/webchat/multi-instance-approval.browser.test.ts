/**
 * Tool approval across two `geppetto webchat` instances (real processes, the CLI from source, with a token) that
 * share one PostgreSQL database and one Redis (then one NATS), with the user's tools module and OpenAI Chat
 * pointed at the local provider server. A prompt posted to A asks for a `needsApproval` call: the card shows on a
 * page on B, and Approve or Deny pressed there reaches the tool loop running on A over the relay.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Page } from "playwright-core";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { setupLocalServer } from "../providers/test-support.ts";
import { startTestPostgres, type TestPostgres } from "../stores/postgres/test-server.ts";
import { startNatsServer, startRedisServer, type TestServer } from "../transports/test-servers.ts";
import { DENIED_REASON } from "./approval.ts";
import { launchChromium } from "./test-support.ts";

const CLI = fileURLToPath(new URL("./__fixtures__/geppetto-cli.ts", import.meta.url));
const TOKEN = "approval-test-token";
const provider = setupLocalServer();

interface Instance {
  url: string;
  process: ChildProcess;
}

let database: TestPostgres;
let home: string;
let ledger: string;
let browser: Awaited<ReturnType<typeof launchChromium>>;

const toolsModule = (ledgerPath: string) => `import { appendFileSync } from "node:fs";
import { defineTool } from ${JSON.stringify(new URL("../tools/define-tool.ts", import.meta.url).href)};
export const pay = defineTool({
  name: "pay",
  description: "Pays an amount",
  input: { type: "object", properties: { amount: { type: "number" } }, required: ["amount"] },
  needsApproval: true,
  execute: ({ amount }: { amount: number }) => {
    appendFileSync(${JSON.stringify(ledgerPath)}, "paid " + amount + " by " + process.pid + "\\n");
    return { paid: amount };
  },
});
`;

/** Starts `geppetto webchat --store … --transport … --tools ./bank-tools.ts`; resolves once it printed its URL. */
function startInstance(storeUrl: string, transportUrl: string): Promise<Instance> {
  const args = ["webchat", "--port", "0", "--store", storeUrl, "--transport", transportUrl];
  const model = ["-m", "openai:gpt-4o-mini", "--ai-api-key", "k"];
  const child = spawn(
    process.execPath,
    [
      "--experimental-transform-types",
      "--no-warnings",
      CLI,
      ...args,
      ...model,
      "--ai-base-url",
      provider.baseURL("openai-chat"),
      "--tools",
      "./bank-tools.ts",
      "--auth-token",
      TOKEN,
    ],
    {
      cwd: join(home, "project"),
      stdio: ["ignore", "pipe", "pipe"],
      env: {
        PATH: process.env.PATH,
        HOME: home,
        XDG_CONFIG_HOME: join(home, "config"),
        XDG_DATA_HOME: join(home, "data"),
      },
    },
  );
  let output = "";
  return new Promise((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /geppetto webchat: (http:\/\/127\.0\.0\.1:\d+\/)/.exec(output);
      if (match) resolve({ url: match[1]!, process: child });
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", onData);
    child.once("exit", (code) =>
      reject(new Error(`webchat exited (${code}) before it listened:\n${output}`)),
    );
  });
}

async function stopInstance(instance: Instance | undefined): Promise<void> {
  const child = instance?.process;
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  child.kill("SIGINT");
  await exited;
}

beforeAll(async () => {
  home = mkdtempSync(join(tmpdir(), "geppetto-multi-approval-"));
  ledger = join(home, "ledger.txt");
  writeFileSync(ledger, "");
  mkdirSync(join(home, "project"));
  writeFileSync(join(home, "project", "bank-tools.ts"), toolsModule(ledger));
  [database, browser] = await Promise.all([startTestPostgres(), launchChromium()]);
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await database?.dispose();
  rmSync(home, { recursive: true, force: true });
});

/** Posts with the token (or without it, `token: false`); resolves to the status and the body. */
async function post(
  instance: Instance,
  path: string,
  body: object,
  options: { token?: boolean } = {},
): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(new URL(path, instance.url), {
    method: "POST",
    headers: {
      "content-type": "application/json",
      ...(options.token === false ? {} : { authorization: `Bearer ${TOKEN}` }),
    },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

async function openOn(instance: Instance, convId: string): Promise<Page> {
  const page = await browser.context.newPage();
  await page.goto(`${instance.url}?token=${TOKEN}#conv=${encodeURIComponent(convId)}`);
  return page;
}

const finished = '[data-role="assistant"]:not([hidden]):not([data-status="streaming"])';
const waiting = '[data-role="approval"][data-status="streaming"] button[data-approve="true"]';

describe.each([
  ["Redis", startRedisServer],
  ["NATS", startNatsServer],
])("tool approval across two web chat instances on one PostgreSQL and one %s", (name, startTransport) => {
  let transport: TestServer;
  let a: Instance;
  let b: Instance;

  beforeAll(async () => {
    transport = await startTransport();
    const admin = postgres(database.url, { max: 1, onnotice: () => {} });
    await admin.unsafe(`CREATE DATABASE approval_${name.toLowerCase()}`);
    await admin.end();
    const storeUrl = database.url.replace(/\/postgres$/, `/approval_${name.toLowerCase()}`);
    [a, b] = await Promise.all([
      startInstance(storeUrl, transport.url),
      startInstance(storeUrl, transport.url),
    ]);
  }, 120_000);

  afterAll(async () => {
    await Promise.all([stopInstance(a), stopInstance(b)]);
    await transport?.dispose();
  });

  it("a call asked on A shows on B; Approve pressed on B runs the tool on A; a late decision gets 404", async () => {
    provider.enqueue(
      { script: { toolCalls: [{ id: `call_${name}_1`, name: "pay", arguments: { amount: 5 } }] } },
      { script: { text: "Paid 5." } },
    );
    const started = await post(a, "/chat", { prompt: "Pay 5" });
    expect(started.status).toBe(202);
    const convId = started.body.conv_id as string;
    const page = await openOn(b, convId);
    const approval = page.locator('[data-role="approval"]');
    await page.locator(waiting).waitFor();
    expect(await approval.locator(".name").textContent()).toBe('Allow tool "pay"?');
    expect(JSON.parse((await approval.locator(".args").textContent()) ?? "")).toEqual({ amount: 5 });
    expect(provider.requests).toHaveLength(1); // the loop on A waits for the decision
    // Decisions are authenticated on B as every action is; malformed ones are refused before the relay.
    const decision = { conv_id: convId, call_id: `call_${name}_1` };
    expect((await post(b, "/chat/approve", { ...decision, approved: true }, { token: false })).status).toBe(
      401,
    );
    expect((await post(b, "/chat/approve", { ...decision, approved: "yes" })).status).toBe(400);
    expect((await post(b, "/chat/approve", { conv_id: convId, approved: true })).status).toBe(400);
    // An id no call has, while a call waits on A: A says so.
    const unknown = { conv_id: convId, call_id: "call_nobody", approved: true };
    expect((await post(b, "/chat/approve", unknown)).status).toBe(404);
    await page.locator(waiting).click();
    await page.locator(finished).first().waitFor();
    expect((await page.locator(`${finished} .content`).textContent())?.trim()).toBe("Paid 5.");
    expect(await approval.locator(".decision").textContent()).toBe("approved");
    expect(JSON.parse((await page.locator('[data-role="tool"] .result').textContent()) ?? "")).toEqual({
      paid: 5,
    });
    // The tool ran once, in A's process (the one running the answer).
    expect(readFileSync(ledger, "utf8").trim().split("\n").at(-1)).toBe(`paid 5 by ${a.process.pid}`);
    expect(JSON.stringify(provider.requests[1]!.body)).toContain('{\\"paid\\":5}');
    // Decided already: refused on either instance.
    expect((await post(b, "/chat/approve", { ...decision, approved: false })).status).toBe(404);
    expect((await post(a, "/chat/approve", { ...decision, approved: false })).status).toBe(404);
    await page.close();
  });

  it("Deny and Approve sent at once to B and A: the first decision wins, the other gets 404", async () => {
    const paid = readFileSync(ledger, "utf8");
    provider.enqueue(
      { script: { toolCalls: [{ id: `call_${name}_2`, name: "pay", arguments: { amount: 900 } }] } },
      { script: { text: "Done." } },
    );
    const started = await post(a, "/chat", { prompt: "Pay 900" });
    const convId = started.body.conv_id as string;
    const page = await openOn(b, convId);
    await page.locator(waiting).waitFor();
    const decision = { conv_id: convId, call_id: `call_${name}_2` };
    const [onB, onA] = await Promise.all([
      post(b, "/chat/approve", { ...decision, approved: false }),
      post(a, "/chat/approve", { ...decision, approved: true }),
    ]);
    expect([onB.status, onA.status].sort()).toEqual([200, 404]);
    const won = onB.status === 200 ? "denied" : "approved";
    await page.locator(finished).first().waitFor();
    expect(await page.locator('[data-role="approval"] .decision').textContent()).toBe(won);
    const result = (await page.locator('[data-role="tool"] .result').textContent()) ?? "";
    if (won === "denied") {
      expect(result).toContain(DENIED_REASON);
      expect(readFileSync(ledger, "utf8")).toBe(paid);
    } else {
      expect(JSON.parse(result)).toEqual({ paid: 900 });
    }
    await page.close();
  });
});
