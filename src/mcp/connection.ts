/**
 * One MCP server connection on the official SDK: started over stdio or reached over Streamable HTTP, its tools
 * listed (every page) and listed again on `notifications/tools/list_changed`. When the server exits or drops, the
 * connection is `unavailable` and reconnects with exponential backoff; requests meanwhile fail at once with
 * {@link McpUnavailableError}. A request's abort signal makes the SDK send `notifications/cancelled`.
 */
import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import type { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import type { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type { Transport } from "@modelcontextprotocol/sdk/shared/transport.js";
import type {
  CallToolResult,
  ErrorCode,
  McpError,
  Tool as McpToolInfo,
  ToolListChangedNotificationSchema,
} from "@modelcontextprotocol/sdk/types.js";
import { stdioEnvironment } from "./environment.ts";
import { McpRequestError, McpUnavailableError } from "./errors.ts";
import { limitedFetch, limitStdioMessages } from "./limits.ts";
import type { McpServerSettings } from "./settings.ts";

export type { McpToolInfo };

/** A progress notification of a running request. */
export interface McpProgress {
  progress: number;
  total?: number;
  message?: string;
}

/** Where a connection stands. */
export type McpConnectionStatus = "idle" | "connecting" | "connected" | "unavailable" | "closed";

/** Backoff between reconnection attempts. */
export interface McpReconnectOptions {
  /** The first delay; doubles on each failed attempt. Default 200 ms. */
  initialDelayMs?: number;
  /** The longest delay. Default 10 000 ms. */
  maxDelayMs?: number;
  /** Attempts before the connection gives up and closes. Default: no limit. */
  maxAttempts?: number;
}

/** What a connection reports to its owner. */
export interface McpConnectionListener {
  status(status: McpConnectionStatus, detail: { attempt?: number; error?: string }): void;
  listing(): void;
  tools(tools: McpToolInfo[]): void;
  listingFailed(error: string): void;
}

/** Options of {@link McpConnection}. */
export interface McpConnectionOptions {
  reconnect?: McpReconnectOptions;
  /** The environment `envPassthrough` copies from. Default `process.env`. */
  env?: NodeJS.ProcessEnv;
  listener?: Partial<McpConnectionListener>;
}

const DEFAULT_TIMEOUT_MS = 30_000;
/** Tool calls are limited by the tool executor (its signal), not by the SDK's request timeout. */
const NO_TIMEOUT_MS = 2 ** 31 - 1;
const STDERR_TAIL_BYTES = 2_000;
/** The largest message a server may send, by default. */
const DEFAULT_MAX_MESSAGE_BYTES = 16 * 1024 * 1024;

/** The SDK's classes and schemas a connection uses. */
interface Sdk {
  Client: typeof Client;
  StdioClientTransport: typeof StdioClientTransport;
  StreamableHTTPClientTransport: typeof StreamableHTTPClientTransport;
  ErrorCode: typeof ErrorCode;
  McpError: typeof McpError;
  ToolListChangedNotificationSchema: typeof ToolListChangedNotificationSchema;
}

let sdk: Sdk | undefined;

/**
 * The SDK, imported with the first connection: it loads about 150 modules (zod, ajv among them), which a program
 * that only imports geppetto/mcp, or a CLI run without `--mcp`, does not need.
 */
async function loadSdk(): Promise<Sdk> {
  if (sdk) return sdk;
  const [client, stdio, http, types] = await Promise.all([
    import("@modelcontextprotocol/sdk/client/index.js"),
    import("@modelcontextprotocol/sdk/client/stdio.js"),
    import("@modelcontextprotocol/sdk/client/streamableHttp.js"),
    import("@modelcontextprotocol/sdk/types.js"),
  ]);
  sdk = {
    Client: client.Client,
    StdioClientTransport: stdio.StdioClientTransport,
    StreamableHTTPClientTransport: http.StreamableHTTPClientTransport,
    ErrorCode: types.ErrorCode,
    McpError: types.McpError,
    ToolListChangedNotificationSchema: types.ToolListChangedNotificationSchema,
  };
  return sdk;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * A connection to one MCP server. Connecting is explicit (`connect()`), idempotent and shared by concurrent callers.
 *
 * @example
 * const files = new McpConnection("files", { command: "mcp-files", args: ["."] });
 * await files.connect();
 * const result = await files.callTool("read", { path: "README.md" }, AbortSignal.timeout(5000));
 */
export class McpConnection {
  #status: McpConnectionStatus = "idle";
  #client: Client | undefined;
  #transport: Transport | undefined;
  #connecting: Promise<void> | undefined;
  #attempt = 0;
  #timer: NodeJS.Timeout | undefined;
  #stderrTail = "";
  #lastError = "not connected yet";
  /** Why each dropped client was dropped (the first reason wins: it is the cause). */
  readonly #dropReasons = new WeakMap<Client, string>();
  readonly #listener: Partial<McpConnectionListener>;

  constructor(
    readonly name: string,
    readonly settings: McpServerSettings,
    readonly options: McpConnectionOptions = {},
  ) {
    this.#listener = options.listener ?? {};
  }

  /** Where the connection stands. */
  get status(): McpConnectionStatus {
    return this.#status;
  }

  /** The stdio server's process id (undefined over HTTP or when not running). */
  get pid(): number | undefined {
    return sdk && this.#transport instanceof sdk.StdioClientTransport
      ? (this.#transport.pid ?? undefined)
      : undefined;
  }

  /** The server's name and version as it announced them. */
  get serverInfo(): { name: string; version: string } | undefined {
    return this.#client?.getServerVersion();
  }

  /** Connects and lists the tools; resolves when connected, rejects when this attempt failed (a retry is scheduled). */
  connect(): Promise<void> {
    if (this.#status === "connected") return Promise.resolve();
    if (this.#status === "closed") return Promise.reject(new McpUnavailableError(this.name, "closed"));
    this.#connecting ??= this.#open().finally(() => {
      this.#connecting = undefined;
    });
    return this.#connecting;
  }

  #setStatus(status: McpConnectionStatus, detail: { attempt?: number; error?: string } = {}): void {
    this.#status = status;
    this.#listener.status?.(status, detail);
  }

  #timeout(): number {
    return this.settings.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  }

  #maxMessageBytes(): number {
    return this.settings.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
  }

  /** A message over the limit: the connection is dropped (requests in flight fail, a reconnect is scheduled). */
  #tooLarge(reason: string): void {
    if (this.#client) this.#dropped(this.#client, reason);
  }

  #newTransport({ StdioClientTransport, StreamableHTTPClientTransport }: Sdk): Transport {
    const { settings } = this;
    if (settings.command !== undefined) {
      const transport = new StdioClientTransport({
        command: settings.command,
        args: settings.args ?? [],
        env: stdioEnvironment(settings, this.options.env ?? process.env),
        stderr: "pipe",
        ...(settings.cwd === undefined ? {} : { cwd: settings.cwd }),
      });
      transport.stderr?.on("data", (chunk: Buffer) => {
        this.#stderrTail = (this.#stderrTail + chunk.toString("utf8")).slice(-STDERR_TAIL_BYTES);
      });
      limitStdioMessages(transport, this.#maxMessageBytes(), (reason) => this.#tooLarge(reason));
      return transport;
    }
    const headers: Record<string, string> = { ...settings.headers };
    if (settings.bearerToken !== undefined) headers.Authorization = `Bearer ${settings.bearerToken}`;
    const fetchLimited = limitedFetch(this.#maxMessageBytes(), (reason) => this.#tooLarge(reason));
    return new StreamableHTTPClientTransport(new URL(settings.url!), {
      requestInit: { headers },
      fetch: fetchLimited,
    });
  }

  async #open(): Promise<void> {
    this.#setStatus("connecting", this.#attempt > 0 ? { attempt: this.#attempt } : {});
    const loaded = await loadSdk();
    const client = new loaded.Client({ name: "geppetto", version: "0.1.0" }, { capabilities: {} });
    const transport = this.#newTransport(loaded);
    this.#stderrTail = "";
    try {
      await client.connect(transport, { timeout: this.#timeout() });
      if (this.#status === "closed") {
        await client.close();
        throw new McpUnavailableError(this.name, "closed");
      }
      client.onclose = () => this.#dropped(client, "the server closed the connection");
      client.setNotificationHandler(loaded.ToolListChangedNotificationSchema, () => {
        this.#listTools(client).catch(() => {});
      });
      this.#client = client;
      this.#transport = transport;
      this.#attempt = 0;
      this.#setStatus("connected");
    } catch (error) {
      await client.close().catch(() => {});
      const reason = this.#describe(error);
      this.#lastError = reason;
      this.#listener.listingFailed?.(reason);
      this.#scheduleReconnect(reason);
      throw new McpUnavailableError(this.name, reason);
    }
    await this.#listTools(client);
  }

  #describe(error: unknown): string {
    const stderr = this.#stderrTail.trim();
    return stderr ? `${messageOf(error)} (stderr: ${stderr.slice(-500)})` : messageOf(error);
  }

  async #listTools(client: Client): Promise<void> {
    this.#listener.listing?.();
    try {
      const tools: McpToolInfo[] = [];
      let cursor: string | undefined;
      do {
        const page = await client.listTools(cursor === undefined ? {} : { cursor }, {
          timeout: this.#timeout(),
        });
        tools.push(...page.tools);
        cursor = page.nextCursor;
      } while (cursor !== undefined);
      if (this.#client === client) this.#listener.tools?.(tools);
    } catch (error) {
      this.#listener.listingFailed?.(messageOf(error));
    }
  }

  #dropped(client: Client, reason: string): void {
    if (this.#client !== client || this.#status === "closed") return;
    this.#client = undefined;
    this.#transport = undefined;
    this.#dropReasons.set(client, reason);
    client.close().catch(() => {});
    this.#lastError = this.#describe(new Error(reason));
    this.#scheduleReconnect(this.#lastError);
  }

  #scheduleReconnect(reason: string): void {
    if (this.#status === "closed") return;
    const {
      initialDelayMs = 200,
      maxDelayMs = 10_000,
      maxAttempts = Infinity,
    } = this.options.reconnect ?? {};
    this.#attempt++;
    if (this.#attempt > maxAttempts) {
      this.#setStatus("closed", { error: `gave up after ${maxAttempts} attempts: ${reason}` });
      return;
    }
    this.#setStatus("unavailable", { attempt: this.#attempt, error: reason });
    const delay = Math.min(maxDelayMs, initialDelayMs * 2 ** (this.#attempt - 1));
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.connect().catch(() => {});
    }, delay);
    this.#timer.unref();
  }

  /** The connected client, or an {@link McpUnavailableError}. */
  #connected(): Client {
    if (this.#client && this.#status === "connected") return this.#client;
    const reason =
      this.#status === "idle" || this.#status === "connecting"
        ? "still connecting"
        : `${this.#status === "closed" ? "closed" : "reconnecting"} (${this.#lastError})`;
    throw new McpUnavailableError(this.name, reason);
  }

  /**
   * Calls a tool by its server name. Aborting `signal` sends `notifications/cancelled`; `onProgress` receives the
   * server's `notifications/progress` for the call. A dropped server rejects
   * with {@link McpUnavailableError} and starts reconnecting; an error the server returns is the result's `isError`.
   *
   * @example
   * const result = await connection.callTool("echo", { text: "hi" }, signal);
   */
  async callTool(
    name: string,
    args: Record<string, unknown>,
    signal: AbortSignal,
    onProgress?: (progress: McpProgress) => void,
  ): Promise<CallToolResult> {
    const client = this.#connected();
    try {
      return (await client.callTool({ name, arguments: args }, undefined, {
        signal,
        timeout: NO_TIMEOUT_MS,
        ...(onProgress
          ? {
              onprogress: ({ progress, total, message }) =>
                onProgress({
                  progress,
                  ...(total === undefined ? {} : { total }),
                  ...(message === undefined ? {} : { message }),
                }),
            }
          : {}),
      })) as CallToolResult;
    } catch (error) {
      throw this.#requestFailure(client, error, signal);
    }
  }

  /** The connected SDK client, to read resources and prompts (throws {@link McpUnavailableError} when not connected). */
  client(): Client {
    return this.#connected();
  }

  /** Turns a failed request into a geppetto error; a broken connection starts reconnecting. */
  #requestFailure(client: Client, error: unknown, signal?: AbortSignal): unknown {
    if (signal?.aborted) return signal.reason;
    // A client exists only once the SDK is loaded.
    const { McpError, ErrorCode } = sdk!;
    if (error instanceof McpError && error.code !== ErrorCode.ConnectionClosed) {
      return new McpRequestError(this.name, error.message, { cause: error });
    }
    this.#dropped(client, messageOf(error));
    const reason = this.#dropReasons.get(client) ?? messageOf(error);
    return new McpUnavailableError(this.name, `the connection broke during the request (${reason})`);
  }

  /** Runs a request on the connected client, mapping failures like tool calls. */
  async request<T>(run: (client: Client, options: { timeout: number }) => Promise<T>): Promise<T> {
    const client = this.#connected();
    try {
      return await run(client, { timeout: this.#timeout() });
    } catch (error) {
      throw this.#requestFailure(client, error);
    }
  }

  /** Closes the connection (the stdio server is stopped) and stops reconnecting. */
  async close(): Promise<void> {
    clearTimeout(this.#timer);
    const client = this.#client;
    this.#client = undefined;
    this.#transport = undefined;
    this.#setStatus("closed");
    await this.#connecting?.catch(() => {});
    await client?.close().catch(() => {});
  }
}
