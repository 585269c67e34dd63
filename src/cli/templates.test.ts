/**
 * `geppetto run --template NAME -v key=value`: a YAML template's prompt, system prompt, model and defaults, its
 * placeholders filled from -v and the prompt given; bad templates and variables named in our own words.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { type ProviderServer, startProviderServer } from "../testing/provider-server/index.ts";
import { turnFromJson } from "../turns/serialization.ts";
import { main } from "./main.ts";
import { createTestIO } from "./test-io.ts";

function sandbox(extra: Record<string, string> = {}) {
  const home = mkdtempSync(join(tmpdir(), "geppetto-templates-"));
  const env = {
    HOME: home,
    XDG_CONFIG_HOME: join(home, "config"),
    XDG_DATA_HOME: join(home, "data"),
    ...extra,
  };
  const templates = join(home, "config", "geppetto", "templates");
  mkdirSync(templates, { recursive: true });
  const write = (name: string, text: string) => {
    const path = join(templates, name);
    writeFileSync(path, text);
    return path;
  };
  return {
    env,
    home,
    write,
    io: (stdin?: string) => createTestIO({ env, cwd: home, ...(stdin ? { stdin } : {}) }),
  };
}

const SUMMARIZE = [
  "description: Summarize a text",
  "system: You write plain {{language}}.",
  'prompt: "Summarize in at most {{words}} words:\\n\\n{{input}}"',
  "defaults: { words: 50, language: English }",
].join("\n");

function userAndSystem(out: string) {
  const turn = turnFromJson(out);
  const text = (kind: string) => {
    const block = turn.blocks.find((candidate) => candidate.kind === kind);
    return block && "text" in block.payload ? block.payload.text : undefined;
  };
  return { system: text("system"), user: text("user") };
}

describe("geppetto run --template", () => {
  let server: ProviderServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it("fills the template's placeholders from -v, its defaults and the prompt given ({{input}})", async () => {
    const box = sandbox();
    box.write("summarize.yaml", SUMMARIZE);
    const io = box.io();
    expect(await main(["run", "-o", "json", "-t", "summarize", "-v", "words=20", "A long story."], io)).toBe(
      0,
    );
    expect(userAndSystem(io.out)).toEqual({
      system: "You write plain English.",
      user: "Summarize in at most 20 words:\n\nA long story.",
    });
    // The input may come on standard input; --system given now wins over the template's.
    const piped = box.io("Text from a pipe\n");
    const argv = [
      "run",
      "-o",
      "json",
      "--template",
      "summarize",
      "--var",
      "language=French",
      "-s",
      "Be terse",
    ];
    expect(await main(argv, piped)).toBe(0);
    expect(userAndSystem(piped.out)).toEqual({
      system: "Be terse",
      user: "Summarize in at most 50 words:\n\nText from a pipe",
    });
  });

  it("a prompt without {{input}} gets the input after it; a template may be given as a path", async () => {
    const box = sandbox();
    const path = box.write("review.yml", "prompt: Review this code for {{focus}}.\n");
    const io = box.io();
    expect(await main(["run", "-o", "json", "-t", path, "-v", "focus=bugs", "x = 1"], io)).toBe(0);
    expect(userAndSystem(io.out).user).toBe("Review this code for bugs.\n\nx = 1");
  });

  it("uses the template's model unless a model flag is given", async () => {
    server = await startProviderServer({ response: { script: { text: "ok" } } });
    const box = sandbox({ OPENAI_API_KEY: "sk-test", OPENAI_BASE_URL: server.baseURL("openai-chat") });
    box.write("fast.yaml", "model: openai:template-model\nprompt: Hi {{input}}\n");
    expect(await main(["run", "--no-log", "-t", "fast", "there"], box.io())).toBe(0);
    expect(server.requests.at(-1)?.body).toMatchObject({ model: "template-model" });
    expect(await main(["run", "--no-log", "-t", "fast", "-m", "openai:flag-model", "there"], box.io())).toBe(
      0,
    );
    expect(server.requests.at(-1)?.body).toMatchObject({ model: "flag-model" });
  });

  it("names what is wrong: an unknown template, a missing or unused variable, a bad field, -v alone", async () => {
    const box = sandbox();
    box.write("summarize.yaml", SUMMARIZE);
    box.write("bad.yaml", "prompt: 3\ncolour: red\n");
    box.write("needs.yaml", 'prompt: "Translate to {{target}}: {{input}}"\n');
    const cases: [string[], RegExp][] = [
      [
        ["-t", "sumarize", "x"],
        /no template "sumarize" in .*templates \(did you mean summarize\?\); templates: bad, needs, summarize/,
      ],
      [["-t", "needs", "x"], /template .*needs\.yaml needs -v target=… \(no value and no default\)/],
      [
        ["-t", "summarize", "-v", "word=3", "x"],
        /-v word: template .*summarize\.yaml has no \{\{word\}\} \(did you mean words\?\)/,
      ],
      [["-t", "summarize", "-v", "words", "x"], /-v words: expected key=value/],
      [
        ["-t", "bad", "x"],
        /template .*bad\.yaml: .*unknown field colour.*|template .*bad\.yaml: prompt: expected string/,
      ],
      [["-v", "a=b", "x"], /-v needs --template NAME/],
    ];
    for (const [args, message] of cases) {
      const io = box.io();
      expect(await main(["run", ...args], io), args.join(" ")).toBe(2);
      expect(io.err, args.join(" ")).toMatch(message);
    }
  });
});
