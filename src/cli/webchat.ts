/**
 * `geppetto webchat`: the web chat server (geppetto/webchat) on the engine `run` and `chat` would use — the same
 * settings, profiles and flags, the local default when no provider is configured — with turns saved in the
 * session store and the timeline beside it.
 */
import { dirname, join } from "node:path";
import type { BusyPolicy } from "../session/session.ts";
import { settingsFlagsHelp, settingsParseOptions } from "../settings/flags.ts";
import type { WebChatEngine } from "../webchat/conversation.ts";
import { type SelectedEngine, selectEngine } from "./engine-selection.ts";
import type { CliIO } from "./main.ts";
import { applyModelFlag, MODEL_FLAG_HELP, MODEL_OPTION } from "./model-flag.ts";
import { checkToolSet, toolSetRegistry } from "./run-tools.ts";
import { DB_FLAG_HELP, sessionDbPath } from "./session-db.ts";
import { oneOf, parseCommandLine, UsageError } from "./usage.ts";

/** The environment variable holding the token (below `--auth-token`). */
export const TOKEN_ENV = "GEPPETTO_WEBCHAT_TOKEN";

const BUSY_POLICIES = ["reject", "queue", "interrupt"] as const;

/** The command's help. */
export function webchatHelp(): string {
  return `Usage: geppetto webchat [options]

Serves a chat in the browser on http://127.0.0.1:8765/ (answers stream as they are written, Markdown rendered
inert, reasoning dimmed, tool calls as cards, tokens and cost per answer, Stop keeps the partial answer). Every
conversation is kept: its turns in the session store, its timeline in a SQLite file beside it, so a reloaded
page or a restarted server picks up where it was. Press Ctrl-C to stop the server.

Options:
  --port N             The port (default 8765; 0 picks a free one; the URL is printed)
  --host ADDRESS       The address to listen on (default 127.0.0.1). Any other address requires a token
  --auth-token TOKEN   Require this token on every request (or ${TOKEN_ENV}); open the page once with
                       ?token=TOKEN and the browser keeps it in a cookie
  ${MODEL_FLAG_HELP}
  --tools SET          Offer tools and run the tool loop: demo (time, calculator)
  --busy POLICY        A prompt sent while an answer is written: reject (default; the page says so), queue,
                       interrupt
  --idle-minutes N     Close conversations unused for N minutes (default 15; their timelines stay)
  ${DB_FLAG_HELP}
  --timeline-db PATH   The web chat timeline (SQLite; default webchat.db beside the session store)
  -h, --help           Show this help

Engine settings (see \`geppetto run --help\`); a prompt may also name a profile:
${settingsFlagsHelp()}

Examples:
  geppetto webchat                               # the embedded default: no API key, no network
  geppetto webchat --port 0 --tools demo         # ask "what is 6 * 7?" and watch the calculator card
  geppetto webchat --profile fast
  geppetto webchat --host 0.0.0.0 --auth-token "$(openssl rand -hex 16)"
`;
}

const OPTIONS = {
  ...settingsParseOptions(),
  ...MODEL_OPTION,
  port: { type: "string" },
  host: { type: "string" },
  "auth-token": { type: "string" },
  tools: { type: "string" },
  busy: { type: "string" },
  "idle-minutes": { type: "string" },
  db: { type: "string" },
  "timeline-db": { type: "string" },
  help: { type: "boolean", short: "h" },
} as const;

function numberFlag(name: string, value: string | undefined, fallback: number, max: number): number {
  if (value === undefined) return fallback;
  const parsed = Number(value);
  if (!/^\d+(\.\d+)?$/.test(value) || parsed > max) {
    throw new UsageError(`--${name} must be a number from 0 to ${max} (got "${value}")`);
  }
  return parsed;
}

/** Runs the command: serves until Ctrl-C. */
export async function run(argv: string[], io: CliIO): Promise<number> {
  const parsed = parseCommandLine(argv, OPTIONS);
  const values = applyModelFlag(parsed.values);
  const { positionals } = parsed;
  if (values.help) {
    io.stdout.write(webchatHelp());
    return 0;
  }
  if (positionals.length > 0)
    throw new UsageError(`webchat takes no arguments (got "${positionals.join(" ")}")`);
  checkToolSet(values.tools);
  const busyPolicy: BusyPolicy = oneOf("busy", values.busy, BUSY_POLICIES, "reject");
  const port = numberFlag("port", values.port, 8765, 65535);
  const idleMinutes = numberFlag("idle-minutes", values["idle-minutes"], 15, 7 * 24 * 60);
  const token = values["auth-token"] ?? io.env[TOKEN_ENV];
  const host = values.host ?? "127.0.0.1";
  const { isLoopbackHost } = await import("../webchat/http.ts");
  if (!isLoopbackHost(host) && !token) {
    throw new UsageError(`--host ${host} is not a loopback address: set --auth-token (or ${TOKEN_ENV})`);
  }

  // One engine per profile, chosen like `run` and `chat` do, created on first use and closed on exit.
  const engines = new Map<string, Promise<SelectedEngine>>();
  const engineFor = async (profile: string | undefined): Promise<WebChatEngine> => {
    const key = profile ?? "";
    let selected = engines.get(key);
    if (!selected) {
      selected = selectEngine(profile === undefined ? values : { ...values, profile }, io, {
        tools: values.tools !== undefined,
      });
      engines.set(key, selected);
      selected.catch(() => engines.delete(key));
    }
    const chosen = await selected;
    const prices = chosen.settings?.settings.modelInfo?.prices;
    if (!prices) return { engine: chosen.engine };
    const { computeCost } = await import("../settings/cost.ts");
    return { engine: chosen.engine, cost: (usage) => computeCost(usage, prices)?.total };
  };
  await engineFor(undefined); // bad settings stop here, before anything listens

  const [{ startWebChatServer, TimelineStore }, { openSessionDb }, tools] = await Promise.all([
    import("../webchat/index.ts"),
    import("./session-db.ts"),
    toolSetRegistry(values.tools, io.cwd ?? process.cwd()),
  ]);
  const dbPath = sessionDbPath(values.db, io.env);
  const store = await openSessionDb(dbPath);
  const timelinePath = values["timeline-db"] ?? join(dirname(dbPath), "webchat.db");
  let timeline: Awaited<ReturnType<typeof TimelineStore.open>> | undefined;
  let server: Awaited<ReturnType<typeof startWebChatServer>> | undefined;
  try {
    timeline = await TimelineStore.open(timelinePath);
    server = await startWebChatServer({
      engine: engineFor,
      timeline,
      turnStore: store.turns,
      busyPolicy,
      host,
      port,
      idleMs: idleMinutes * 60_000,
      ...(token ? { authToken: token } : {}),
      ...(tools ? { tools } : {}),
    });
    const selected = await engines.get("")!;
    if (selected.isDefault) io.stderr.write(`geppetto: ${selected.description}\n`);
    io.stderr.write(`Sessions in ${dbPath}, timelines in ${timelinePath}\n`);
    io.stdout.write(`geppetto webchat: ${server.url}${token ? "?token=<your token>" : ""}\n`);
    await new Promise<void>((resolve) => {
      const stop = io.onInterrupt(() => {
        stop();
        resolve();
      });
    });
    return 0;
  } finally {
    await server?.close();
    timeline?.close();
    await store.close();
    for (const selected of engines.values()) await (await selected.catch(() => undefined))?.close();
  }
}
