/**
 * The text of `geppetto --help`, computed once from constants: this module imports nothing, so `--help` loads
 * only bin/geppetto.js, main.ts and this file.
 */

/** Each command's one-line summary, in the order `--help` lists them. */
export const COMMAND_SUMMARIES = {
  run: "Run one inference on a prompt and print the answer",
  "serve-provider": "Serve provider wire protocols on 127.0.0.1 (recorded or scripted answers)",
  chat: "Chat in the terminal (streamed, cancellable, saved)",
  webchat: "Chat in the browser (streamed over a WebSocket, kept in a timeline)",
  profiles: "List and show settings profiles",
  sessions: "List, show and export stored sessions",
  mcp: "List the MCP servers of the settings and their tools",
  models: "Known models per provider, with prices and context sizes",
  keys: "Where each provider's API key comes from (redacted)",
} as const;

/** A command's name, as typed after `geppetto`. */
export type CommandName = keyof typeof COMMAND_SUMMARIES;

/** The lines `geppetto --help` shows for the options of every command (log-flags.ts parses them). */
export const LOG_FLAGS_HELP = `Options of every command:
  --log-level LEVEL    error, warn, info, debug (a line per request and response), trace (the request
                       bodies as YAML); default GEPPETTO_LOG, else nothing. Logs go to stderr.
  --log-unredacted     Keep provider ids, encrypted reasoning and signatures in trace dumps (API keys never)
`;

const width = Math.max(...Object.keys(COMMAND_SUMMARIES).map((name) => name.length));

/** What `geppetto --help` prints. */
export const MAIN_HELP = `geppetto: build applications on large language models

Usage: geppetto <command> [options]

Commands:
${Object.entries(COMMAND_SUMMARIES)
  .map(([name, summary]) => `  ${name.padEnd(width)}  ${summary}`)
  .join("\n")}

Run \`geppetto <command> --help\` for a command's options and examples; \`geppetto --version\` (-V) prints
the version.

${LOG_FLAGS_HELP}
Examples:
  geppetto run "Hello"                      # no provider configured: a local server, no API key, no network
  geppetto run --profile fast "Hello"       # settings from a profile (see \`geppetto profiles list\`)
  echo "Summarize this" | geppetto run --output json
  geppetto webchat                          # the chat in a browser, on http://127.0.0.1:8765/
`;
