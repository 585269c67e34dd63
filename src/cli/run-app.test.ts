import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { setupLocalServer } from "../providers/test-support.ts";
import { main } from "./main.ts";
import { createTestIO } from "./test-io.ts";

const server = setupLocalServer();

/** A fake home and project folder, and the flags that point OpenAI Chat at the local server. */
function sandbox() {
  const root = mkdtempSync(join(tmpdir(), "geppetto-run-app-"));
  const cwd = join(root, "project");
  mkdirSync(cwd);
  const io = (stdin?: string) =>
    createTestIO({
      env: { HOME: root, XDG_CONFIG_HOME: join(root, "config") },
      cwd,
      ...(stdin === undefined ? {} : { stdin }),
    });
  const flags = [
    "-m",
    "openai:gpt-4o-mini",
    "--ai-base-url",
    server.baseURL("openai-chat"),
    "--ai-api-key",
    "k",
  ];
  const write = (name: string, text: string) => writeFileSync(join(cwd, name), text);
  return { io, flags, write, root };
}

const source = (path: string) => JSON.stringify(new URL(path, import.meta.url).href);

describe("geppetto run with the application API", () => {
  it("--tools ./module.ts loads the user's defineTool exports and runs the tool loop with them", async () => {
    const box = sandbox();
    box.write(
      "my-tools.ts",
      `import { defineTool } from ${source("../tools/define-tool.ts")};
export const shout = defineTool({
  name: "shout",
  description: "Upper-cases a text",
  input: { type: "object", properties: { text: { type: "string" } }, required: ["text"] },
  execute: ({ text }: { text: string }) => ({ loud: text.toUpperCase() }),
});
export const notATool = 42;
`,
    );
    server.enqueue(
      { script: { toolCalls: [{ id: "call_1", name: "shout", arguments: { text: "hi" } }] } },
      { script: { text: "It says HI." } },
    );
    const io = box.io();
    expect(await main(["run", ...box.flags, "--tools", "./my-tools.ts", "Shout hi"], io)).toBe(0);
    expect(io.out).toContain("It says HI.");
    expect(server.requests[0]!.body).toMatchObject({
      model: "gpt-4o-mini",
      tools: [{ function: { name: "shout" } }],
    });
    expect(JSON.stringify(server.requests[1]!.body)).toContain('{\\"loud\\":\\"HI\\"}');
  });

  it("--tools ./module.js loads a plain JavaScript module's tools", async () => {
    const box = sandbox();
    box.write("package.json", '{ "type": "module" }\n');
    box.write(
      "my-tools.js",
      `import { defineTool } from ${source("../tools/define-tool.ts")};
export const reverse = defineTool({
  name: "reverse",
  description: "Reverses a text",
  input: { type: "object", properties: { text: { type: "string" } }, required: ["text"] },
  execute: ({ text }) => ({ reversed: [...text].reverse().join("") }),
});
`,
    );
    server.enqueue(
      { script: { toolCalls: [{ id: "call_1", name: "reverse", arguments: { text: "abc" } }] } },
      { script: { text: "It is cba." } },
    );
    const io = box.io();
    expect(await main(["run", ...box.flags, "--tools", "./my-tools.js", "Reverse abc"], io)).toBe(0);
    expect(io.out).toContain("It is cba.");
    expect(JSON.stringify(server.requests[1]!.body)).toContain('{\\"reversed\\":\\"cba\\"}');
  });

  it("--tools with a module that exports no tool is bad usage naming the file", async () => {
    const box = sandbox();
    box.write("empty.mjs", "export const nothing = 1;\n");
    const io = box.io();
    expect(await main(["run", ...box.flags, "--tools", "./empty.mjs", "hi"], io)).toBe(2);
    expect(io.err).toMatch(/--tools: .*empty\.mjs exports no tool \(export the results of defineTool\)/);
  });

  it("--schema schema.json prints the validated object", async () => {
    const box = sandbox();
    box.write(
      "person.json",
      JSON.stringify({ type: "object", properties: { name: { type: "string" } }, required: ["name"] }),
    );
    server.respond({ script: { text: '{"name": "Ada"}' } });
    const io = box.io();
    expect(await main(["run", ...box.flags, "--schema", "person.json", "Invent a person"], io)).toBe(0);
    expect(JSON.parse(io.out)).toEqual({ name: "Ada" });
    expect(server.requests[0]!.body).toMatchObject({ response_format: { type: "json_schema" } });
  });

  it("--schema with a zod module; an answer that never validates exits 1 with every attempt's issues", async () => {
    const box = sandbox();
    box.write(
      "person.ts",
      `import { z } from ${JSON.stringify(import.meta.resolve("zod"))};\nexport default z.object({ age: z.number() });\n`,
    );
    server.respond({ script: { text: '{"age": "old"}' } });
    const io = box.io();
    expect(await main(["run", ...box.flags, "--schema", "./person.ts", "How old?"], io)).toBe(1);
    expect(io.err).toMatch(/no valid object after 2 attempts/);
    expect(io.err).toMatch(/attempt 1: \$\.age: .*\n {2}answer: \{"age": "old"\}/);
    expect(io.err).toMatch(/attempt 2: \$\.age/);
  });

  it("-m with an unknown provider is bad usage listing the known ones, in run, chat and webchat", async () => {
    for (const command of ["run", "chat", "webchat"]) {
      const io = sandbox().io();
      expect(await main([command, "-m", "palm:bison", ...(command === "run" ? ["hi"] : [])], io)).toBe(2);
      expect(io.err).toMatch(
        /--model: unknown provider "palm" in model id "palm:bison": known providers are openai \(or openai-compatible\), /,
      );
    }
  });

  describe("tools marked needsApproval", () => {
    const toolModule = `import { defineTool } from ${source("../tools/define-tool.ts")};
export const wipe = defineTool({
  name: "wipe",
  description: "Deletes everything",
  input: { type: "object", properties: {} },
  needsApproval: true,
  execute: () => ({ wiped: true }),
});
`;
    const callsWipe = () =>
      server.enqueue(
        { script: { toolCalls: [{ id: "call_1", name: "wipe", arguments: {} }] } },
        { script: { text: "Done." } },
      );
    const secondRequest = () => JSON.stringify(server.requests[1]!.body);

    it("are refused without a terminal, and the model reads why", async () => {
      const box = sandbox();
      box.write("tools.ts", toolModule);
      callsWipe();
      const io = box.io("");
      expect(await main(["run", ...box.flags, "--tools", "./tools.ts", "Wipe it"], io)).toBe(0);
      expect(io.err).toContain(
        'refused: Allow tool "wipe" with {}? It needs approval and there is no terminal to ask (use --yes)',
      );
      expect(secondRequest()).toContain(
        "the user denied this tool call: it needs approval and nobody could be asked",
      );
      expect(secondRequest()).not.toContain("wiped");
    });

    it("run with --yes", async () => {
      const box = sandbox();
      box.write("tools.ts", toolModule);
      callsWipe();
      const io = box.io("");
      expect(await main(["run", ...box.flags, "--yes", "--tools", "./tools.ts", "Wipe it"], io)).toBe(0);
      expect(secondRequest()).toContain('{\\"wiped\\":true}');
    });

    it("are asked about on a terminal: yes runs the call", async () => {
      const box = sandbox();
      box.write("tools.ts", toolModule);
      callsWipe();
      const io = box.io("y\n");
      io.stdin.isTTY = true;
      expect(await main(["run", ...box.flags, "--tools", "./tools.ts", "Wipe it"], io)).toBe(0);
      expect(io.err).toContain('Allow tool "wipe" with {}? [y/N] ');
      expect(secondRequest()).toContain('{\\"wiped\\":true}');
    });
  });
});

describe("geppetto chat with the user's tools", () => {
  it("--tools ./module.ts offers them; a needsApproval call is denied with piped input", async () => {
    const box = sandbox();
    box.write(
      "tools.ts",
      `import { defineTool } from ${source("../tools/define-tool.ts")};
export const wipe = defineTool({
  name: "wipe",
  description: "Deletes everything",
  input: { type: "object", properties: {} },
  needsApproval: () => true,
  execute: () => ({ wiped: true }),
});
`,
    );
    server.enqueue(
      { script: { toolCalls: [{ id: "call_1", name: "wipe", arguments: {} }] } },
      { script: { text: "I could not." } },
    );
    const io = box.io("Wipe it\n");
    const flags = [...box.flags, "--db", join(box.root, "sessions.db")];
    expect(await main(["chat", ...flags, "--tools", "./tools.ts"], io)).toBe(0);
    expect(io.out).toContain("I could not.");
    expect(io.err).toContain('denied (no terminal to ask): Allow tool "wipe" with {}?');
    expect(JSON.stringify(server.requests[1]!.body)).toContain(
      "the user denied this tool call: the user refused",
    );
  });
});
