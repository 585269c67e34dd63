import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { mcpApproval } from "../mcp/approval.ts";
import { STDIO_TEST_SERVER } from "../mcp/test-support.ts";
import { McpToolset } from "../mcp/toolset.ts";
import { setupLocalServer } from "../providers/test-support.ts";
import { ScriptedEngine, script } from "../testing/scripted-engine.ts";
import { ChatController } from "./chat/controller.ts";
import { engineSessionBackend } from "./chat/session-backend.ts";
import { main } from "./main.ts";
import { createTestIO } from "./test-io.ts";

const provider = setupLocalServer();
let mcp: McpToolset | undefined;
afterEach(async () => {
  await mcp?.close();
  mcp = undefined;
});

const callsEcho = () => [
  script.toolCall("test_echo", { text: "hi" }, { id: "call_1" }),
  script.stop("tool_calls"),
];

async function chatWith(trusted: boolean, answer: boolean) {
  mcp = new McpToolset({ test: { ...STDIO_TEST_SERVER, trusted } });
  await mcp.ready();
  const engine = new ScriptedEngine([callsEcho(), script.text("ok")], { recordInputs: true });
  const questions: string[] = [];
  let controller: ChatController | undefined;
  const steps = mcpApproval(mcp.registry, (question) => {
    questions.push(question);
    const asked = controller!.askApproval(question);
    controller!.answerApproval(answer);
    return asked;
  });
  controller = new ChatController(
    engineSessionBackend(engine, { registry: mcp.registry, stepControl: steps }),
    {
      frameMs: 0,
    },
  );
  await controller.submit("echo hi");
  const result = engine.inputs[1]!.blocks.find((block) => block.kind === "tool_use")!;
  return { questions, result: result.payload as { result: unknown; error?: string } };
}

describe("the chat asks before an untrusted MCP server's tool runs", () => {
  it("runs the tool when the user allows it", async () => {
    const { questions, result } = await chatWith(false, true);
    expect(questions).toEqual(['Run echo on MCP server test with {"text":"hi"}?']);
    expect(result.error).toBeUndefined();
    expect(result.result).toMatchObject({ content: [{ text: "hi" }] });
  });

  it("sends a denial to the model when the user refuses", async () => {
    const { result } = await chatWith(false, false);
    expect(result.error).toMatch(/denied .*MCP server test is not trusted/);
  });

  it("does not ask for a trusted server", async () => {
    const { questions, result } = await chatWith(true, false);
    expect(questions).toEqual([]);
    expect(result.error).toBeUndefined();
  });
});

describe("geppetto chat --mcp NAME with piped input", () => {
  function project(trusted: boolean) {
    const home = mkdtempSync(join(tmpdir(), "geppetto-mcp-chat-"));
    const cwd = join(home, "project");
    mkdirSync(cwd);
    const settings = {
      mcp: { servers: { test: { ...STDIO_TEST_SERVER, trusted } } },
      chat: { apiType: "openai", engine: "gpt-4o-mini" },
      api: { openai: { apiKey: "sk-test", baseURL: provider.baseURL("openai-chat") } },
    };
    writeFileSync(join(cwd, ".geppetto.yaml"), JSON.stringify(settings));
    const env = {
      HOME: home,
      XDG_CONFIG_HOME: join(home, ".config"),
      XDG_DATA_HOME: join(home, ".local/share"),
    };
    return createTestIO({ env, cwd, stdin: "echo please\n" });
  }

  it("runs a trusted server's tool, and denies an untrusted one (nobody to ask)", async () => {
    const call = {
      script: { toolCalls: [{ id: "call_1", name: "test_echo", arguments: { text: "piped" } }] },
    };
    provider.enqueue(call, { script: { text: "done" } });
    const trusted = project(true);
    expect(await main(["chat", "--mcp", "test"], trusted)).toBe(0);
    expect(trusted.err).toMatch(/piped/);
    expect(trusted.err).not.toMatch(/denied/);

    provider.enqueue(call, { script: { text: "done" } });
    const untrusted = project(false);
    expect(await main(["chat", "--mcp", "test"], untrusted)).toBe(0);
    expect(untrusted.err).toMatch(/denied \(no terminal to ask\): Run echo on MCP server test/);
  });
});
