/**
 * Test support for the web chat: a scripted model with answers for each scenario, a server on a free
 * 127.0.0.1 port with real SQLite stores in a temp folder, the UI built once, and Debian's Chromium driven
 * by playwright-core (no browser download).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { BrowserContext } from "playwright-core";
import type { RunContext } from "../events/context.ts";
import { openSqliteTurnStore } from "../session/sqlite-turn-store.ts";
import type { TurnStore } from "../session/turn-store.ts";
import { ScriptedEngine, type ScriptStep, script } from "../testing/scripted-engine.ts";
import { toolUsingAnswer } from "../testing/tool-responder.ts";
import { demoToolRegistry } from "../tools/demo.ts";
import type { Turn } from "../turns/types.ts";
import { buildWebChatUi } from "./build-ui.ts";
import { startWebChatServer, type WebChatServer, type WebChatServerOptions } from "./server.ts";
import { TimelineStore } from "./timeline.ts";

/** The long answer: 120 numbered words, so a duplicated or missing piece is visible. */
export const LONG_ANSWER = Array.from({ length: 120 }, (_, index) => `w${index + 1}`).join(" ");
/** Model output that would run script (or fetch a URL) if it were rendered as HTML or trusted Markdown. */
export const XSS_ANSWER =
  "Look: <img src=x onerror=alert(1)> and <script>window.pwned = 1</script> and **bold**, " +
  "[click](javascript:alert(1)) and ![pixel](http://127.0.0.1:9/pixel.png).";

/** The words of {@link LONG_ANSWER} a `held…` answer streams before it waits for {@link holdNextAnswer}'s release. */
export const HELD_PREFIX = `${LONG_ANSWER.split(" ").slice(0, 20).join(" ")} `;

let hold: Promise<void> = Promise.resolve();

/**
 * Makes the next `held…` answers stop after {@link HELD_PREFIX} until the returned function is called, so a test
 * can act mid-answer (reload, Stop, open a second tab) without racing the stream.
 */
export function holdNextAnswer(): () => void {
  let release!: () => void;
  hold = new Promise<void>((resolve) => {
    release = resolve;
  });
  return release;
}

function lastUserText(turn: Turn): string {
  for (let index = turn.blocks.length - 1; index >= 0; index--) {
    const block = turn.blocks[index]!;
    if (block.kind === "user") return block.payload.text;
  }
  return "";
}

/**
 * Answers by prompt: `long…` streams {@link LONG_ANSWER}, `xss…` {@link XSS_ANSWER}, `think…` reasons first,
 * `fail…` fails after some text, `held…` waits mid-answer (see {@link holdNextAnswer}); anything else as the tool-using embedded default.
 */
export function scenarioAnswer(turn: Turn, ctx: RunContext): ScriptStep[] {
  const prompt = lastUserText(turn);
  const usage = script.usage({ inputTokens: 12, outputTokens: 34 });
  if (prompt.startsWith("long")) return [...script.text(LONG_ANSWER), usage, script.stop("stop")];
  if (prompt.startsWith("held")) {
    return [
      ...script.text(HELD_PREFIX),
      { type: "pause", until: hold },
      ...script.text(LONG_ANSWER.slice(HELD_PREFIX.length)),
      usage,
      script.stop("stop"),
    ];
  }
  if (prompt.startsWith("xss")) return [...script.text(XSS_ANSWER), usage, script.stop("stop")];
  if (prompt.startsWith("fail")) {
    return [
      ...script.text("Partial before the failure"),
      script.error("the provider is down", { code: "provider_down" }),
    ];
  }
  if (prompt.startsWith("think")) {
    return [
      ...script.reasoning("The user greets me."),
      ...script.text("Hello **there**."),
      usage,
      script.stop("stop"),
    ];
  }
  return toolUsingAnswer(turn, ctx);
}

/** A web chat on a scripted model, with its stores in a temp folder. */
export interface TestWebChat {
  server: WebChatServer;
  engine: ScriptedEngine;
  directory: string;
  /** Stops the server (the stores stay, so {@link TestWebChat.restart} can reopen them). */
  stop(): Promise<void>;
  /** Starts a new server on the same port and stores. */
  restart(): Promise<void>;
  /** Stops everything and removes the temp folder. */
  dispose(): Promise<void>;
}

/** Starts a web chat on a free port (`pacingMs` between streamed words, default 15). */
export async function startTestWebChat(
  options: { pacingMs?: number } & Partial<WebChatServerOptions> = {},
): Promise<TestWebChat> {
  const directory = mkdtempSync(join(tmpdir(), "geppetto-webchat-"));
  const uiDir = join(directory, "ui");
  await buildWebChatUi(uiDir);
  let timeline: TimelineStore;
  let turnStore: TurnStore;
  let engine: ScriptedEngine;
  const start = async (port: number) => {
    timeline = await TimelineStore.open(join(directory, "webchat.db"));
    turnStore = await openSqliteTurnStore(join(directory, "sessions.db"));
    engine = new ScriptedEngine(scenarioAnswer, {
      repeatLast: true,
      pacingMs: options.pacingMs ?? 15,
      model: "scripted-test",
      recordInputs: true,
    });
    try {
      return await startWebChatServer({
        tools: demoToolRegistry(),
        ...options,
        engine: { engine, cost: (usage) => ((usage.inputTokens ?? 0) + (usage.outputTokens ?? 0)) / 1e6 },
        timeline,
        turnStore,
        uiDir,
        port,
      });
    } catch (error) {
      timeline.close();
      await turnStore.close?.();
      throw error;
    }
  };
  const stopAll = async (chat: TestWebChat) => {
    await chat.server.close();
    timeline.close();
    await turnStore.close?.();
  };
  const chat: TestWebChat = {
    server: await start(options.port ?? 0).catch((error: unknown) => {
      rmSync(directory, { recursive: true, force: true });
      throw error;
    }),
    get engine() {
      return engine;
    },
    directory,
    stop: () => stopAll(chat),
    async restart() {
      chat.server = await start(chat.server.port);
    },
    async dispose() {
      await stopAll(chat).catch(() => {});
      rmSync(directory, { recursive: true, force: true });
    },
  };
  return chat;
}

/** The flags the tests launch Chromium with (no GPU, no network of its own, a fresh profile). */
export const CHROMIUM_FLAGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

/** Launches /usr/bin/chromium (Debian's) with a fresh user data dir. */
export async function launchChromium(): Promise<{ context: BrowserContext; close(): Promise<void> }> {
  const { chromium } = await import("playwright-core");
  const profile = mkdtempSync(join(tmpdir(), "geppetto-chromium-"));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.GEPPETTO_CHROMIUM ?? "/usr/bin/chromium",
    headless: true,
    args: CHROMIUM_FLAGS,
    viewport: { width: 1100, height: 760 },
  });
  return {
    context,
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
