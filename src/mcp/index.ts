/**
 * `geppetto/mcp`: tools, resources and prompts from Model Context Protocol servers, on the official SDK.
 * Servers are started over stdio or reached over Streamable HTTP; their tools join a ToolRegistry, so the tool
 * loop, step control, timeouts and error policies apply to them unchanged. Importing `geppetto` never loads this
 * module nor the SDK.
 *
 * @example
 * import { McpToolset } from "geppetto/mcp";
 * const mcp = new McpToolset({ everything: { command: "npx", args: ["@modelcontextprotocol/server-everything"] } });
 * await mcp.ready();
 * const turn = await new ToolLoopEngine({ engine, registry: mcp.registry }).runInference(input, ctx);
 */
export * from "./approval.ts";
export * from "./connection.ts";
export * from "./environment.ts";
export * from "./errors.ts";
export * from "./events.ts";
export * from "./resources.ts";
export * from "./settings.ts";
export * from "./tools.ts";
export * from "./toolset.ts";
