/**
 * `geppetto mcp list`: the MCP servers in the settings (`mcp.servers`) and their tools; and `--mcp NAME` for
 * `run` and `chat`: the named servers start connecting at once, in parallel with the engine's set-up, and their
 * tools join the tool loop. The MCP SDK is imported only when a server is used.
 */

import type { McpToolset } from "../mcp/toolset.ts";
import { settingsFlagsHelp, settingsParseOptions } from "../settings/flags.ts";
import type { LoadedSettings } from "../settings/load.ts";
import type { ToolRegistry } from "../tools/registry.ts";
import { loadCommandSettings } from "./engine-selection.ts";
import type { CliIO } from "./main.ts";
import { oneOf, parseCommandLine, UsageError } from "./usage.ts";

/** How long `--mcp` waits for its servers to list their tools before the first inference. */
const READY_TIMEOUT_MS = 15_000;

/**
 * The help line of `--mcp` for `run` and `chat`.
 *
 * @example
 * `  ${MCP_FLAG_HELP}`
 */
export const MCP_FLAG_HELP =
  "--mcp NAME           Offer the tools of the MCP server NAME from the settings (mcp.servers; repeatable)";

/**
 * Starts connecting the named servers of `mcp.servers` (in the background) and returns their toolset; undefined
 * when no name is given. An unknown name is bad usage. Warnings (a tool shadowing another) go to stderr.
 *
 * @example
 * const mcp = await startMcpServers(values.mcp, await loadCommandSettings(values, io), io);
 */
export async function startMcpServers(
  names: readonly string[] | undefined,
  loaded: LoadedSettings,
  io: CliIO,
  registry?: ToolRegistry,
): Promise<McpToolset | undefined> {
  if (names === undefined || names.length === 0) return undefined;
  const configured = loaded.settings.mcp?.servers ?? {};
  const servers: Record<string, NonNullable<typeof configured>[string]> = {};
  for (const name of names) {
    const server = configured[name];
    if (!server) {
      const known = Object.keys(configured);
      throw new UsageError(
        `--mcp: no MCP server "${name}" in the settings (mcp.servers: ${known.join(", ") || "none configured"})`,
      );
    }
    servers[name] = server;
  }
  const { McpToolset } = await import("../mcp/toolset.ts");
  const toolset = new McpToolset(servers, {
    env: io.env,
    ...(registry ? { registry } : {}),
    onWarning: ({ server, message }) => void io.stderr.write(`geppetto: MCP server ${server}: ${message}\n`),
  });
  toolset.start();
  return toolset;
}

/**
 * Waits (at most 15 s) for the servers to list their tools, reporting on stderr any that is not connected.
 *
 * @example
 * await mcpReady(mcp, io);
 */
export async function mcpReady(toolset: McpToolset, io: CliIO): Promise<void> {
  await toolset.ready(READY_TIMEOUT_MS);
  for (const connection of toolset.connections()) {
    if (connection.status !== "connected") {
      io.stderr.write(
        `geppetto: MCP server ${connection.name} is ${connection.status}; its tools are not offered yet\n`,
      );
    }
  }
}

const OPTIONS = {
  ...settingsParseOptions(),
  output: { type: "string", short: "o" },
  help: { type: "boolean", short: "h" },
} as const;

function help(): string {
  return `Usage: geppetto mcp list [options] [NAME...]

Connects to the MCP servers of the settings (mcp.servers in config.yaml, .geppetto.yaml or a profile), or to the
named ones, and lists each with its status and its tools as the model sees them (names prefixed by the server).

Options:
  --output FORMAT      text (default) or json
  -h, --help           Show this help

Settings (see \`geppetto run --help\`):
${settingsFlagsHelp()}

Example settings (.geppetto.yaml):
  mcp:
    servers:
      everything: { command: npx, args: ["-y", "@modelcontextprotocol/server-everything"] }
      docs: { url: "http://127.0.0.1:3000/mcp", bearerToken: "…", trusted: true }

Examples:
  geppetto mcp list
  geppetto mcp list everything --output json
  geppetto run --mcp everything "Add 2 and 3 with the get-sum tool"
`;
}

/** Runs the command. */
export async function run(argv: string[], io: CliIO): Promise<number> {
  const { values, positionals } = parseCommandLine(argv, OPTIONS);
  const [sub, ...names] = positionals;
  if (values.help || sub === undefined) {
    io.stdout.write(help());
    return values.help ? 0 : 2;
  }
  if (sub !== "list") throw new UsageError(`unknown subcommand "${sub}" (known: list)`);
  const format = oneOf("output", values.output, ["text", "json"] as const, "text");
  const loaded = await loadCommandSettings(values, io);
  const all = Object.keys(loaded.settings.mcp?.servers ?? {});
  if (all.length === 0 && names.length === 0) {
    io.stderr.write("geppetto mcp: no MCP servers configured (mcp.servers in the settings)\n");
    if (format === "json") io.stdout.write("[]\n");
    return 0;
  }
  const toolset = (await startMcpServers(names.length > 0 ? names : all, loaded, io))!;
  try {
    await toolset.ready(READY_TIMEOUT_MS);
    const listing = toolset.connections().map((connection) => ({
      name: connection.name,
      transport: connection.settings.command !== undefined ? "stdio" : "http",
      status: connection.status,
      trusted: connection.settings.trusted === true,
      tools: toolset
        .tools()
        .filter((tool) => tool.mcp.server === connection.name)
        .map((tool) => ({ name: tool.name, description: tool.description })),
    }));
    if (format === "json") {
      io.stdout.write(`${JSON.stringify(listing, null, 2)}\n`);
    } else {
      for (const server of listing) {
        const trusted = server.trusted ? ", trusted" : "";
        io.stdout.write(
          `${server.name} (${server.transport}, ${server.status}${trusted}): ${server.tools.length} tools\n`,
        );
        for (const tool of server.tools) {
          io.stdout.write(`  ${tool.name}  ${tool.description.split("\n")[0]}\n`);
        }
      }
    }
    return listing.every((server) => server.status === "connected") ? 0 : 1;
  } finally {
    await toolset.close();
  }
}
