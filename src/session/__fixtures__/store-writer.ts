/**
 * Child process of the store contract's multi-process scenarios. Opens the store named by SPEC (`sqlite:<file>` or
 * a `postgres://` URL) and prints `saved <turnId> <phase>` after each committed save.
 *   write PREFIX COUNT: COUNT turns into session `own-PREFIX` and COUNT into `shared`, interleaved, then exits.
 *   crash PREFIX 0: streams answers into `own-PREFIX` forever (saving after every chunk), until it is killed.
 * Run with: node --experimental-transform-types store-writer.ts SPEC MODE PREFIX COUNT
 */
import { newAssistantTextBlock, newTurn, newUserTextBlock } from "../../turns/builders.ts";
import type { Turn } from "../../turns/types.ts";
import { openSqliteTurnStore } from "../sqlite-turn-store.ts";
import type { TurnStore } from "../turn-store.ts";

const [spec, mode, prefix, count] = process.argv.slice(2);
if (!spec || !mode || !prefix || count === undefined) throw new Error("usage: store-writer.ts SPEC MODE PREFIX COUNT");

async function open(where: string): Promise<TurnStore> {
  if (where.startsWith("sqlite:")) return openSqliteTurnStore(where.slice("sqlite:".length));
  const { openPostgresTurnStore } = await import("../../stores/postgres/turn-store.ts");
  return openPostgresTurnStore({ url: where, maxConnections: 2 });
}

const store = await open(spec);
const announce = (turn: Turn, phase: string) => process.stdout.write(`saved ${turn.id} ${phase}\n`);
const latest = new Map<string, Turn>();

async function next(sessionId: string, prompt: string): Promise<Turn> {
  const before = latest.get(sessionId) ?? (await store.loadLatest?.(sessionId));
  const turn = newTurn([...(before?.blocks ?? []), newUserTextBlock(prompt)]);
  latest.set(sessionId, turn);
  return turn;
}

if (mode === "write") {
  for (let index = 0; index < Number(count); index++) {
    const own = await next(`own-${prefix}`, `prompt ${index}`);
    await store.save(`own-${prefix}`, { ...own, blocks: [...own.blocks, newAssistantTextBlock("chunk-1 ")] }, "final");
    announce(own, "final");
    // The shared session: each save appends a turn; the other writer appends its own in between.
    const shared = newTurn([newUserTextBlock(`${prefix} ${index}`)]);
    await store.save("shared", shared, "final");
    announce(shared, "final");
  }
  await store.close?.();
} else {
  for (let prompt = 0; ; prompt++) {
    let turn = await next(`own-${prefix}`, `prompt ${prompt}`);
    await store.save(`own-${prefix}`, turn, "pre_inference");
    announce(turn, "pre_inference");
    const answer = newAssistantTextBlock("");
    for (let chunk = 1; chunk <= 10; chunk++) {
      const text = Array.from({ length: chunk }, (_, index) => `chunk-${index}${"x".repeat(2_000)} `).join("");
      turn = { ...turn, blocks: [...turn.blocks.filter((block) => block.id !== answer.id), { ...answer, payload: { text } }] };
      await store.save(`own-${prefix}`, turn, "post_inference");
      announce(turn, "post_inference");
    }
    latest.set(`own-${prefix}`, turn);
  }
}
