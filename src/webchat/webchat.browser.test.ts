/**
 * The web chat in a real browser: Debian's Chromium driven by playwright-core, against the server on a free
 * 127.0.0.1 port with its SQLite stores in a temp folder and a scripted model streaming word by word.
 */
import { mkdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  HELD_PREFIX,
  holdNextAnswer,
  LONG_ANSWER,
  launchChromium,
  startTestWebChat,
  type TestWebChat,
} from "./test-support.ts";

const ARTIFACTS = fileURLToPath(new URL("../../test-artifacts/webchat/", import.meta.url));

let chat: TestWebChat;
let browser: Awaited<ReturnType<typeof launchChromium>>;

beforeAll(async () => {
  [chat, browser] = await Promise.all([startTestWebChat({ pacingMs: 12 }), launchChromium()]);
}, 60_000);
afterAll(async () => {
  await browser?.close();
  await chat?.dispose();
});

const answers = '[data-role="assistant"]:not([hidden])';

async function openChat(hash = ""): Promise<Page> {
  const page = await browser.context.newPage();
  await page.goto(`${chat.server.url}${hash}`);
  return page;
}

async function send(page: Page, prompt: string): Promise<void> {
  await page.getByLabel("Message", { exact: true }).fill(prompt);
  await page.getByLabel("Message", { exact: true }).press("Enter");
}

/** Waits until the page shows (at least) `count` finished answers (done, cancelled or error). */
async function waitForAnswers(page: Page, count: number): Promise<void> {
  await page
    .locator(`${answers}:not([data-status="streaming"])`)
    .nth(count - 1)
    .waitFor();
}

/** Waits until the last answer's text contains `piece` (while it streams). */
async function waitForText(page: Page, piece: string): Promise<void> {
  await page.locator(answers).last().locator(".content", { hasText: piece }).waitFor();
}

/** The text of every visible message of a role, in order (trimmed: Markdown ends paragraphs with a newline). */
async function texts(page: Page, role: string): Promise<string[]> {
  const all = await page.locator(`[data-role="${role}"]:not([hidden]) .content`).allTextContents();
  return all.map((text) => text.trim());
}

describe("the web chat in Chromium", () => {
  it("runs two turns, with reasoning collapsed and usage and cost under each answer", async () => {
    const page = await openChat();
    await send(page, "think about hello");
    await waitForAnswers(page, 1);
    await send(page, "Second question");
    await waitForAnswers(page, 2);
    expect(await texts(page, "user")).toEqual(["think about hello", "Second question"]);
    const [first, second] = await texts(page, "assistant");
    expect(first).toBe("Hello there.");
    expect(second).toContain('You said: "Second question"');
    expect(await page.locator('[data-role="assistant"] strong').first().textContent()).toBe("there");
    const reasoning = page.locator('[data-role="reasoning"]');
    expect(await reasoning.getAttribute("data-status")).toBe("done");
    expect(await reasoning.getAttribute("open")).toBeNull();
    // The reasoning comes before its answer.
    expect(await page.locator(`[data-role="reasoning"] + ${answers}`).count()).toBe(1);
    expect(await page.locator(`${answers} .meta`).first().textContent()).toBe(
      "12 in · 34 out · $0.000046 · scripted-test",
    );
    expect(await page.getByRole("button", { name: "Stop" }).isHidden()).toBe(true);
    expect(await page.locator("#conversations a[aria-current=page]").textContent()).toBe("think about hello");
    await page.close();
  });

  it("shows an error inline under the partial answer; Shift+Enter adds a new line, Enter sends", async () => {
    const page = await openChat();
    const input = page.getByLabel("Message", { exact: true });
    await input.fill("fail now");
    await input.press("Shift+Enter");
    await input.pressSequentially("second line");
    await input.press("Enter");
    await page.waitForSelector('[data-role="assistant"][data-status="error"]');
    expect(await texts(page, "user")).toEqual(["fail now\nsecond line"]);
    expect(await texts(page, "assistant")).toEqual(["Partial before the failure"]);
    expect(await page.locator('[data-role="assistant"] .error').textContent()).toMatch(
      /the provider is down/,
    );
    expect(await input.inputValue()).toBe("");
    await page.close();
  });

  it("keeps the scroll at the bottom while an answer streams, unless the user scrolled up", async () => {
    const page = await openChat();
    await page.setViewportSize({ width: 560, height: 320 });
    const messages = page.locator("#messages");
    const position = () =>
      messages.evaluate((element) => {
        const box = element as unknown as { scrollTop: number; scrollHeight: number; clientHeight: number };
        return { top: box.scrollTop, fromBottom: box.scrollHeight - box.scrollTop - box.clientHeight };
      });
    await send(page, "long and tall");
    await waitForText(page, "w60 w61 ");
    const following = await position();
    expect(following.top).toBeGreaterThan(0);
    expect(following.fromBottom).toBeLessThan(32);
    await messages.evaluate((element) => {
      (element as unknown as { scrollTop: number }).scrollTop = 0;
    });
    await waitForText(page, "w100 w101 ");
    expect((await position()).top).toBe(0);
    await waitForAnswers(page, 1);
    await page.close();
  });

  it("shows a tool call as a card with its arguments and result, and saves a screenshot of the conversation", async () => {
    const page = await openChat();
    await send(page, "What is 6 * 7?");
    await waitForAnswers(page, 1);
    const card = page.locator('[data-role="tool"]');
    expect(await card.getAttribute("data-status")).toBe("done");
    expect(await card.locator(".name").textContent()).toBe("calculator");
    expect(JSON.parse((await card.locator(".args").textContent()) ?? "")).toEqual({ expression: "6 * 7" });
    expect(JSON.parse((await card.locator(".result").textContent()) ?? "")).toEqual({
      expression: "6 * 7",
      result: 42,
    });
    expect(await texts(page, "assistant")).toEqual(["6 * 7 = 42."]);
    await send(page, "think about it, then say hello");
    await waitForAnswers(page, 2);
    await page.locator('[data-role="reasoning"] summary').click();
    expect(await page.locator('[data-role="reasoning"]').getAttribute("open")).toBe("");
    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: `${ARTIFACTS}conversation.png` });
    await page.close();
  });

  it("Stop cancels the answer and keeps the partial text, marked cancelled, also after a reload", async () => {
    holdNextAnswer();
    const page = await openChat();
    await send(page, "held for Stop");
    await waitForText(page, "w19 w20");
    await page.getByRole("button", { name: "Stop" }).click();
    await page.waitForSelector('[data-role="assistant"][data-status="cancelled"]');
    expect(await texts(page, "assistant")).toEqual([HELD_PREFIX.trim()]);
    expect(await page.locator(`${answers} .meta`).textContent()).toMatch(/^cancelled/);
    expect(await page.getByRole("button", { name: "Stop" }).isHidden()).toBe(true);
    await page.reload();
    await page.waitForSelector('[data-role="assistant"][data-status="cancelled"]');
    expect(await texts(page, "assistant")).toEqual([HELD_PREFIX.trim()]);
    await page.close();
  });

  it("a reload mid-answer hydrates and goes on streaming, with no duplicated or missing text", async () => {
    const release = holdNextAnswer();
    const page = await openChat();
    await send(page, "held story");
    await waitForText(page, "w19 w20");
    await page.reload();
    await page.waitForSelector('[data-role="assistant"][data-status="streaming"]');
    expect(await texts(page, "assistant")).toEqual([HELD_PREFIX.trim()]);
    release();
    await waitForAnswers(page, 1);
    expect(await texts(page, "assistant")).toEqual([LONG_ANSWER]);
    expect(await texts(page, "user")).toEqual(["held story"]);
    await page.close();
  });

  it("two tabs follow one conversation; a prompt sent while an answer is written is refused and the page says so", async () => {
    const release = holdNextAnswer();
    const first = await openChat();
    await send(first, "held for two tabs");
    await waitForText(first, "w19 w20");
    const second = await openChat(new URL(first.url()).hash);
    await waitForText(second, "w19 w20");
    await send(second, "are you busy?");
    await second.getByRole("alert").filter({ hasText: "Busy" }).waitFor();
    release();
    await Promise.all([waitForAnswers(first, 1), waitForAnswers(second, 1)]);
    await send(second, "now a second turn");
    await Promise.all([waitForAnswers(first, 2), waitForAnswers(second, 2)]);
    for (const page of [first, second]) {
      expect(await texts(page, "user")).toEqual(["held for two tabs", "now a second turn"]);
      const [long, short] = await texts(page, "assistant");
      expect(long).toBe(LONG_ANSWER);
      expect(short).toContain('You said: "now a second turn"');
    }
    await Promise.all([first.close(), second.close()]);
  });

  it("after a server restart the page reconnects, hydrates without duplicates, and the conversation goes on", async () => {
    const page = await openChat();
    await send(page, "before the restart");
    await waitForAnswers(page, 1);
    await chat.stop();
    await page.waitForSelector('#connection[data-state="reconnecting"]');
    await chat.restart();
    await page.waitForSelector('#connection[data-state="connected"]', { state: "attached" });
    await send(page, "after the restart");
    await waitForAnswers(page, 2);
    expect(await texts(page, "user")).toEqual(["before the restart", "after the restart"]);
    expect(await page.locator(answers).count()).toBe(2);
    // The model saw the whole conversation: the turns were saved and reloaded with the new server.
    const input = chat.engine.inputs.at(-1)!;
    expect(input.blocks.filter((block) => block.kind === "user").length).toBe(2);
    await page.close();
  });

  it("renders model output inert: HTML in an answer shows as text and runs nothing", async () => {
    const page = await openChat();
    const dialogs: string[] = [];
    page.on("dialog", (dialog) => {
      dialogs.push(dialog.message());
      void dialog.dismiss();
    });
    await send(page, "xss please");
    await waitForAnswers(page, 1);
    const content = page.locator(`${answers} .content`);
    expect((await content.textContent())?.trim()).toBe(
      "Look: <img src=x onerror=alert(1)> and <script>window.pwned = 1</script> and bold, " +
        "[click](javascript:alert(1)) and !pixel.",
    );
    expect(await content.locator("img, script").count()).toBe(0);
    expect(await content.locator("strong").textContent()).toBe("bold");
    // A script link stays text; Markdown images are plain links (the browser fetches nothing by itself).
    const links = content.locator("a");
    expect(await links.count()).toBe(1);
    expect(await links.getAttribute("href")).toBe("http://127.0.0.1:9/pixel.png");
    expect(await links.getAttribute("rel")).toBe("noopener noreferrer");
    expect(await page.evaluate(() => (globalThis as { pwned?: number }).pwned)).toBeUndefined();
    expect(dialogs).toEqual([]);
    await page.close();
  });
});
