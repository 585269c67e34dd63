/**
 * `geppetto sessions list|show|export`: the sessions kept in the session store (written by `geppetto chat`).
 */

import { KeyInferenceResult } from "../engine/engine.ts";
import { CallerError } from "../engine/errors.ts";
import { CorruptTurnError } from "../session/turn-store.ts";
import { turnToDocument, turnToYaml } from "../turns/serialization.ts";
import type { Block, Turn } from "../turns/types.ts";
import type { CliIO } from "./main.ts";
import {
  type CliSessionStore,
  DB_FLAG_HELP,
  expandSessionId,
  openSessionDb,
  sessionStoreLocation,
} from "./session-db.ts";
import { oneOf, parseCommandLine, UsageError } from "./usage.ts";

export const HELP = `Usage: geppetto sessions <list|show|export|delete|search> [options]

The sessions kept in the session store: every chat, and every \`geppetto run\` (unless --no-log). A session ID
may be any unique prefix of it.

Commands:
  list                 The sessions, most recent first: id, turns, last update, first prompt
  show ID|--last       A session's conversation as text, turn by turn
  export ID|--last     A session's turns as YAML documents (one per turn, format geppetto.turn/v1),
                       or as a JSON array with --output json
  delete ID|--last     Delete a session
  search TEXT          The sessions whose prompts, answers or reasoning contain TEXT (case ignored),
                       most recent first (at most 200)

Options:
  --last               The most recently updated session (instead of an ID)
  --output FORMAT      list: text or json; export: yaml (default) or json
  ${DB_FLAG_HELP}
  -h, --help           Show this help

Exit codes: 0 done, 1 failed (an unknown session, an unreadable store; show and export still print every
readable turn and name the unreadable ones), 2 bad usage.

Examples:
  geppetto sessions list
  geppetto sessions show --last
  geppetto sessions export 3f2c… > chat.yaml
  geppetto sessions export --last --output json | jq '.[-1].blocks'
  geppetto sessions search "haiku"
  geppetto sessions delete 3f2c
`;

const OPTIONS = {
  last: { type: "boolean" },
  output: { type: "string", short: "o" },
  db: { type: "string" },
  help: { type: "boolean", short: "h" },
} as const;

const SUBCOMMANDS = ["list", "show", "export", "delete", "search"] as const;

function firstPrompt(title: string): string {
  return title.length > 50 ? `${title.slice(0, 49)}…` : title;
}

async function resolveSessionId(
  store: CliSessionStore,
  positionals: string[],
  last: boolean | undefined,
  dbPath: string,
): Promise<string> {
  if (last && positionals.length > 0) throw new UsageError("give a session ID or --last, not both");
  if (last) {
    const [latest] = await store.listSessions();
    if (!latest) throw new Error(`no sessions in ${dbPath}`);
    return latest.sessionId;
  }
  if (positionals.length !== 1)
    throw new UsageError("give one session ID (see `geppetto sessions list`) or --last");
  return expandSessionId(store, positionals[0]!, dbPath);
}

/** A turn that could be read, or the error that names why it could not. */
type LoadedTurn = { turn: Turn } | { turnId: string; error: string };

/**
 * The session's turns; when a row is corrupt, the others are still read one by one and the bad ones are named,
 * so one broken turn never hides a session's good ones.
 */
async function loadTurns(store: CliSessionStore, sessionId: string, dbPath: string): Promise<LoadedTurn[]> {
  let turns: Turn[];
  try {
    turns = await store.listTurns(sessionId);
  } catch (error) {
    if (!(error instanceof CorruptTurnError)) throw error;
    const loaded: LoadedTurn[] = [];
    for (const info of await store.turns.listTurns(sessionId)) {
      try {
        const turn = await store.turns.load(sessionId, info.turnId);
        if (turn) loaded.push({ turn });
      } catch (problem) {
        if (!(problem instanceof CorruptTurnError)) throw problem;
        loaded.push({ turnId: info.turnId, error: problem.message });
      }
    }
    return loaded;
  }
  if (turns.length === 0) {
    throw new CallerError(`no session "${sessionId}" in ${dbPath} (see \`geppetto sessions list\`)`, {
      code: "no_session",
    });
  }
  return turns.map((turn) => ({ turn }));
}

function blockLine(block: Block): string | undefined {
  switch (block.kind) {
    case "system":
      return `system: ${block.payload.text}`;
    case "user":
      return `user: ${block.payload.text}`;
    case "llm_text":
      return `assistant: ${block.payload.text}`;
    case "reasoning":
      return block.payload.text ? `thinking: ${block.payload.text}` : undefined;
    case "tool_call":
      return `tool call ${block.payload.name}: ${JSON.stringify(block.payload.args)}`;
    case "tool_use":
      return `tool result ${block.payload.name ?? block.payload.id}: ${
        block.payload.error ?? JSON.stringify(block.payload.result)
      }`;
    case "other":
      return undefined;
  }
}

/** Each turn's new blocks (a turn repeats the history before it), with its outcome; unreadable turns named. */
function showTurns(sessionId: string, loaded: LoadedTurn[]): string {
  const lines = [`session ${sessionId} (${loaded.length} turn${loaded.length === 1 ? "" : "s"})`];
  let seen = 0;
  loaded.forEach((entry, index) => {
    if (!("turn" in entry)) {
      lines.push("", `turn ${index + 1} ${entry.turnId} · unreadable: ${entry.error}`);
      return;
    }
    const turn = entry.turn;
    const result = KeyInferenceResult.get(turn);
    const outcome = result ? ` · ${result.finishClass}${result.model ? ` · ${result.model}` : ""}` : "";
    lines.push("", `turn ${index + 1} ${turn.id}${outcome}`);
    const fresh = turn.blocks.length >= seen ? turn.blocks.slice(seen) : turn.blocks;
    for (const block of fresh) {
      const line = blockLine(block);
      if (line !== undefined) lines.push(`  ${line.replace(/\n/g, "\n  ")}`);
    }
    seen = turn.blocks.length;
  });
  return `${lines.join("\n")}\n`;
}

/** `sessions search TEXT`: the store's search (an index lookup on SQLite and PostgreSQL). */
async function search(store: CliSessionStore, text: string, io: CliIO, dbPath: string): Promise<number> {
  if (text.trim() === "") throw new UsageError("search needs the text to look for: sessions search TEXT");
  const hits = await store.turns.searchSessions(text, { limit: 200 });
  for (const hit of hits) io.stdout.write(`${hit.sessionId}  ${hit.updatedAt}  ${hit.excerpt}\n`);
  if (hits.length === 0) io.stderr.write(`no session in ${dbPath} contains "${text}"\n`);
  return 0;
}

/** Runs the command. */
export async function run(argv: string[], io: CliIO): Promise<number> {
  const { values, positionals } = parseCommandLine(argv, OPTIONS);
  const [subcommand, ...rest] = positionals;
  if (values.help || subcommand === "help") {
    io.stdout.write(HELP);
    return 0;
  }
  if (subcommand === undefined) throw new UsageError(`say what to do: ${SUBCOMMANDS.join(", ")}`);
  if (!(SUBCOMMANDS as readonly string[]).includes(subcommand)) {
    const { didYouMean } = await import("./suggest.ts");
    throw new UsageError(
      `unknown subcommand "${subcommand}"${didYouMean(subcommand, SUBCOMMANDS)} (expected one of ${SUBCOMMANDS.join(", ")})`,
    );
  }
  const action = subcommand as (typeof SUBCOMMANDS)[number];
  const location = await sessionStoreLocation(values.db, io.env, async () => {
    const { loadCommandSettings } = await import("./engine-selection.ts");
    return (await loadCommandSettings({}, io)).settings.store;
  });
  const dbPath = location.label;
  const store = await openSessionDb(location);
  try {
    if (action === "list") {
      const format = oneOf("output", values.output, ["text", "json"] as const, "text");
      if (rest.length > 0) throw new UsageError(`list takes no arguments (got "${rest.join(" ")}")`);
      const rows = (await store.listSessions()).map(({ title, ...session }) => ({
        ...session,
        firstPrompt: firstPrompt(title),
      }));
      if (format === "json") io.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
      else if (rows.length === 0) io.stderr.write(`no sessions in ${dbPath}\n`);
      else {
        for (const row of rows) {
          const turns = `${row.turnCount} turn${row.turnCount === 1 ? " " : "s"}`;
          io.stdout.write(`${row.sessionId}  ${turns}  ${row.updatedAt}  ${row.firstPrompt}\n`);
        }
      }
      return 0;
    }
    if (action === "search") return await search(store, rest.join(" "), io, dbPath);
    const sessionId = await resolveSessionId(store, rest, values.last, dbPath);
    if (action === "delete") {
      if (!(await store.deleteSession(sessionId))) {
        throw new CallerError(`no session "${sessionId}" in ${dbPath} (see \`geppetto sessions list\`)`, {
          code: "no_session",
        });
      }
      io.stderr.write(`deleted session ${sessionId} from ${dbPath}\n`);
      return 0;
    }
    const loaded = await loadTurns(store, sessionId, dbPath);
    const unreadable = loaded.filter((entry) => !("turn" in entry));
    if (action === "show") {
      io.stdout.write(showTurns(sessionId, loaded));
      return unreadable.length > 0 ? 1 : 0;
    }
    const format = oneOf("output", values.output, ["yaml", "json"] as const, "yaml");
    const turns = loaded.flatMap((entry) => ("turn" in entry ? [entry.turn] : []));
    if (format === "json") io.stdout.write(`${JSON.stringify(turns.map(turnToDocument), null, 2)}\n`);
    else for (const turn of turns) io.stdout.write(`---\n${turnToYaml(turn)}`);
    for (const entry of unreadable) if (!("turn" in entry)) io.stderr.write(`skipped: ${entry.error}\n`);
    return unreadable.length > 0 ? 1 : 0;
  } finally {
    await store.close();
  }
}
