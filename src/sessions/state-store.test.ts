/**
 * The state store contract over every built-in store: memory, file (temp directory), SQLite (temp file) and Redis
 * (a real redis-server this file starts on a free port).
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startRedisServer, type TestServer } from "../transports/test-servers.ts";
import { FileStateStore } from "./file-state-store.ts";
import { RedisStateStore } from "./redis-state-store.ts";
import { SqliteStateStore } from "./sqlite-state-store.ts";
import { MemoryStateStore } from "./state-store.ts";
import { describeStateStoreContract } from "./test-support.ts";

async function temporaryDirectory(): Promise<string> {
  return mkdtemp(join(tmpdir(), "geppetto-state-"));
}

describeStateStoreContract("memory", async () => ({
  store: new MemoryStateStore(),
  dispose: async () => {},
}));

describeStateStoreContract(
  "file",
  async () => {
    const directory = await temporaryDirectory();
    const store = new FileStateStore(directory);
    return {
      store,
      reopen: async () => new FileStateStore(directory),
      dispose: () => rm(directory, { recursive: true, force: true }),
      spec: `file:${directory}`,
      corrupt: (conversationId) => writeFile(store.fileOf(conversationId), "{ half a docu"),
    };
  },
  { sharedAcrossProcesses: true },
);

describeStateStoreContract(
  "SQLite",
  async () => {
    const directory = await temporaryDirectory();
    const file = join(directory, "states.db");
    const store = await SqliteStateStore.open(file);
    return {
      store,
      reopen: () => SqliteStateStore.open(file),
      dispose: async () => {
        await store.close();
        await rm(directory, { recursive: true, force: true });
      },
      spec: `sqlite:${file}`,
      async corrupt(conversationId) {
        const { DatabaseSync } = await import("node:sqlite");
        const database = new DatabaseSync(file);
        database
          .prepare(
            "UPDATE geppetto_conversation_states SET variables_json = '{ half' WHERE conversation_id = ?",
          )
          .run(conversationId);
        database.close();
      },
    };
  },
  { sharedAcrossProcesses: true },
);

let redis: TestServer;
let redisPrefix = 0;
beforeAll(async () => {
  redis = await startRedisServer();
});
afterAll(async () => {
  await redis?.dispose();
});

describeStateStoreContract(
  "Redis",
  async () => {
    const keyPrefix = `test-${++redisPrefix}:`;
    const store = await RedisStateStore.connect({ url: redis.url, keyPrefix });
    const opened: RedisStateStore[] = [store];
    return {
      store,
      reopen: async () => {
        const again = await RedisStateStore.connect({ url: redis.url, keyPrefix });
        opened.push(again);
        return again;
      },
      dispose: async () => {
        for (const each of opened) await each.close();
      },
      spec: `${redis.url}#${keyPrefix}`,
      async corrupt(conversationId) {
        const { Redis } = await import("ioredis");
        const client = new Redis(redis.url);
        await client.set(`${keyPrefix}${conversationId}:state`, "{ half");
        client.disconnect();
      },
    };
  },
  { sharedAcrossProcesses: true },
);

describe("RedisStateStore", () => {
  it("rejects an unreachable server with a GeppettoError naming it, password redacted", async () => {
    const error = await RedisStateStore.connect({
      url: "redis://app:secret@127.0.0.1:1",
      connectTimeoutMs: 2000,
    }).catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code: "store_unreachable", retryable: true });
    expect((error as Error).message).toMatch(
      /cannot connect to Redis at redis:\/\/app:\*\*\*@127\.0\.0\.1:1/,
    );
    expect((error as Error).message).not.toContain("secret");
  });

  it("writes only the blocks a save adds", async () => {
    const store = await RedisStateStore.connect({ url: redis.url, keyPrefix: "incremental:" });
    try {
      const { newUserTextBlock } = await import("../turns/builders.ts");
      const { frozenTurn } = await import("../turns/immutable.ts");
      const first = [newUserTextBlock("one")];
      await store.save({
        conversationId: "c",
        turn: frozenTurn("t1", first, {}, {}),
        variables: {},
        metadata: {},
      });
      const saved = (await store.load("c"))!;
      const second = [...saved.turn.blocks, newUserTextBlock("two")];
      const { Redis } = await import("ioredis");
      const monitor = new Redis(redis.url);
      const commands: string[] = [];
      const watcher = await monitor.monitor();
      watcher.on("monitor", (_time: string, args: string[]) => commands.push(args.join(" ")));
      await store.save({
        conversationId: "c",
        turn: frozenTurn("t2", second, {}, {}),
        variables: {},
        metadata: {},
      });
      await store.list();
      await expect.poll(() => commands.some((command) => command.startsWith("smembers"))).toBe(true);
      watcher.disconnect();
      monitor.disconnect();
      const pushed = commands.filter((command) => command.startsWith("rpush"));
      expect(pushed).toHaveLength(1);
      expect(pushed[0]).toContain('"two"');
      expect(pushed[0]).not.toContain('"one"');
      expect((await store.load("c"))?.turn.blocks.map((block) => block.payload)).toEqual([
        { text: "one" },
        { text: "two" },
      ]);
    } finally {
      await store.close();
    }
  });
});
