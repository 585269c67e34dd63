/**
 * `geppetto webchat`: the web chat server (geppetto/webchat) on the engine `run` and `chat` would use — the same
 * settings, profiles and flags, the local default when no provider is configured — with turns saved in the
 * session store and the timeline beside it.
 */
import { dirname, join } from "node:path";
import type { EventTransport } from "../events/transport.ts";
import type { BusyPolicy } from "../session/session.ts";
import type { TurnStore } from "../session/turn-store.ts";
import { settingsFlagsHelp, settingsParseOptions } from "../settings/flags.ts";
import { redactUrl } from "../transports/shared.ts";
import type { WebChatEngine } from "../webchat/conversation.ts";
import type { WebChatTimeline } from "../webchat/shared-timeline.ts";
import { type SelectedEngine, selectEngine } from "./engine-selection.ts";
import type { CliIO } from "./main.ts";
import { applyModelFlag, MODEL_FLAG_HELP, MODEL_OPTION } from "./model-flag.ts";
import { checkToolSet, toolSetRegistry } from "./run-tools.ts";
import { DB_FLAG_HELP, sessionStoreLocation } from "./session-db.ts";
import { oneOf, parseCommandLine, UsageError } from "./usage.ts";

/** The Redis Streams or NATS JetStream transport at `url`, connected (a clear error naming it when it cannot be). */
async function connectTransport(url: string): Promise<EventTransport> {
  if (url.startsWith("nats:")) {
    const { NatsJetStreamTransport } = await import("../transports/nats/index.ts");
    const transport = new NatsJetStreamTransport({ servers: url });
    await transport.connect();
    return transport;
  }
  const { RedisStreamsTransport } = await import("../transports/redis/index.ts");
  const transport = new RedisStreamsTransport({ url });
  await transport.connect();
  return transport;
}

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
  --tools SET          Offer tools and run the tool loop: demo (time, calculator), or a module of your own
                       (./my-tools.ts: its defineTool exports; a needsApproval tool asks Approve / Deny in the page)
  --busy POLICY        A prompt sent while an answer is written: reject (default; the page says so), queue,
                       interrupt
  --idle-minutes N     Close conversations unused for N minutes (default 15; their timelines stay)
  ${DB_FLAG_HELP}
  --timeline-db PATH   The web chat timeline (SQLite; default webchat.db beside the session store)
  --store URL          postgres://user:password@host:5432/db: keep sessions and timelines in PostgreSQL, shared
                       by every instance started with the same URL (instead of --db and --timeline-db)
  --transport URL      redis://host:6379 or nats://host:4222: relay answers and Stop between the instances
                       sharing --store, so a page on one follows an answer running on another
  --lease-seconds N    With --store and --transport: an instance silent this long is taken for dead and its
                       unfinished answer is marked interrupted (default 10)
  -h, --help           Show this help

Engine settings (see \`geppetto run --help\`); a prompt may also name a profile:
${settingsFlagsHelp()}

Examples:
  geppetto webchat                               # the embedded default: no API key, no network
  geppetto webchat --port 0 --tools demo         # ask "what is 6 * 7?" and watch the calculator card
  geppetto webchat --profile fast
  geppetto webchat --host 0.0.0.0 --auth-token "$(openssl rand -hex 16)"
  geppetto webchat --port 8001 --store postgres://app@db/app --transport redis://cache:6379   # and 8002, …
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
  store: { type: "string" },
  transport: { type: "string" },
  "lease-seconds": { type: "string" },
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

  // --store, else where `run`, `chat` and `sessions` keep sessions: --db, GEPPETTO_DB, the settings' `store`.
  const configured = (await engines.get(""))?.settings?.settings.store;
  const location = await sessionStoreLocation(values.db, io.env, async () => configured);
  const storeUrl = values.store ?? (location.kind === "postgres" ? location.url : undefined);
  if (storeUrl !== undefined && !/^postgres(ql)?:\/\//.test(storeUrl)) {
    throw new UsageError(`--store must be a postgres:// URL (got "${redactUrl(storeUrl)}")`);
  }
  const transportUrl = values.transport;
  if (transportUrl !== undefined && !/^(redis|rediss|nats):\/\//.test(transportUrl)) {
    throw new UsageError(`--transport must be a redis:// or nats:// URL (got "${redactUrl(transportUrl)}")`);
  }
  if (transportUrl !== undefined && storeUrl === undefined) {
    throw new UsageError("--transport needs --store: the instances it links must share one database");
  }
  const leaseSeconds = numberFlag("lease-seconds", values["lease-seconds"], 10, 3600);

  const [{ startWebChatServer, TimelineStore, WebChatRelay }, { openSessionDb }, tools] = await Promise.all([
    import("../webchat/index.ts"),
    import("./session-db.ts"),
    toolSetRegistry(values.tools, io.cwd ?? process.cwd()),
  ]);
  const closers: (() => unknown)[] = [];
  let server: Awaited<ReturnType<typeof startWebChatServer>> | undefined;
  try {
    let turnStore: TurnStore;
    let timeline: WebChatTimeline;
    let where: string;
    if (storeUrl !== undefined) {
      const postgres = await import("../stores/postgres/index.ts");
      const turns = await postgres.openPostgresTurnStore({ url: storeUrl });
      closers.push(() => turns.close());
      const shared = await postgres.openPostgresTimelineStore({ url: storeUrl });
      closers.push(() => shared.close());
      [turnStore, timeline, where] = [turns, shared, `Sessions and timelines in ${redactUrl(storeUrl)}`];
    } else {
      const dbPath = location.url;
      const store = await openSessionDb(dbPath);
      closers.push(() => store.close());
      const timelinePath = values["timeline-db"] ?? join(dirname(dbPath), "webchat.db");
      const local = await TimelineStore.open(timelinePath);
      closers.push(() => local.close());
      [turnStore, timeline, where] = [
        store.turns,
        local,
        `Sessions in ${dbPath}, timelines in ${timelinePath}`,
      ];
    }
    let relay: InstanceType<typeof WebChatRelay> | undefined;
    if (transportUrl !== undefined) {
      const transport = await connectTransport(transportUrl);
      closers.push(() => transport.close());
      relay = new WebChatRelay(transport);
    }
    server = await startWebChatServer({
      engine: engineFor,
      timeline,
      turnStore,
      busyPolicy,
      host,
      port,
      idleMs: idleMinutes * 60_000,
      leaseMs: leaseSeconds * 1000,
      ...(relay ? { relay } : {}),
      ...(token ? { authToken: token } : {}),
      ...(tools ? { tools } : {}),
    });
    const selected = await engines.get("")!;
    if (selected.isDefault) io.stderr.write(`geppetto: ${selected.description}\n`);
    io.stderr.write(`${where}${relay ? `, relayed over ${redactUrl(transportUrl!)}` : ""}\n`);
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
    for (const close of closers.reverse()) await close();
    for (const selected of engines.values()) await (await selected.catch(() => undefined))?.close();
  }
}
