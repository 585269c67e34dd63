/**
 * Writes conversation states into a store another process also opens, printing a line after each committed
 * save, for the state store contract's scenarios with several processes.
 *
 *   node --experimental-transform-types state-writer.ts SPEC write PREFIX COUNT   # own + shared conversations
 *   node --experimental-transform-types state-writer.ts SPEC crash PREFIX         # saves until killed
 *
 * SPEC: `file:<directory>`, `sqlite:<file>`, `redis://host:port#<key prefix>` or a `postgres://` URL.
 */
import { openPostgresStateStore } from "../../stores/postgres/state-store.ts";
import { newUserTextBlock } from "../../turns/builders.ts";
import { FileStateStore } from "../file-state-store.ts";
import { RedisStateStore } from "../redis-state-store.ts";
import { SqliteStateStore } from "../sqlite-state-store.ts";
import type { ConversationState, StateStore } from "../state-store.ts";

/** Opens the store a spec names. */
export async function openStateStoreSpec(spec: string): Promise<StateStore> {
  if (spec.startsWith("file:")) return new FileStateStore(spec.slice("file:".length));
  if (spec.startsWith("sqlite:")) return SqliteStateStore.open(spec.slice("sqlite:".length));
  if (spec.startsWith("redis:")) {
    const [url, keyPrefix] = spec.split("#");
    return RedisStateStore.connect({ url: url!, keyPrefix: keyPrefix ?? "" });
  }
  return openPostgresStateStore({ url: spec });
}

/** The state a writer saves the `count`th time: `count` blocks, each naming the writer and the save. */
export function writerState(conversationId: string, prefix: string, count: number, size = 20): ConversationState {
  return {
    conversationId,
    turn: {
      id: `turn-${prefix}-${count}`,
      blocks: Array.from({ length: count }, (_unused, index) => ({
        ...newUserTextBlock(`${prefix}-${count}-${index} ${"x".repeat(size)}`),
        id: `${prefix}-${count}-${index}`,
      })),
      metadata: {},
      data: {},
    },
    variables: { writer: prefix },
    metadata: { count },
  };
}

if (import.meta.main) {
  const [spec, mode, prefix, count] = process.argv.slice(2);
  const store = await openStateStoreSpec(spec!);
  if (mode === "write") {
    for (let index = 1; index <= Number(count); index++) {
      await store.save(writerState(`own-${prefix}`, prefix!, index));
      process.stdout.write(`own-${prefix} ${index}\n`);
      await store.save(writerState("shared", prefix!, index));
      process.stdout.write(`shared ${index}\n`);
    }
    await store.close?.();
  } else {
    for (let index = 1; ; index++) {
      await store.save(writerState(`own-${prefix}`, prefix!, index, 4000));
      process.stdout.write(`own-${prefix} ${index}\n`);
    }
  }
}
