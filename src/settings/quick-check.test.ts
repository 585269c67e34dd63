import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { quickParseSettings } from "./quick-check.ts";
import { inferenceSettingsSchema } from "./schema.ts";
import { setPath } from "./sources.ts";

type ZodLike = {
  shape?: Record<string, unknown>;
  unwrap?: () => unknown;
  _zod?: { def?: { type?: string } };
};

/** Every leaf of the zod schema (`chat.engine`, `api.openai.apiKey`, `mcp.servers`…) and its zod type, read from zod. */
function leaves(schema: unknown, prefix = ""): { path: string; type: string }[] {
  let current = schema as ZodLike | undefined;
  while (
    current &&
    !current.shape &&
    current._zod?.def?.type !== "array" &&
    typeof current.unwrap === "function"
  ) {
    current = current.unwrap() as ZodLike;
  }
  if (!current?.shape) return [{ path: prefix, type: current?._zod?.def?.type ?? "unknown" }];
  return Object.entries(current.shape).flatMap(([key, child]) =>
    leaves(child, prefix ? `${prefix}.${key}` : key),
  );
}

const strings = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.constantFrom(
      "openai",
      "claude",
      "anthropic",
      "gpt-4o-mini",
      "",
      " padded ",
      "https://api.example.com/v1",
      " https://api.example.com/v1",
      "http://127.0.0.1:8080",
      "https://exa\nmple.com",
      "not a url",
      "sqlite",
      "postgres",
      "postgres://user:pw@db/app",
      "/tmp/sessions.db",
    ),
  },
  fc.string({ maxLength: 6 }),
);
const numbers = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.constantFrom(
      0,
      -0,
      0.5,
      1,
      2,
      2.5,
      -1,
      30_000,
      2 ** 53,
      Number.POSITIVE_INFINITY,
      Number.NaN,
    ),
  },
  fc.double(),
  fc.integer(),
);
/** Anything, for a value of the wrong type. */
const anything = fc.oneof(
  strings,
  numbers,
  fc.boolean(),
  fc.constantFrom(null, undefined, [], [1], {}, { nested: 1 }),
);
const ofType: Record<string, fc.Arbitrary<unknown>> = {
  string: strings,
  number: numbers,
  boolean: fc.boolean(),
  array: fc.array(strings, { maxLength: 2 }),
};

/** A leaf and a value mostly of its zod type (edges of ranges and formats included), now and then of another. */
const entry = fc
  .constantFrom(
    ...leaves(inferenceSettingsSchema()),
    { path: "chat.unknown", type: "unknown" },
    { path: "nope", type: "unknown" },
  )
  .chain(({ path, type }) =>
    fc.tuple(fc.constant(path), fc.oneof({ weight: 6, arbitrary: ofType[type] ?? strings }, anything)),
  );

/** A few settings, inserted in random order (the output's order is the schema's). */
const settings = fc
  .uniqueArray(entry, { minLength: 1, maxLength: 4, selector: ([path]) => path })
  .map((entries) => {
    const values: Record<string, unknown> = {};
    for (const [path, leaf] of entries) setPath(values, path, leaf);
    return values;
  });

describe("quickParseSettings", () => {
  it("accepts only what zod accepts, with zod's output in zod's key order", () => {
    let vouched = 0;
    fc.assert(
      fc.property(settings, (values) => {
        const quick = quickParseSettings(structuredClone(values));
        if (quick === undefined) return;
        vouched++;
        const result = inferenceSettingsSchema().safeParse(structuredClone(values));
        expect(result.success).toBe(true);
        expect(JSON.stringify(quick)).toBe(JSON.stringify(result.data));
        expect(quick).toEqual(result.data);
      }),
      { numRuns: 3_000 },
    );
    // Not vacuous: a good share of the generated settings were decided without zod.
    expect(vouched).toBeGreaterThan(60);
  });

  it("vouches for the usual layers, so loading them needs no zod", () => {
    const usual = [
      { chat: { stream: true } },
      {},
      {
        chat: { apiType: "openai", engine: "gpt-4o-mini", temperature: 0.2 },
        api: { openai: { apiKey: "sk-1" } },
      },
      {
        api: { openai: { baseURL: "http://127.0.0.1:11434/v1" } },
        client: { timeoutMs: 30_000, maxRetries: 2 },
      },
      { modelInfo: { prices: { inputPerMillion: 0.15, outputPerMillion: 0.6 } } },
      { store: { kind: "sqlite", url: "/tmp/sessions.db" } },
    ];
    for (const values of usual) expect(quickParseSettings(values)).toEqual(values);
    expect(quickParseSettings({ chat: { apiType: "claude" } })).toEqual({ chat: { apiType: "anthropic" } });
  });

  it("orders every section it knows as zod does, whatever order they come in", () => {
    const everything = {
      store: { url: "/tmp/sessions.db", kind: "sqlite" },
      modelInfo: { prices: { outputPerMillion: 0.6, inputPerMillion: 0.15 }, contextWindow: 128_000 },
      embeddings: { batchSize: 64, engine: "text-embedding-3-small" },
      client: { userAgent: "me", maxRetries: 2, timeoutMs: 1000 },
      chat: { stream: true, stop: ["END"], engine: "gpt-4o-mini", apiType: "openai" },
      api: { claude: { apiKey: "k" }, openai: { baseURL: "http://127.0.0.1:1/v1", apiKey: "sk-1" } },
    };
    const result = inferenceSettingsSchema().safeParse(structuredClone(everything));
    expect(result.success).toBe(true);
    expect(JSON.stringify(quickParseSettings(everything))).toBe(JSON.stringify(result.data));
  });

  it("leaves to zod what it does not know or what is invalid", () => {
    for (const values of [
      { chat: { temperature: 3 } },
      { chat: { engin: "typo" } },
      { chat: { apiType: "nope" } },
      { store: { kind: "postgres", url: "/tmp/x.db" } },
      { inference: { thinkingBudget: 1024 } },
      { chat: { engine: undefined } },
    ]) {
      expect(quickParseSettings(values)).toBeUndefined();
    }
  });
});
