/**
 * `geppetto chat --tools ./module` in a real terminal (tmux): a call of a tool marked `needsApproval` asks on the
 * chat screen; y runs it, any other key denies it (the model reads the refusal). Needs tmux (skipped with the
 * reason when it is missing) and `npm run build` (dist/).
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ProviderServer, startProviderServer } from "../../testing/provider-server/server.ts";
import { after, shellQuote, Terminal } from "./terminal-harness.ts";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");
const hasTmux = spawnSync("tmux", ["-V"]).status === 0;

describe.skipIf(!hasTmux)("geppetto chat asks about a needsApproval call on the terminal (tmux)", () => {
  const directory = mkdtempSync(join(tmpdir(), "geppetto-chat-approval-"));
  const ledger = join(directory, "ledger.txt");
  const tools = join(directory, "bank-tools.mjs");
  const terminal = new Terminal();
  let server: ProviderServer;
  beforeAll(async () => {
    server = await startProviderServer();
    writeFileSync(ledger, "");
    writeFileSync(
      tools,
      `import { appendFileSync } from "node:fs";
import { defineTool } from ${JSON.stringify(pathToFileURL(join(root, "dist/tools/index.js")).href)};
export const pay = defineTool({
  name: "pay",
  description: "Pays an amount",
  input: { type: "object", properties: { amount: { type: "number" } }, required: ["amount"] },
  needsApproval: true,
  execute: ({ amount }) => {
    appendFileSync(${JSON.stringify(ledger)}, "paid " + amount + "\\n");
    return { paid: amount };
  },
});
`,
    );
  });
  afterAll(async () => {
    terminal.kill();
    await server.close();
    rmSync(directory, { recursive: true, force: true });
  });

  it("y runs the call; n denies it and the model reads why", async () => {
    expect(existsSync(join(root, "dist/tools/index.js"))).toBe(true);
    server.enqueue(
      { script: { toolCalls: [{ id: "call_1", name: "pay", arguments: { amount: 5 } }] } },
      { script: { text: "Paid five." } },
      { script: { toolCalls: [{ id: "call_2", name: "pay", arguments: { amount: 900 } }] } },
      { script: { text: "Not paid." } },
    );
    const env = {
      HOME: directory,
      XDG_CONFIG_HOME: join(directory, "config"),
      XDG_DATA_HOME: join(directory, "data"),
      OPENAI_API_KEY: "local",
      OPENAI_BASE_URL: server.baseURL("openai-chat"),
      TERM: "xterm-256color",
      PATH: process.env.PATH ?? "",
    };
    const assignments = Object.entries(env).map(([key, value]) => `${key}=${shellQuote(value)}`);
    const db = shellQuote(join(directory, "sessions.db"));
    const flags = `--ai-api-type openai --ai-engine test-model --db ${db} --tools ${shellQuote(tools)}`;
    terminal.start(
      `cd ${shellQuote(root)} && env -i ${assignments.join(" ")} ${shellQuote(process.execPath)} bin/geppetto.js chat ${flags}; sleep 60`,
      { columns: 120, rows: 40 },
    );
    await terminal.waitFor("the input line", (screen) => screen.includes("Enter to send"));
    terminal.keys("-l", "pay 5");
    terminal.keys("Enter");
    await terminal.waitFor("the question", (screen) => screen.includes("Press y to allow"), 20_000);
    expect(readFileSync(ledger, "utf8")).toBe(""); // nothing runs before the answer
    terminal.keys("-l", "y");
    await terminal.waitFor("the answer", (screen) => screen.includes("Paid five."), 20_000);
    expect(readFileSync(ledger, "utf8")).toBe("paid 5\n");
    expect(JSON.stringify(server.requests[1]!.body)).toContain('{\\"paid\\":5}');
    await terminal.waitFor("the input line again", (screen) =>
      after(screen, "Paid five.").includes("Enter to send"),
    );
    terminal.keys("-l", "pay 900");
    terminal.keys("Enter");
    await terminal.waitFor(
      "the second question",
      (screen) => after(screen, "Paid five.").includes("Press y to allow"),
      20_000,
    );
    terminal.keys("-l", "n");
    await terminal.waitFor("the second answer", (screen) => screen.includes("Not paid."), 20_000);
    expect(readFileSync(ledger, "utf8")).toBe("paid 5\n");
    expect(JSON.stringify(server.requests[3]!.body)).toContain("the user denied this tool call");
    terminal.keys("C-d");
  }, 90_000);
});
