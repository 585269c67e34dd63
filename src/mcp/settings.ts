/**
 * The `mcp.servers` settings: each MCP server by name, started over stdio (a command) or reached over Streamable
 * HTTP (a URL). This file loads zod only (on first use of the schemas), never the MCP SDK, so the settings schema
 * can include it and importing settings stays cheap.
 */
import type * as Zod from "zod";
import { lazy, loadZod } from "../turns/lazy-modules.ts";

const NAME = /^[a-zA-Z0-9_-]{1,32}$/;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * One MCP server as configured. Exactly one of `command` (stdio) and `url` (Streamable HTTP).
 *
 * @example
 * mcpServerSettingsSchema().parse({ command: "npx", args: ["-y", "@modelcontextprotocol/server-everything"] })
 */
export const mcpServerSettingsSchema = lazy(() => buildServerSchema(loadZod()));

function buildServerSchema(z: typeof Zod) {
  return z
    .strictObject({
      /** stdio: the executable to start. */
      command: z.string().min(1).optional(),
      args: z.array(z.string()).optional(),
      /** stdio: the working directory of the server. */
      cwd: z.string().min(1).optional(),
      /** stdio: variables set for the server (values are secrets: redacted when settings are printed). */
      env: z
        .record(z.string().regex(ENV_NAME, "must be an environment variable name"), z.string())
        .optional(),
      /**
       * stdio: names of variables copied from geppetto's own environment. Nothing else is passed besides a few
       * harmless basics (PATH, HOME, USER, LOGNAME, SHELL, TERM): API keys stay out unless listed here.
       */
      envPassthrough: z.array(z.string().regex(ENV_NAME, "must be an environment variable name")).optional(),
      /** Streamable HTTP: the server's endpoint. */
      url: z.url({ error: "must be a URL such as http://127.0.0.1:3000/mcp" }).optional(),
      /** Streamable HTTP: extra request headers (values are secrets: redacted when settings are printed). */
      headers: z.record(z.string(), z.string()).optional(),
      /** Streamable HTTP: an OAuth bearer token sent as `Authorization: Bearer …` (secret). */
      bearerToken: z.string().min(1).optional(),
      /** Trusted servers' tools run without asking for approval. Default false. */
      trusted: z.boolean().optional(),
      /** The prefix of the server's tool names in the registry. Default `<name>_`; "" keeps the names as they are. */
      toolPrefix: z
        .string()
        .regex(/^[a-zA-Z0-9_-]*$/, "may hold only letters, digits, _ and -")
        .optional(),
      /** Only these tools of the server (its own names) are registered. Default: every tool. */
      tools: z.array(z.string().min(1)).optional(),
      /** Time limit for connecting and for each request other than a tool call. Default 30 000 ms. */
      timeoutMs: z.number().int().positive().optional(),
      /** The largest tool result kept, in bytes of JSON; larger output is truncated. Default 1 MiB. */
      maxOutputBytes: z.number().int().positive().optional(),
      /** The largest message (a line) the server may send; a longer one drops the connection. Default 16 MiB. */
      maxMessageBytes: z.number().int().positive().optional(),
    })
    .refine((server) => (server.command === undefined) !== (server.url === undefined), {
      message: "set exactly one of command (stdio) and url (Streamable HTTP)",
    });
}

/**
 * An MCP server as configured.
 *
 * @example
 * const everything: McpServerSettings = { command: "npx", args: ["@modelcontextprotocol/server-everything"] };
 */
export type McpServerSettings = Zod.infer<ReturnType<typeof buildServerSchema>>;

/**
 * The `mcp` settings section: servers by name (letters, digits, `_` and `-`).
 *
 * @example
 * mcpSettingsSchema().parse({ servers: { files: { command: "mcp-files" } } })
 */
export const mcpSettingsSchema = lazy(() => {
  const z = loadZod();
  return z.strictObject({
    servers: z
      .record(
        z.string().regex(NAME, "a server name is 1-32 letters, digits, _ or -"),
        mcpServerSettingsSchema(),
      )
      .optional(),
  });
});
