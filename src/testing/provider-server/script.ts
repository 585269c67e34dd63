/**
 * Helpers shared by protocol modules to render scripted answers.
 */
import type { ScriptedReply } from "./types.ts";

/** The answer's tokens: `tokens` as given, else `text` split after each run of spaces. */
export function tokensOf(script: ScriptedReply): string[] {
  if (script.tokens) return script.tokens;
  if (!script.text) return [];
  return script.text.match(/\s*\S+\s*/g) ?? [script.text];
}

/** Splits `text` into `count` pieces of near-equal length (at least one). */
export function splitInto(text: string, count = 1): string[] {
  const pieces = Math.max(1, Math.min(count, text.length || 1));
  const base = Math.floor(text.length / pieces);
  const extra = text.length % pieces;
  const out: string[] = [];
  let start = 0;
  for (let index = 0; index < pieces; index++) {
    const size = base + (index < extra ? 1 : 0);
    out.push(text.slice(start, start + size));
    start += size;
  }
  return out;
}

/** The arguments of a scripted tool call as JSON text. */
export function argumentsText(value: string | Record<string, unknown>): string {
  return typeof value === "string" ? value : JSON.stringify(value);
}

/**
 * A scripted text of `count` tokens (`"token1 token2 …"`), for benchmarks.
 *
 * @example
 * server.respond({ script: longText(10_000) });
 */
export function longText(count: number): ScriptedReply {
  const tokens: string[] = new Array(count);
  for (let index = 0; index < count; index++) tokens[index] = ` tok${index}`;
  return { tokens };
}

/**
 * A scripted tool call whose arguments (a JSON object with one long string) arrive in `chunks` pieces.
 *
 * @example
 * server.respond({ script: chunkedToolCall(2000) });
 */
export function chunkedToolCall(chunks: number, name = "write_file"): ScriptedReply {
  const content = "x".repeat(Math.max(chunks * 8, 16));
  return { toolCalls: [{ id: "call_bench_1", name, arguments: { path: "out.txt", content }, chunks }] };
}
