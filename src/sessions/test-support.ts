/**
 * Test support (not part of the build): the contract every {@link StateStore} passes. A new store runs it in its
 * own test file:
 *
 * @example
 * describeStateStoreContract("PostgreSQL", async () => {
 *   const store = await PostgresStateStore.connect(url);
 *   return { store, reopen: () => PostgresStateStore.connect(url), dispose: () => store.close() };
 * });
 */
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { killWriters, runWriterScript } from "../session/store-contract.ts";
import {
  newAssistantTextBlock,
  newSystemTextBlock,
  newToolCallBlock,
  newToolUseBlock,
  newUserMultimodalBlock,
  newUserTextBlock,
} from "../turns/builders.ts";
import { isDeepFrozen } from "../turns/immutable.ts";
import { KeyTurnMetaSessionId } from "../turns/keys.ts";
import type { Block } from "../turns/types.ts";
import { writerState } from "./__fixtures__/state-writer.ts";
import { type ConversationState, CorruptStateError, type StateStore } from "./state-store.ts";

const STATE_WRITER = fileURLToPath(new URL("./__fixtures__/state-writer.ts", import.meta.url));

/** What a contract run opens per test. */
export interface OpenedStateStore {
  store: StateStore;
  /** A second store over the same data (persistent stores): what it loads must equal what the first saved. */
  reopen?: () => Promise<StateStore>;
  /** Closes the stores and removes what the test wrote. */
  dispose: () => Promise<void>;
  /** How another process opens the same store (see `__fixtures__/state-writer.ts`): stores shared by processes. */
  spec?: string;
  /** Makes a conversation's stored state unreadable, behind the store's back. */
  corrupt?: (conversationId: string) => Promise<void>;
}

function stateOf(
  conversationId: string,
  blocks: Block[],
  extra: Partial<ConversationState> = {},
): ConversationState {
  return {
    conversationId,
    turn: {
      id: `turn-${conversationId}-${blocks.length}`,
      blocks,
      metadata: { "test.note@v1": "meta" },
      data: {},
    },
    variables: { user: "Ada" },
    metadata: { channel: "test", tags: ["a", "b"] },
    ...extra,
  };
}

function conversationBlocks(): Block[] {
  return [
    newSystemTextBlock("You help {{user}}."),
    newUserMultimodalBlock("What is on this picture?", [{ mediaType: "image/png", data: "iVBORw0KGgo=" }]),
    newToolCallBlock({ id: "call_1", name: "describe_image", args: { detail: "high" } }),
    newToolUseBlock("call_1", { caption: "a cat" }, { name: "describe_image" }),
    newAssistantTextBlock("A cat."),
  ];
}

/**
 * Comparable form of a state (what must survive a save and a load). A store may stamp the conversation id on the
 * turn's metadata (`geppetto.session_id@v1`, as the session TurnStores do), so that key is left out.
 */
function comparable(state: ConversationState | undefined): unknown {
  if (!state) return state;
  const { updatedAt: _updatedAt, ...rest } = state;
  const { [KeyTurnMetaSessionId.id]: _sessionId, ...metadata } = state.turn.metadata;
  return JSON.parse(JSON.stringify({ ...rest, turn: { ...state.turn, metadata } }));
}

/**
 * Registers the state store contract as a `describe` block: round trips of every block kind and the envelope,
 * overwrites that grow, shrink and change a block in the middle, fork (independent copies, and its two errors),
 * delete, list, unusual ids, concurrent saves, and (with `reopen`) persistence. A store other processes open
 * (`sharedAcrossProcesses`, each opened with its `spec` and `corrupt`) also runs two writer processes at once, a
 * writer killed mid-save and a corrupt stored state.
 */
export function describeStateStoreContract(
  name: string,
  open: () => Promise<OpenedStateStore>,
  options: { sharedAcrossProcesses?: boolean } = {},
): void {
  describe(`StateStore contract: ${name}`, () => {
    async function withStore(test: (opened: OpenedStateStore) => Promise<void>): Promise<void> {
      const opened = await open();
      try {
        await test(opened);
      } finally {
        await opened.dispose();
      }
    }

    it("loads nothing for an unknown conversation", () =>
      withStore(async ({ store }) => {
        expect(await store.load("nobody")).toBeUndefined();
        expect(await store.delete("nobody")).toBe(false);
        expect(await store.list()).toEqual([]);
      }));

    it("round-trips every block kind, the user, the variables and the metadata, frozen", () =>
      withStore(async ({ store, reopen }) => {
        const state = stateOf("c1", conversationBlocks(), { userId: "user-7" });
        await store.save(state);
        const loaded = await store.load("c1");
        expect(comparable(loaded)).toEqual(comparable(state));
        expect(typeof loaded?.updatedAt).toBe("string");
        expect(loaded?.turn.blocks.every((block) => isDeepFrozen(block))).toBe(true);
        if (reopen) {
          const again = await reopen();
          try {
            expect(comparable(await again.load("c1"))).toEqual(comparable(state));
          } finally {
            await again.close?.();
          }
        }
      }));

    it("overwrites: the latest save wins, whether it grows, shrinks or changes a block in the middle", () =>
      withStore(async ({ store }) => {
        const blocks = conversationBlocks();
        await store.save(stateOf("c1", blocks.slice(0, 2)));
        const grown = stateOf("c1", blocks, { variables: { user: "Grace" } });
        await store.save(grown);
        expect(comparable(await store.load("c1"))).toEqual(comparable(grown));
        const changed = stateOf("c1", [blocks[0]!, newUserTextBlock("Another question"), ...blocks.slice(2)]);
        await store.save(changed);
        expect(comparable(await store.load("c1"))).toEqual(comparable(changed));
        const shrunk = stateOf("c1", []);
        await store.save(shrunk);
        expect(comparable(await store.load("c1"))).toEqual(comparable(shrunk));
        const regrown = stateOf("c1", blocks.slice(0, 3));
        await store.save(regrown);
        expect(comparable(await store.load("c1"))).toEqual(comparable(regrown));
      }));

    it("forks into an independent copy", () =>
      withStore(async ({ store }) => {
        const original = stateOf("source", conversationBlocks());
        await store.save(original);
        await store.fork("source", "copy");
        const copy = await store.load("copy");
        expect(copy?.conversationId).toBe("copy");
        expect(copy?.turn.blocks.map((block) => block.payload)).toEqual(
          original.turn.blocks.map((block) => block.payload),
        );
        await store.save(stateOf("copy", [...copy!.turn.blocks, newUserTextBlock("only in the copy")]));
        expect(comparable(await store.load("source"))).toEqual(comparable(original));
        expect((await store.load("copy"))?.turn.blocks).toHaveLength(6);
        expect((await store.list()).sort()).toEqual(["copy", "source"]);
      }));

    it("refuses to fork a missing conversation or onto an existing one", () =>
      withStore(async ({ store }) => {
        await store.save(stateOf("a", conversationBlocks()));
        await store.save(stateOf("b", []));
        await expect(store.fork("missing", "c")).rejects.toMatchObject({ code: "no_conversation" });
        await expect(store.fork("a", "b")).rejects.toMatchObject({ code: "session_exists" });
        expect((await store.load("b"))?.turn.blocks).toEqual([]);
      }));

    it("deletes and lists conversations, with ids of any characters", () =>
      withStore(async ({ store }) => {
        const odd = "user/42:chat ü.json*";
        await store.save(stateOf(odd, conversationBlocks().slice(0, 2)));
        await store.save(stateOf("plain", []));
        expect((await store.list()).sort()).toEqual([odd, "plain"].sort());
        expect((await store.load(odd))?.conversationId).toBe(odd);
        expect(await store.delete(odd)).toBe(true);
        expect(await store.load(odd)).toBeUndefined();
        expect(await store.list()).toEqual(["plain"]);
      }));

    it("keeps concurrent saves of different conversations apart", () =>
      withStore(async ({ store }) => {
        const states = Array.from({ length: 8 }, (_unused, index) =>
          stateOf(`parallel-${index}`, [newUserTextBlock(`question ${index}`)]),
        );
        await Promise.all(states.map((state) => store.save(state)));
        for (const state of states)
          expect(comparable(await store.load(state.conversationId))).toEqual(comparable(state));
      }));
  });
  if (options.sharedAcrossProcesses) describeSeveralProcesses(name, open);
}

/** The scenarios of a store other processes open too: two writers at once, a writer killed, a corrupt row. */
function describeSeveralProcesses(name: string, open: () => Promise<OpenedStateStore>): void {
  describe(`StateStore contract, several processes: ${name}`, () => {
    afterEach(killWriters);
    const withStore = async (test: (opened: OpenedStateStore) => Promise<void>) => {
      const opened = await open();
      try {
        await test(opened);
      } finally {
        await opened.dispose();
      }
    };

    it("two processes writing at once (their own conversations and one shared) lose nothing", () =>
      withStore(async ({ store, spec }) => {
        const runs = await Promise.all(
          ["a", "b"].map((prefix) => runWriterScript(STATE_WRITER, [spec!, "write", prefix, "15"])),
        );
        for (const run of runs) expect(run.lines).toHaveLength(30);
        for (const prefix of ["a", "b"]) {
          const own = await store.load(`own-${prefix}`);
          expect(comparable(own)).toEqual(comparable(writerState(`own-${prefix}`, prefix, 15)));
        }
        // The conversation both overwrote holds one writer's last save, whole.
        const shared = await store.load("shared");
        const writer = shared?.variables.writer ?? "";
        expect(["a", "b"]).toContain(writer);
        expect(comparable(shared)).toEqual(comparable(writerState("shared", writer, 15)));
      }));

    it.each([3, 9])(
      "a writer killed mid-save (after %i saves) leaves its last committed state whole",
      (killAfter) =>
        withStore(async ({ store, spec }) => {
          const { signal } = await runWriterScript(
            STATE_WRITER,
            [spec!, "crash", "c"],
            (_line, child, seen) => {
              if (seen.length === killAfter) child.kill("SIGKILL");
            },
          );
          expect(signal).toBe("SIGKILL");
          const loaded = await store.load("own-c");
          const count = Number(loaded?.metadata.count);
          expect(count).toBeGreaterThanOrEqual(killAfter);
          expect(comparable(loaded)).toEqual(comparable(writerState("own-c", "c", count, 4000)));
        }),
    );

    it("names the conversation of a corrupt stored state and reads the others", () =>
      withStore(async ({ store, reopen, corrupt }) => {
        await store.save(stateOf("broken", conversationBlocks()));
        const fine = stateOf("fine", [newUserTextBlock("fine")]);
        await store.save(fine);
        await corrupt!("broken");
        const reader = reopen ? await reopen() : store;
        const error = await reader.load("broken").catch((caught: unknown) => caught);
        expect(error).toBeInstanceOf(CorruptStateError);
        expect((error as Error).message).toMatch(/^corrupt conversation state broken in /);
        expect(comparable(await reader.load("fine"))).toEqual(comparable(fine));
        if (reader !== store) await reader.close?.();
      }));
  });
}
