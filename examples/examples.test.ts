import { execFile, execFileSync } from "node:child_process";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";

const run = promisify(execFile);

/** Runs an example as a user does (`node examples/NAME.ts`, importing the built package); its stdout and stderr. */
async function runExample(name: string): Promise<{ stdout: string; stderr: string }> {
  return run(process.execPath, [new URL(`./${name}`, import.meta.url).pathname], { encoding: "utf8" });
}

describe("README examples", () => {
  it("examples/hello.ts runs and prints the answer and the event types", () => {
    const output = execFileSync(process.execPath, [new URL("./hello.ts", import.meta.url).pathname], {
      encoding: "utf8",
    });
    expect(output).toContain("A framework for LLM applications.");
    expect(output).toContain("finish: completed, events: start partial");
    expect(output).toContain("format: geppetto.turn/v1");
  });

  it("examples/streaming.ts prints the answer, then counts the deltas read with for await", async () => {
    const { stdout } = await runExample("streaming.ts");
    expect(stdout).toMatch(/Streams arrive token by token.\n+finish: completed/);
    expect(stdout).toContain("deltas: 5, output tokens: 5");
  });

  it("examples/tool-loop.ts calls the tool and answers with its result", async () => {
    const { stdout } = await runExample("tool-loop.ts");
    expect(stdout.trimEnd().split("\n")).toEqual([
      'calling get_weather({"city":"Paris"})',
      'result: {"city":"Paris","celsius":18,"sky":"clear"}',
      "answer: It is 18 °C and clear in Paris.",
      "loop: completed after 2 inferences",
    ]);
  });

  it("examples/openai-responses.ts streams reasoning, runs the tool and replays the reasoning item", async () => {
    const { stdout } = await runExample("openai-responses.ts");
    expect(stdout).toContain("reasoning: The user wants a product; the calculator is exact.");
    expect(stdout).toContain("blocks: user reasoning tool_call tool_use reasoning llm_text");
    expect(stdout).toContain("answer: 6 × 7 = 42.");
    expect(stdout).toContain("second request replays: message reasoning function_call function_call_output");
  });

  it("examples/structured-output.ts validates one answer and rejects one that breaks the schema", async () => {
    const { stdout } = await runExample("structured-output.ts");
    expect(stdout).toContain("valid: true");
    expect(stdout).toContain("request asked for: json_schema");
    expect(stdout).toContain('rejected: invalid_structured_output (model): answer breaks schema "capital"');
  });

  it("examples/session-persistence.ts resumes a stored session and continues it", async () => {
    const { stdout } = await runExample("session-persistence.ts");
    expect(stdout.trimEnd().split("\n")).toEqual([
      "Answer number 1.",
      "Answer number 2.",
      "Answer number 3.",
      "resumed with 2 stored turns; sessions: trip-planning",
    ]);
  });

  it("examples/citations.ts streams the answer without the block and the citations beside it", async () => {
    const { stdout } = await runExample("citations.ts");
    expect(stdout).toContain("Transformers replaced recurrence with attention.");
    expect(stdout).toContain("[citations, final: Attention Is All You Need; GPT-4 Technical Report]");
    expect(stdout).toContain("They now power most language models.");
    expect(stdout).not.toContain("geppetto:citations");
  });

  it("examples/tracing.ts prints the spans of a tool loop and the debug log lines", async () => {
    const { stdout, stderr } = await runExample("tracing.ts");
    for (const name of [
      "chat gpt-4o-mini",
      "execute_tool calculator",
      "tool_loop_iteration 1",
      "tool_loop_iteration 2",
    ])
      expect(stdout).toContain(`name: '${name}'`);
    expect(stdout).toContain("'gen_ai.usage.output_tokens': 6");
    expect(stdout).toContain("'geppetto.time_to_first_token_ms'");
    expect(stderr).toMatch(/^geppetto debug request provider=openai .*tools=calculator/m);
    expect(stderr).toMatch(/^geppetto debug response provider=openai status=200 finish=completed/m);
  });
});
