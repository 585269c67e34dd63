/**
 * A set of MCP servers feeding one ToolRegistry. `start()` connects every server in parallel in the background
 * and returns at once: each server's tools are registered as soon as it has listed them, so an inference that
 * needs no MCP tool never waits for a server (`ready()` waits for them when a caller wants the tools first).
 * A list change on a server updates the registry; a dropped server keeps its tools registered, and calls to them
 * get an error result until it is back.
 */
import { publish, RunContext } from "../events/context.ts";
import { ToolRegistry } from "../tools/registry.ts";
import { newId } from "../turns/builders.ts";
import { McpConnection, type McpConnectionOptions, type McpToolInfo } from "./connection.ts";
import {
  McpListToolsCompleted,
  McpListToolsFailed,
  McpListToolsInProgress,
  McpServerStatus,
  McpWarning,
} from "./events.ts";
import type { McpServerSettings } from "./settings.ts";
import { DEFAULT_MAX_OUTPUT_BYTES, isMcpTool, type McpTool, mcpTool, mcpToolName } from "./tools.ts";

/** Options of {@link McpToolset}. */
export interface McpToolsetOptions extends Omit<McpConnectionOptions, "listener"> {
  /** The registry MCP tools are added to (local tools already in it are never replaced). Default: a new one. */
  registry?: ToolRegistry;
  /** Where listing, status and warning events go (its sinks). Default: nowhere. */
  ctx?: RunContext;
  /** Called with each warning (a tool that would shadow a local tool), besides the `mcp-warning` event. */
  onWarning?: (warning: { server: string; message: string }) => void;
}

/**
 * MCP servers' tools in a registry.
 *
 * @example
 * const mcp = new McpToolset({ everything: { command: "npx", args: ["@modelcontextprotocol/server-everything"] } });
 * mcp.start();                       // connects in the background
 * await mcp.ready();                 // optional: wait until every server listed its tools (or failed)
 * const engine = new ToolLoopEngine({ engine: base, registry: mcp.registry });
 * // …
 * await mcp.close();
 */
export class McpToolset {
  readonly registry: ToolRegistry;
  readonly #connections = new Map<string, McpConnection>();
  readonly #registered = new Map<string, Set<string>>();
  readonly #ctx: RunContext;
  readonly #onWarning: McpToolsetOptions["onWarning"];
  #started: Promise<void> | undefined;

  constructor(
    readonly servers: Readonly<Record<string, McpServerSettings>>,
    options: McpToolsetOptions = {},
  ) {
    this.registry = options.registry ?? new ToolRegistry();
    this.#ctx = options.ctx ?? RunContext.background();
    this.#onWarning = options.onWarning;
    for (const [name, settings] of Object.entries(servers)) {
      const connection: McpConnection = new McpConnection(name, settings, {
        ...options,
        listener: {
          status: (status, detail) =>
            this.#publish(McpServerStatus.create({ server: name, status, ...detail }, { id: newId() })),
          listing: () => this.#publish(McpListToolsInProgress.create({ server: name }, { id: newId() })),
          listingFailed: (error) =>
            this.#publish(McpListToolsFailed.create({ server: name, error }, { id: newId() })),
          tools: (tools) => this.#sync(connection, tools),
        },
      });
      this.#connections.set(name, connection);
      this.#registered.set(name, new Set());
    }
  }

  #publish(event: Parameters<typeof publish>[1]): void {
    publish(this.#ctx, event);
  }

  /** The connection to a server, by name. */
  connection(server: string): McpConnection | undefined {
    return this.#connections.get(server);
  }

  /** Every connection. */
  connections(): McpConnection[] {
    return [...this.#connections.values()];
  }

  /** The MCP tools registered now (a server still connecting has none yet). */
  tools(): McpTool[] {
    return this.registry.list().filter(isMcpTool);
  }

  /** Starts connecting every server in parallel; returns at once. Calling it again does nothing. */
  start(): void {
    this.#started ??= Promise.all(this.connections().map((each) => each.connect().catch(() => {}))).then(
      () => {},
    );
  }

  /**
   * Starts (if needed) and resolves once every server has connected and listed its tools, or failed its first
   * attempt (it keeps retrying in the background), or `timeoutMs` passed. Never rejects.
   *
   * @example
   * await mcp.ready(5000);
   */
  async ready(timeoutMs?: number): Promise<void> {
    this.start();
    if (timeoutMs === undefined) return this.#started;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, timeoutMs);
    });
    await Promise.race([this.#started, timeout]);
    clearTimeout(timer);
  }

  #warn(server: string, message: string): void {
    this.#onWarning?.({ server, message });
    this.#publish(McpWarning.create({ server, message }, { id: newId() }));
  }

  /** Makes the registry hold exactly `tools` for this server. */
  #sync(connection: McpConnection, tools: McpToolInfo[]): void {
    const server = connection.name;
    const { settings } = connection;
    const prefix = settings.toolPrefix ?? `${server}_`;
    const allowed = settings.tools ? new Set(settings.tools) : undefined;
    const previous = this.#registered.get(server)!;
    const next = new Set<string>();
    for (const info of tools) {
      if (allowed && !allowed.has(info.name)) continue;
      const name = mcpToolName(prefix, info.name);
      const existing = this.registry.get(name);
      if (existing && !(isMcpTool(existing) && existing.mcp.server === server)) {
        const owner = isMcpTool(existing) ? `MCP server "${existing.mcp.server}"` : "a local tool";
        this.#warn(server, `tool "${info.name}" is not registered: its name "${name}" is taken by ${owner}`);
        continue;
      }
      if (next.has(name)) {
        this.#warn(
          server,
          `tool "${info.name}" is not registered: "${name}" is already used by another of its tools`,
        );
        continue;
      }
      let tool: McpTool;
      try {
        tool = mcpTool(connection, info, {
          name,
          trusted: settings.trusted === true,
          maxOutputBytes: settings.maxOutputBytes ?? DEFAULT_MAX_OUTPUT_BYTES,
        });
      } catch (error) {
        this.#warn(server, `tool "${info.name}" is not registered: ${(error as Error).message}`);
        continue;
      }
      this.registry.unregister(name);
      this.registry.register(tool);
      next.add(name);
    }
    for (const name of previous) if (!next.has(name)) this.registry.unregister(name);
    this.#registered.set(server, next);
    this.#publish(McpListToolsCompleted.create({ server, tools: [...next] }, { id: newId() }));
  }

  /** Closes every connection (stdio servers are stopped) and removes their tools from the registry. */
  async close(): Promise<void> {
    await Promise.all(this.connections().map((each) => each.close()));
    for (const names of this.#registered.values()) for (const name of names) this.registry.unregister(name);
  }
}
