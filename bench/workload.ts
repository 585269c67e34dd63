/**
 * The benchmark workloads, shared by the provider server (which streams them) and the clients (which check
 * they received them in full). A workload is named by the `model` field of the request, so every client
 * library can select it without custom headers: `text-N` streams N text tokens, `tool-N` streams one tool call
 * whose JSON arguments arrive in N chunks.
 */

/** What the server streams for one request. */
export type Workload = { kind: "text"; tokens: number } | { kind: "tool"; chunks: number };

/** The name of the tool the `tool-N` workloads call. */
export const TOOL_NAME = "record_items";

/** The model name that selects a workload. */
export function workloadModel(workload: Workload): string {
  return workload.kind === "text" ? `text-${workload.tokens}` : `tool-${workload.chunks}`;
}

/** Parses a model name back into a workload; undefined when it names none. */
export function parseWorkloadModel(model: string): Workload | undefined {
  const match = /^(text|tool)-(\d+)$/.exec(model);
  if (!match) return undefined;
  const count = Number(match[2]);
  if (!Number.isSafeInteger(count) || count < 1) return undefined;
  return match[1] === "text" ? { kind: "text", tokens: count } : { kind: "tool", chunks: count };
}

/**
 * Word pieces as a model streams them: mostly ASCII with accents, dashes, CJK and emoji mixed in, so decoding
 * and JSON escaping see multi-byte UTF-8 (about a third of the tokens), and lengths vary like real tokens.
 */
const TOKEN_POOL = [
  " the",
  " café",
  " naïve",
  " résumé",
  " 東京",
  " は",
  " 😀",
  " —",
  " über",
  " straße",
  " año",
  " data",
  " streaming",
  " Ελλάδα",
  " привет",
  " model",
  " token",
  "’s",
  " 中文",
  " ✓",
  " inference",
  ",",
  ".",
  " 🚀",
  " señor",
  " déjà",
  " vu",
  " 日本語",
  " crème",
  " brûlée",
  " façade",
  " fiancé",
];

/** The text tokens of a `text-N` workload (deterministic: the same for every client and repetition). */
export function textTokens(count: number): string[] {
  const tokens: string[] = new Array(count);
  for (let index = 0; index < count; index++) {
    tokens[index] = TOKEN_POOL[(index * 7 + (index >> 5)) % TOKEN_POOL.length]!;
  }
  return tokens;
}

/** The full text a client must receive for `text-N`. */
export function expectedText(count: number): string {
  return textTokens(count).join("");
}

/** The argument chunks of a `tool-N` workload: a JSON object split into N pieces of about 8 characters. */
export function toolArgumentChunks(count: number): string[] {
  const prefix = '{"items":"';
  const suffix = '"}';
  const bodyLength = Math.max(0, count * 8 - prefix.length - suffix.length);
  let body = "";
  for (let index = 0; body.length < bodyLength; index++) body += `i${index}-`;
  const json = prefix + body.slice(0, bodyLength) + suffix;
  const chunks: string[] = [];
  for (let index = 0; index < count; index++) {
    const start = Math.floor((index * json.length) / count);
    const end = Math.floor(((index + 1) * json.length) / count);
    chunks.push(json.slice(start, end));
  }
  return chunks;
}

/** The complete arguments a client must receive for `tool-N`. */
export function expectedToolArguments(count: number): string {
  return toolArgumentChunks(count).join("");
}

/** Throws, naming the client and workload, when a client did not receive exactly the expected text. */
export function assertText(client: string, tokens: number, received: string): void {
  const expected = expectedText(tokens);
  if (received !== expected) {
    throw new Error(
      `${client}: text-${tokens} received ${received.length} characters, expected ${expected.length}` +
        ` (first difference at ${firstDifference(received, expected)})`,
    );
  }
}

/** Throws when a client did not receive the expected tool arguments (compared as parsed JSON). */
export function assertToolArguments(client: string, chunks: number, received: unknown): void {
  const expected = JSON.parse(expectedToolArguments(chunks)) as { items: string };
  const value = typeof received === "string" ? safeParse(received) : received;
  const items = (value as { items?: unknown } | undefined)?.items;
  if (items !== expected.items) {
    const length = typeof items === "string" ? items.length : -1;
    throw new Error(
      `${client}: tool-${chunks} arguments incomplete: items has ${length} characters, expected ${expected.items.length}`,
    );
  }
}

function safeParse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function firstDifference(left: string, right: string): number {
  const length = Math.min(left.length, right.length);
  for (let index = 0; index < length; index++) if (left[index] !== right[index]) return index;
  return length;
}
