import { describe, expect, it } from "vitest";
import { parseSpec } from "./child.ts";
import { CLIENTS } from "./clients/index.ts";
import { IMPORTS } from "./run.ts";
import { anthropicEvents, openAIEvents } from "./server.ts";
import {
  formatNumber,
  formatRatio,
  growthRatio,
  markdownTable,
  median,
  percentile,
  ratio,
  rotate,
} from "./stats.ts";
import { geminiEvents, ollamaLines, responsesEvents } from "./wires.ts";
import {
  assertText,
  assertToolArguments,
  expectedText,
  expectedToolArguments,
  parseWorkloadModel,
  toolArgumentChunks,
} from "./workload.ts";

describe("bench statistics", () => {
  it("takes the median of odd and even counts, ignoring non-numbers", () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([5, Number.NaN, 1])).toBe(3);
    expect(median([])).toBeNaN();
  });

  it("takes nearest-rank percentiles", () => {
    const values = Array.from({ length: 100 }, (_, index) => index + 1);
    expect(percentile(values, 50)).toBe(50);
    expect(percentile(values, 99)).toBe(99);
    expect(percentile([7], 99)).toBe(7);
    expect(percentile([], 50)).toBeNaN();
  });

  it("divides by the floor, refusing a missing or zero floor", () => {
    expect(ratio(3, 2)).toBe(1.5);
    expect(ratio(3, 0)).toBeNaN();
    expect(ratio(Number.NaN, 2)).toBeNaN();
  });

  it("measures growth between the smallest and largest size", () => {
    expect(
      growthRatio(
        new Map([
          [8000, 2],
          [500, 1],
          [2000, 1.5],
        ]),
      ),
    ).toBe(2);
    expect(growthRatio(new Map([[500, 1]]))).toBeNaN();
  });

  it("rotates the client order per repetition", () => {
    expect(rotate([1, 2, 3], 1)).toEqual([2, 3, 1]);
    expect(rotate([1, 2, 3], 4)).toEqual([2, 3, 1]);
    expect(rotate([], 2)).toEqual([]);
  });
});

describe("bench formatting", () => {
  it("formats numbers with about three significant digits and ratios with a ×", () => {
    expect(formatNumber(12345.6)).toBe("12,346");
    expect(formatNumber(12.345)).toBe("12.3");
    expect(formatNumber(1.2345)).toBe("1.23");
    expect(formatNumber(0.012345)).toBe("0.012");
    expect(formatNumber(Number.NaN)).toBe("—");
    expect(formatRatio(1.234)).toBe("1.23×");
    expect(formatRatio(Number.POSITIVE_INFINITY)).toBe("—");
  });

  it("renders a Markdown table, escaping pipes and checking row widths", () => {
    expect(markdownTable(["a", "b"], [["1", "x|y"]])).toBe("| a | b |\n| --- | --- |\n| 1 | x\\|y |");
    expect(() => markdownTable(["a", "b"], [["1"]])).toThrow(/row 0 has 1 cells, the header has 2/);
  });

  it("probes the import of every client that is not a floor (each row of the import target is measured)", () => {
    for (const client of CLIENTS.filter((client) => !client.floor))
      expect(IMPORTS[client.name]).toBeDefined();
  });

  it("parses scenario specs", () => {
    expect(parseSpec("stream:10000")).toEqual({ scenario: "stream", size: 10000, count: 1 });
    expect(parseSpec("ttft:1x500")).toEqual({ scenario: "ttft", size: 1, count: 500 });
    expect(() => parseSpec("stream=1")).toThrow(/bad scenario spec/);
  });
});

describe("bench workloads", () => {
  it("names workloads by model", () => {
    expect(parseWorkloadModel("text-10000")).toEqual({ kind: "text", tokens: 10000 });
    expect(parseWorkloadModel("tool-500")).toEqual({ kind: "tool", chunks: 500 });
    expect(parseWorkloadModel("gpt-4o")).toBeUndefined();
    expect(parseWorkloadModel("text-0")).toBeUndefined();
  });

  it("splits tool arguments into exactly N chunks of valid JSON", () => {
    for (const count of [1, 7, 500]) {
      expect(toolArgumentChunks(count)).toHaveLength(count);
      expect(() => JSON.parse(expectedToolArguments(count))).not.toThrow();
    }
  });

  it("fails loudly on incomplete output", () => {
    expect(() => assertText("x", 3, expectedText(3))).not.toThrow();
    expect(() => assertText("x", 3, expectedText(2))).toThrow(/x: text-3 received/);
    expect(() => assertToolArguments("x", 50, expectedToolArguments(50))).not.toThrow();
    expect(() => assertToolArguments("x", 50, JSON.parse(expectedToolArguments(50)))).not.toThrow();
    expect(() => assertToolArguments("x", 50, '{"items":"i0"}')).toThrow(/arguments incomplete/);
  });

  it("streams the workload text in the OpenAI and Anthropic wire formats", () => {
    const openai = openAIEvents("text-3", { kind: "text", tokens: 3 });
    expect(openai.at(-1)).toBe("data: [DONE]\n\n");
    const text = openai
      .filter((event) => event.startsWith("data: {"))
      .map((event) => JSON.parse(event.slice(6)).choices[0]?.delta?.content ?? "")
      .join("");
    expect(text).toBe(expectedText(3));
    const anthropic = anthropicEvents("tool-4", { kind: "tool", chunks: 4 });
    const args = anthropic
      .map((event) => JSON.parse(event.split("\ndata: ")[1]!))
      .filter((data) => data.delta?.type === "input_json_delta")
      .map((data) => data.delta.partial_json)
      .join("");
    expect(args).toBe(expectedToolArguments(4));
  });

  it("streams the workloads in the Responses, Gemini and Ollama wire formats", () => {
    const data = (event: string) => JSON.parse(event.slice(event.indexOf("data: ") + 6));
    const responses = responsesEvents("text-3", { kind: "text", tokens: 3 }).map(data);
    const deltas = responses.filter((event) => event.type === "response.output_text.delta");
    expect(deltas.map((event) => event.delta).join("")).toBe(expectedText(3));
    expect(responses.map((event) => event.sequence_number)).toEqual(responses.map((_, index) => index));
    expect(responses.at(-1).type).toBe("response.completed");
    const responsesTool = responsesEvents("tool-4", { kind: "tool", chunks: 4 }).map(data);
    const argumentDeltas = responsesTool.filter((e) => e.type === "response.function_call_arguments.delta");
    expect(argumentDeltas.map((event) => event.delta).join("")).toBe(expectedToolArguments(4));
    const gemini = geminiEvents("text-3", { kind: "text", tokens: 3 }).map(data);
    expect(gemini.map((chunk) => chunk.candidates[0].content.parts[0].text).join("")).toBe(expectedText(3));
    expect(gemini.at(-1).candidates[0].finishReason).toBe("STOP");
    const geminiTool = geminiEvents("tool-4", { kind: "tool", chunks: 4 }).map(data);
    const pieces = geminiTool.flatMap(
      (chunk) => chunk.candidates[0].content.parts[0].functionCall?.partialArgs ?? [],
    );
    expect(pieces).toHaveLength(4);
    expect(
      JSON.stringify({ items: pieces.map((piece: { stringValue: string }) => piece.stringValue).join("") }),
    ).toBe(expectedToolArguments(4));
    const ollama = ollamaLines("text-3", { kind: "text", tokens: 3 }).map((line) => JSON.parse(line));
    expect(ollama.map((line) => line.message.content).join("")).toBe(expectedText(3));
    expect(ollama.at(-1).done).toBe(true);
  });
});
