/**
 * `geppetto webchat --tools ./module` end to end: the real command (its server, SQLite stores in a temp home) with
 * the user's tools module, OpenAI Chat pointed at the local provider server, and Debian's Chromium driven by
 * playwright-core. A tool marked `needsApproval` waits for Approve or Deny on the page.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { setupLocalServer } from "../providers/test-support.ts";
import { DENIED_REASON } from "../webchat/approval.ts";
import { launchChromium } from "../webchat/test-support.ts";
import { main } from "./main.ts";
import { createTestIO } from "./test-io.ts";

const provider = setupLocalServer();
const root = mkdtempSync(join(tmpdir(), "geppetto-webchat-tools-"));
const project = join(root, "project");
const ledger = join(root, "ledger.txt");

const TOOLS_MODULE = `import { appendFileSync } from "node:fs";
import { defineTool } from ${JSON.stringify(new URL("../tools/define-tool.ts", import.meta.url).href)};
export const shout = defineTool({
  name: "shout",
  description: "Upper-cases a text",
  input: { type: "object", properties: { text: { type: "string" } }, required: ["text"] },
  execute: ({ text }: { text: string }) => ({ loud: text.toUpperCase() }),
});
export const pay = defineTool({
  name: "pay",
  description: "Pays an amount",
  input: { type: "object", properties: { amount: { type: "number" } }, required: ["amount"] },
  needsApproval: true,
  execute: ({ amount }: { amount: number }) => {
    appendFileSync(${JSON.stringify(ledger)}, "paid " + amount + "\\n");
    return { paid: amount };
  },
});
`;

let browser: Awaited<ReturnType<typeof launchChromium>>;
let url: string;
let stop: () => Promise<number>;

beforeAll(async () => {
  mkdirSync(project);
  writeFileSync(join(project, "bank-tools.ts"), TOOLS_MODULE);
  const io = createTestIO({
    env: { HOME: root, XDG_CONFIG_HOME: join(root, "config"), XDG_DATA_HOME: join(root, "data") },
    cwd: project,
  });
  const shown = new Promise<string>((resolve) =>
    io.onStdout((chunk) => {
      const match = /geppetto webchat: (http:\/\/\S+\/)/.exec(chunk);
      if (match) resolve(match[1]!);
    }),
  );
  const argv = ["webchat", "--port", "0", "-m", "openai:gpt-4o-mini", "--ai-api-key", "k"];
  const exited = main(
    [...argv, "--ai-base-url", provider.baseURL("openai-chat"), "--tools", "./bank-tools.ts"],
    io,
  );
  stop = () => {
    io.interrupt();
    return exited;
  };
  [url, browser] = await Promise.all([
    Promise.race([shown, exited.then((code) => Promise.reject(new Error(`exit ${code}: ${io.err}`)))]),
    launchChromium(),
  ]);
}, 60_000);
afterAll(async () => {
  await browser?.close();
  if (stop) expect(await stop()).toBe(0);
  rmSync(root, { recursive: true, force: true });
});

async function ask(prompt: string): Promise<Page> {
  const page = await browser.context.newPage();
  await page.goto(url);
  await page.getByLabel("Message", { exact: true }).fill(prompt);
  await page.getByLabel("Message", { exact: true }).press("Enter");
  return page;
}

const finished = '[data-role="assistant"]:not([hidden]):not([data-status="streaming"])';

describe("geppetto webchat --tools ./module in Chromium", () => {
  it("runs the module's tools; a needsApproval call waits for Approve, then runs", async () => {
    provider.enqueue(
      {
        script: {
          toolCalls: [
            { id: "call_shout", name: "shout", arguments: { text: "hi" } },
            { id: "call_pay", name: "pay", arguments: { amount: 5 } },
          ],
        },
      },
      { script: { text: "Paid 5 and said HI." } },
    );
    const page = await ask("Pay 5 and shout hi");
    const approval = page.locator('[data-role="approval"]');
    await approval.locator('button[data-approve="true"]').waitFor();
    expect(await approval.locator(".name").textContent()).toBe('Allow tool "pay"?');
    expect(JSON.parse((await approval.locator(".args").textContent()) ?? "")).toEqual({ amount: 5 });
    // Nothing runs before the decision: the loop waits for it, with Stop offered.
    expect(provider.requests).toHaveLength(1);
    expect(await page.locator("#stop").isVisible()).toBe(true);
    await approval.locator('button[data-approve="true"]').click();
    await page.locator(finished).first().waitFor();
    expect((await page.locator(`${finished} .content`).textContent())?.trim()).toBe("Paid 5 and said HI.");
    expect(await approval.getAttribute("data-status")).toBe("done");
    expect(await approval.locator(".decision").textContent()).toBe("approved");
    expect(await approval.locator(".decide").isHidden()).toBe(true);
    const cards = page.locator('[data-role="tool"] .result');
    expect((await cards.allTextContents()).map((text) => JSON.parse(text))).toEqual([
      { loud: "HI" },
      { paid: 5 },
    ]);
    expect(readFileSync(ledger, "utf8")).toBe("paid 5\n");
    const results = JSON.stringify(provider.requests[1]!.body);
    expect(results).toContain('{\\"paid\\":5}');
    expect(results).toContain('{\\"loud\\":\\"HI\\"}');
    await page.close();
  });

  it("Deny refuses the call: it never runs and the model reads the refusal", async () => {
    provider.enqueue(
      { script: { toolCalls: [{ id: "call_pay_2", name: "pay", arguments: { amount: 900 } }] } },
      { script: { text: "I did not pay." } },
    );
    const page = await ask("Pay 900");
    const approval = page.locator('[data-role="approval"]');
    await approval.locator('button[data-approve="false"]').click();
    await page.locator(finished).first().waitFor();
    expect(await approval.locator(".decision").textContent()).toBe("denied");
    expect(await page.locator('[data-role="tool"] .result').textContent()).toContain(DENIED_REASON);
    expect(readFileSync(ledger, "utf8")).toBe("paid 5\n");
    expect(JSON.stringify(provider.requests[1]!.body)).toContain(DENIED_REASON);
    // A decision for a call that waits no more is refused, so is one that is no boolean; a reload keeps the decision.
    const convId = new URLSearchParams(new URL(page.url()).hash.slice(1)).get("conv")!;
    const decide = (body: Record<string, unknown>) =>
      page.evaluate(
        async (json) =>
          (
            await fetch("/chat/approve", {
              method: "POST",
              headers: { "content-type": "application/json" },
              body: json,
            })
          ).status,
        JSON.stringify({ conv_id: convId, call_id: "call_pay_2", ...body }),
      );
    expect(await decide({ approved: true })).toBe(404);
    expect(await decide({ approved: "yes" })).toBe(400);
    await page.reload();
    await page.locator(finished).first().waitFor();
    expect(await page.locator('[data-role="approval"] .decision').textContent()).toBe("denied");
    await page.close();
  });

  it("Stop while a call waits for approval cancels the answer; the call never runs", async () => {
    provider.enqueue({
      script: { toolCalls: [{ id: "call_pay_3", name: "pay", arguments: { amount: 7 } }] },
    });
    const page = await ask("Pay 7");
    const approval = page.locator('[data-role="approval"]');
    await approval.locator('button[data-approve="true"]').waitFor();
    await page.locator("#stop").click();
    await page.locator('[data-role="approval"][data-status="cancelled"]').waitFor();
    expect(await approval.locator(".decide").isHidden()).toBe(true);
    expect(await approval.locator(".decision").textContent()).toBe("cancelled");
    expect(readFileSync(ledger, "utf8")).toBe("paid 5\n");
    expect(provider.requests).toHaveLength(1);
    await page.close();
  });
});
