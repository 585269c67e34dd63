import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { STDIO_TEST_SERVER } from "../mcp/test-support.ts";
import { setupLocalServer } from "../providers/test-support.ts";
import { turnFromJson } from "../turns/serialization.ts";
import { main } from "./main.ts";
import { createTestIO } from "./test-io.ts";

const provider = setupLocalServer();

/** A clean home and a project folder whose .geppetto.yaml holds `settings` (JSON is YAML). */
function project(settings: Record<string, unknown>) {
  const home = mkdtempSync(join(tmpdir(), "geppetto-mcp-cli-"));
  const cwd = join(home, "project");
  mkdirSync(cwd);
  writeFileSync(join(cwd, ".geppetto.yaml"), JSON.stringify(settings));
  const env = {
    HOME: home,
    XDG_CONFIG_HOME: join(home, ".config"),
    XDG_DATA_HOME: join(home, ".local/share"),
  };
  return createTestIO({ env, cwd });
}

const servers = { mcp: { servers: { test: STDIO_TEST_SERVER } } };

describe("geppetto mcp list", () => {
  it("connects to the configured servers and lists their tools", async () => {
    const io = project(servers);
    expect(await main(["mcp", "list"], io)).toBe(0);
    expect(io.out).toMatch(/^test \(stdio, connected\): \d+ tools$/m);
    expect(io.out).toMatch(/^ {2}test_echo {2}Echoes the text$/m);
  });

  it("prints JSON with --output json", async () => {
    const io = project({
      mcp: { servers: { test: { ...STDIO_TEST_SERVER, trusted: true, toolPrefix: "t_" } } },
    });
    expect(await main(["mcp", "list", "--output", "json"], io)).toBe(0);
    const [server] = JSON.parse(io.out) as { name: string; trusted: boolean; tools: { name: string }[] }[];
    expect(server).toMatchObject({ name: "test", transport: "stdio", status: "connected", trusted: true });
    expect(server!.tools.map((tool) => tool.name)).toContain("t_echo");
  });

  it("rejects a server that is not configured, and a setting with both command and url", async () => {
    const io = project(servers);
    expect(await main(["mcp", "list", "nope"], io)).toBe(2);
    expect(io.err).toMatch(/no MCP server "nope" in the settings \(mcp.servers: test\)/);
    const bad = project({ mcp: { servers: { both: { command: "x", url: "http://127.0.0.1:1/mcp" } } } });
    expect(await main(["mcp", "list"], bad)).toBe(2);
    expect(bad.err).toMatch(/mcp.servers.both: set exactly one of command \(stdio\) and url/);
  });
});

describe("geppetto run --mcp NAME", () => {
  it("offers the server's tools to the model and runs them in the tool loop", async () => {
    provider.enqueue(
      { script: { toolCalls: [{ id: "call_1", name: "test_echo", arguments: { text: "from mcp" } }] } },
      { script: { text: "It said: from mcp" } },
    );
    const io = project({
      ...servers,
      chat: { apiType: "openai", engine: "gpt-4o-mini" },
      api: { openai: { apiKey: "sk-test", baseURL: provider.baseURL("openai-chat") } },
    });
    expect(await main(["run", "--mcp", "test", "--output", "json", "Echo something"], io)).toBe(0);
    const turn = turnFromJson(io.out);
    expect(turn.blocks.map((block) => block.kind)).toEqual(["user", "tool_call", "tool_use", "llm_text"]);
    expect(turn.blocks[2]).toMatchObject({
      payload: { result: { content: [{ type: "text", text: "from mcp" }] } },
    });
    const tools = (provider.requests[0]!.body as { tools: { function: { name: string } }[] }).tools;
    expect(tools.map((tool) => tool.function.name)).toContain("test_echo");
  });

  it("is bad usage for a server that is not configured", async () => {
    const io = project(servers);
    expect(await main(["run", "--mcp", "missing", "hi"], io)).toBe(2);
    expect(io.err).toMatch(/--mcp: no MCP server "missing"/);
  });

  it("never prints a server's environment values or headers with --print-settings", async () => {
    const io = project({
      mcp: {
        servers: {
          gh: { command: "mcp-github", env: { GITHUB_PERSONAL: "ghp_secret" } },
          web: {
            url: "http://127.0.0.1:9/mcp",
            headers: { "X-Key": "hdr_secret" },
            bearerToken: "tok_secret",
          },
        },
      },
    });
    expect(await main(["run", "--print-settings"], io)).toBe(0);
    expect(io.out).toContain("mcp.servers.gh.command");
    expect(io.out).not.toMatch(/ghp_secret|hdr_secret|tok_secret/);
  });
});
