/**
 * The TurnStore contract: the same scenarios over every store (memory, SQLite, PostgreSQL). A test file calls
 * {@link describeTurnStoreContract} with a harness that makes a fresh, empty place to store into; the scenarios
 * that need a store other processes can open (two writers, a writer killed mid-save) are declared for the
 * harnesses that are shared across processes, which the memory store is not.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import type { StreamProgress } from "../engine/checkpoint.ts";
import { CallerError } from "../engine/errors.ts";
import { newAssistantTextBlock, newSystemTextBlock, newTurn, newUserTextBlock } from "../turns/builders.ts";
import { KeyTurnMetaSessionId } from "../turns/keys.ts";
import type { Block, Turn } from "../turns/types.ts";
import { CorruptTurnError, type TurnStore } from "./turn-store.ts";

/** One empty place to store into, which may be opened several times (a reopen sees what was saved). */
export interface StorePlace {
  open(): Promise<TurnStore>;
  /** Makes the stored block at `blockIndex` of the session's turn unreadable (not a Block), behind the store's back. */
  corruptBlock(sessionId: string, turnId: string, blockIndex: number): Promise<void>;
  /** How another process opens the same place (`sqlite:<file>` or a `postgres://` URL); none for memory. */
  spec?: string;
}

/** Makes fresh places for one kind of store. */
export interface StoreHarness {
  place(): Promise<StorePlace>;
  /** Whether other processes can open a place (its `spec`): then the two-writer and crash scenarios run too. */
  sharedAcrossProcesses: boolean;
}

const writer = fileURLToPath(new URL("./__fixtures__/store-writer.ts", import.meta.url));
const children = new Set<ChildProcess>();

/**
 * Runs a writer child (a TypeScript fixture) with `args`; `onLine` sees each line it prints (a committed save)
 * and may kill it. Resolves with its lines once it exits (by itself or killed); a child left running when a test
 * ends is killed.
 *
 * @example
 * const { lines } = await runWriterScript(script, ["sqlite:/tmp/x.db", "write", "a", "25"]);
 */
export function runWriterScript(
  script: string,
  args: string[],
  onLine: (line: string, child: ChildProcess, lines: string[]) => void = () => {},
): Promise<{ lines: string[]; code: number | null; signal: NodeJS.Signals | null }> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ["--experimental-transform-types", "--no-warnings", script, ...args],
      {
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    children.add(child);
    const lines: string[] = [];
    let buffer = "";
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.stdout.on("data", (chunk: Buffer) => {
      buffer += chunk.toString();
      const complete = buffer.split("\n");
      buffer = complete.pop()!;
      for (const line of complete) {
        lines.push(line);
        onLine(line, child, lines);
      }
    });
    child.on("error", reject);
    child.on("exit", (code, signal) => {
      children.delete(child);
      if (signal === null && code !== 0) reject(new Error(`store writer exited with ${code}: ${stderr}`));
      else resolve({ lines, code, signal });
    });
  });
}

/** Runs the TurnStore writer child (`__fixtures__/store-writer.ts`). */
const runWriter = (args: string[], onLine?: Parameters<typeof runWriterScript>[2]) =>
  runWriterScript(writer, args, onLine);

/** Kills the writer children still running (call after each test). */
export function killWriters(): void {
  for (const child of children) child.kill("SIGKILL");
}

const plain = (value: unknown) => JSON.parse(JSON.stringify(value));

function expectWhole(turn: Turn): void {
  for (const block of turn.blocks) {
    if (block.kind === "llm_text") expect(block.payload.text).toMatch(/^(chunk-\d+x* )*$/);
  }
}

/**
 * Declares the contract scenarios for one store.
 *
 * @example
 * describeTurnStoreContract("MemoryTurnStore", { place: async () => memoryPlace(), sharedAcrossProcesses: false });
 */
export function describeTurnStoreContract(name: string, harness: StoreHarness): void {
  afterEach(killWriters);

  describe(`${name} (store contract)`, () => {
    it("saves the latest state per turn, in order, and loads it validated, also after a reopen", async () => {
      const place = await harness.place();
      const store = await place.open();
      const first = newTurn([newUserTextBlock("one")]);
      const second = newTurn([...first.blocks, newAssistantTextBlock("1"), newUserTextBlock("two")]);
      await store.save("s1", first, "pre_inference");
      await store.save("s1", second, "pre_inference");
      const answered = { ...first, blocks: [...first.blocks, newAssistantTextBlock("answer")] };
      await store.save("s1", answered, "post_inference");
      const expected = [answered, second].map((turn) => plain(KeyTurnMetaSessionId.set(turn, "s1")));
      for (const reader of [store, await place.open()]) {
        expect(
          (await reader.listTurns("s1")).map((info) => [info.turnId, info.position, info.phase]),
        ).toEqual([
          [first.id, 1, "post_inference"],
          [second.id, 2, "pre_inference"],
        ]);
        expect(plain(await reader.loadSession("s1"))).toEqual(expected);
        expect(plain(await reader.load("s1", first.id))).toEqual(expected[0]);
        expect(plain(await reader.loadLatest!("s1"))).toEqual(expected[1]);
        expect(await reader.load("s1", "missing")).toBeUndefined();
        expect(await reader.loadSession("missing")).toEqual([]);
        expect(await reader.listSessions()).toEqual(["s1"]);
        if (reader !== store) await reader.close?.();
      }
      await store.close?.();
    });

    it("keeps what a newer turn holds when an older one changes, replaces a system prompt, and shrinks", async () => {
      const place = await harness.place();
      const store = await place.open();
      const first = newTurn([newSystemTextBlock("A"), newUserTextBlock("one")]);
      await store.save("s", first, "final");
      const second = newTurn([...first.blocks, newAssistantTextBlock("1"), newUserTextBlock("two")]);
      await store.save("s", second, "pre_inference");
      const older = { ...first, blocks: [first.blocks[0]!, newUserTextBlock("one, edited")] };
      await store.save("s", older, "final");
      const system = { ...newSystemTextBlock("B"), id: first.blocks[0]!.id };
      const replaced = { ...second, blocks: [system, ...second.blocks.slice(1)] };
      await store.save("s", replaced, "pre_inference");
      const shrunk = { ...replaced, blocks: replaced.blocks.slice(0, -1) };
      await store.save("s", shrunk, "final");
      const expected = [older, shrunk].map((turn) => plain(KeyTurnMetaSessionId.set(turn, "s")));
      const reopened = await place.open();
      for (const reader of [store, reopened]) {
        expect(plain(await reader.loadSession("s"))).toEqual(expected);
        expect(plain(await reader.load("s", second.id))).toEqual(expected[1]);
      }
      await reopened.close?.();
      await store.close?.();
    });

    it("forks a deep copy under a new id, lists summaries newest first, and deletes sessions", async () => {
      const place = await harness.place();
      const store = await place.open();
      const turn = newTurn([newUserTextBlock("first   prompt\nof s1")]);
      await store.save("s1", turn, "final");
      expect(await store.fork("s1", "s2")).toBe("s2");
      await store.save(
        "s2",
        { ...turn, blocks: [...turn.blocks, newAssistantTextBlock("only in s2")] },
        "final",
      );
      expect((await store.loadSession("s1"))[0]!.blocks).toHaveLength(1);
      expect((await store.loadSession("s2"))[0]!.blocks).toHaveLength(2);
      expect(KeyTurnMetaSessionId.get((await store.loadSession("s2"))[0]!)).toBe("s2");
      await expect(store.fork("s1", "s2")).rejects.toThrow(/already exists/);
      const summaries = await store.listSessionSummaries!();
      expect(summaries.map((summary) => [summary.sessionId, summary.turnCount, summary.title])).toEqual([
        ["s2", 1, "first prompt of s1"],
        ["s1", 1, "first prompt of s1"],
      ]);
      expect(await store.delete("s1")).toBe(true);
      expect(await store.delete("s1")).toBe(false);
      expect(await store.listSessions()).toEqual(["s2"]);
      await store.close?.();
    });

    it("streaming checkpoints append; the partial answer reads back after a reopen, a fork, a later turn and an edit", async () => {
      const place = await harness.place();
      const store = await place.open();
      const user = newUserTextBlock("hi");
      // A long start, so that writing the answer again shows in the bytes written.
      const start = ".".repeat(2_000);
      const answer = newAssistantTextBlock(`${start}Hel`);
      let text = `${start}Hel`;
      const checkpoint = async (full: boolean, appended: string[]): Promise<number> => {
        text += appended.join("");
        const progress: StreamProgress = {
          full,
          turnId: "t1",
          metadata: {},
          data: {},
          blockCount: 2,
          firstOutputIndex: 1,
          changed: full ? [{ index: 1, block: { ...answer, payload: { text } } as Block }] : [],
          appended: appended.map((piece) => ({ index: 1, text: piece })),
          turn: {
            id: "t1",
            blocks: [user, { ...answer, payload: { text } } as Block],
            metadata: {},
            data: {},
          },
        };
        const before = store.stats?.().bytesWritten ?? 0;
        await (store.checkpoint
          ? store.checkpoint("s1", progress)
          : store.save("s1", progress.turn, "streaming"));
        return (store.stats?.().bytesWritten ?? 0) - before;
      };
      await store.save("s1", { id: "t1", blocks: [user], metadata: {}, data: {} }, "pre_inference");
      await checkpoint(true, []);
      await checkpoint(false, ["lo, "]);
      const written = await checkpoint(false, ["wor", "ld"]);
      // A store that appends writes the new text and the turn's row, not the answer again.
      if (store.checkpoint) expect(written).toBeLessThan(500);
      // The writer stops here (as if killed): the place is opened again.
      const reopened = await place.open();
      const crashed = (await reopened.loadLatest!("s1"))!;
      expect(crashed.blocks[1]).toMatchObject({
        kind: "llm_text",
        payload: { text: `${start}Hello, world` },
      });
      expect((await reopened.listTurns("s1"))[0]!.phase).toBe("streaming");
      await reopened.fork("s1", "s2");
      expect((await reopened.loadLatest!("s2"))!.blocks[1]).toEqual(crashed.blocks[1]);
      // A new turn continues from the partial answer: it shares the block, appended text and all.
      const next = newTurn([...crashed.blocks, newUserTextBlock("go on")]);
      await reopened.save("s1", next, "pre_inference");
      expect((await reopened.load("s1", next.id))!.blocks[1]).toEqual(crashed.blocks[1]);
      // Editing the crashed turn leaves the later turn's copy of the block whole.
      const edited = newAssistantTextBlock("edited");
      await reopened.save("s1", { id: "t1", blocks: [user, edited], metadata: {}, data: {} }, "final");
      const again = await place.open();
      const [first, second] = await again.loadSession("s1");
      expect(first!.blocks[1]).toMatchObject({ payload: { text: "edited" } });
      expect(second!.blocks[1]).toEqual(crashed.blocks[1]);
      expect((await again.loadLatest!("s2"))!.blocks[1]).toEqual(crashed.blocks[1]);
      for (const opened of new Set([again, reopened, store])) await opened.close?.();
    });

    it("a save writes what the turn added, not the conversation (rows and bytes flat over 100 turns)", async () => {
      const place = await harness.place();
      const store = await place.open();
      let blocks: Block[] = [newUserTextBlock("prompt 0")];
      const written: number[] = [];
      for (let index = 0; index < 100; index++) {
        const before = store.stats!();
        const turn = newTurn([...blocks, newAssistantTextBlock(`answer ${index} `.repeat(20))]);
        await store.save("s", turn, "final");
        const after = store.stats!();
        written.push(after.bytesWritten - before.bytesWritten);
        expect(after.rowsWritten - before.rowsWritten).toBeLessThanOrEqual(5);
        blocks = [...turn.blocks, newUserTextBlock(`prompt ${index + 1}`)];
      }
      expect(written.at(-1)!).toBeLessThan(1.3 * written[10]!);
      await store.close?.();
    });

    it("many saves at once on one store land whole, in order per session", async () => {
      const place = await harness.place();
      const store = await place.open();
      const turns = Array.from({ length: 20 }, (_, index) => newTurn([newUserTextBlock(`prompt ${index}`)]));
      await Promise.all(turns.map((turn, index) => store.save(`s${index % 4}`, turn, "final")));
      for (let session = 0; session < 4; session++) {
        const saved = await store.loadSession(`s${session}`);
        expect(saved.map((turn) => turn.id)).toEqual(
          turns.filter((_turn, index) => index % 4 === session).map((turn) => turn.id),
        );
      }
      await store.close?.();
    });

    it("searches what was saved: case ignored, % and _ literal, newest first, rewritten and deleted text gone", async () => {
      const place = await harness.place();
      const store = await place.open();
      const found = async (reader: TurnStore, text: string, limit?: number) =>
        (await reader.searchSessions(text, limit === undefined ? {} : { limit })).map((hit) => hit.sessionId);
      await store.save("invoices", newTurn([newUserTextBlock("Where is my invoice?")]), "final");
      const answered = newTurn([
        newSystemTextBlock("You answer in French: ÉTÉ"),
        newUserTextBlock("hello"),
        newAssistantTextBlock("The INVOICE is attached; 100% paid"),
      ]);
      await store.save("paid", answered, "final");
      const draft = newTurn([newUserTextBlock("write"), newAssistantTextBlock("draft alpha")]);
      await store.save("drafts", draft, "streaming");
      await store.save(
        "drafts",
        {
          ...draft,
          blocks: [draft.blocks[0]!, { ...draft.blocks[1]!, payload: { text: "final omega" } }],
        } as Turn,
        "final",
      );
      await store.save("gone", newTurn([newUserTextBlock("an invoice to delete")]), "final");
      await store.delete("gone");
      await store.fork("invoices", "copy");
      const reopened = await place.open();
      for (const reader of [store, reopened]) {
        // In the order the summaries are listed (most recently updated first; a fork keeps its source's time).
        const listed = (await reader.listSessionSummaries!()).map((summary) => summary.sessionId);
        const invoices = listed.filter((id) => ["copy", "paid", "invoices"].includes(id));
        expect(await found(reader, "InVoIcE")).toEqual(invoices);
        expect(await found(reader, "invoice", 2)).toEqual(invoices.slice(0, 2));
        expect(await found(reader, "100%")).toEqual(["paid"]);
        expect(await found(reader, "0%")).toEqual(["paid"]);
        expect(await found(reader, "1_0")).toEqual([]);
        expect(await found(reader, "%")).toEqual(["paid"]);
        expect(await found(reader, "ÉTÉ")).toEqual(["paid"]);
        expect(await found(reader, "omega")).toEqual(["drafts"]);
        expect(await found(reader, "alpha")).toEqual([]);
        expect(await found(reader, "nowhere")).toEqual([]);
        const [hit] = await reader.searchSessions("attached");
        expect(hit).toMatchObject({ sessionId: "paid", turnCount: 1, title: "hello" });
        expect(hit!.excerpt).toBe("The INVOICE is attached; 100% paid");
        await expect(reader.searchSessions("  ")).rejects.toBeInstanceOf(CallerError);
      }
      await reopened.close?.();
      await store.close?.();
    });

    it("ignores case in every script, not accents: French, German ß, Greek, Cyrillic, composed or not", async () => {
      const place = await harness.place();
      const store = await place.open();
      const found = async (reader: TurnStore, text: string) =>
        (await reader.searchSessions(text)).map((hit) => hit.sessionId);
      const long = `${"ß".repeat(40)} ÉCOLE ${"x".repeat(40)}`;
      await store.save("french", newTurn([newUserTextBlock("Où est l'école ?")]), "final");
      await store.save("german", newTurn([newUserTextBlock("Die HAUPTSTRASSE, bitte")]), "final");
      await store.save("greek", newTurn([newAssistantTextBlock("Ο Σίσυφος κυλά την πέτρα")]), "final");
      await store.save("cyrillic", newTurn([newUserTextBlock("ПРИВЕТ, мир")]), "final");
      await store.save("long", newTurn([newUserTextBlock(long)]), "final");
      const reopened = await place.open();
      for (const reader of [store, reopened]) {
        expect(await found(reader, "L'ÉCOLE")).toEqual(["french"]);
        expect(await found(reader, "l'e\u0301cole")).toEqual(["french"]); // "é" decomposed
        expect(await found(reader, "ecole")).toEqual([]); // accents are not ignored
        expect(await found(reader, "hauptstraße")).toEqual(["german"]);
        expect(await found(reader, "ΣΊΣΥΦΟΣ")).toEqual(["greek"]);
        expect(await found(reader, "ΠΈΤΡΑ")).toEqual(["greek"]);
        expect(await found(reader, "привет")).toEqual(["cyrillic"]);
        expect(await found(reader, "Мир")).toEqual(["cyrillic"]);
        const [cyrillic] = await reader.searchSessions("привет");
        expect(cyrillic!.excerpt).toBe("ПРИВЕТ, мир");
        const [hit] = await reader.searchSessions("école");
        expect(hit!.sessionId).toBe("long");
        expect(hit!.excerpt).toBe(`…${long.slice(11, 76)}…`);
      }
      await reopened.close?.();
      await store.close?.();
    });

    it("names the session, turn and column of a corrupt block row, and reads other sessions", async () => {
      const place = await harness.place();
      const store = await place.open();
      const turn = newTurn([newUserTextBlock("hi"), newAssistantTextBlock("ho")]);
      await store.save("s1", turn, "post_tools");
      await store.save("s2", newTurn([newUserTextBlock("fine")]), "final");
      await store.close?.();
      await place.corruptBlock("s1", turn.id, 1);
      const reopened = await place.open();
      for (const read of [() => reopened.loadSession("s1"), () => reopened.load("s1", turn.id)]) {
        const error = await read().catch((caught: unknown) => caught);
        expect(error).toBeInstanceOf(CorruptTurnError);
        expect((error as Error).message).toMatch(
          new RegExp(`^corrupt turn in store: session s1, turn ${turn.id}, .*(block 1|blocks\\[1\\])`),
        );
      }
      expect((await reopened.loadSession("s2"))[0]!.blocks).toHaveLength(1);
      await reopened.close?.();
    });
  });

  if (!harness.sharedAcrossProcesses) return;
  describe(`${name} (store contract, several processes)`, () => {
    it("two processes writing at once (their own sessions and one shared) lose nothing", async () => {
      const place = await harness.place();
      const spec = place.spec!;
      const [one, two] = await Promise.all([
        runWriter([spec, "write", "a", "25"]),
        runWriter([spec, "write", "b", "25"]),
      ]);
      const store = await place.open();
      for (const [prefix, run] of [
        ["a", one],
        ["b", two],
      ] as const) {
        expect(run.lines).toHaveLength(50);
        const own = await store.loadSession(`own-${prefix}`);
        expect(own).toHaveLength(25);
        own.forEach(expectWhole);
      }
      const shared = await store.listTurns("shared");
      expect(shared).toHaveLength(50);
      expect(shared.map((info) => info.position)).toEqual(
        Array.from({ length: 50 }, (_, index) => index + 1),
      );
      const turns = await store.loadSession("shared");
      expect(new Set(turns.map((turn) => turn.id)).size).toBe(50);
      await store.close?.();
    });

    it.each([5, 17])(
      "a writer killed mid-save (after %i saves) leaves every committed turn whole",
      async (killAfter) => {
        const place = await harness.place();
        const { lines, signal } = await runWriter([place.spec!, "crash", "c", "0"], (_line, child, seen) => {
          if (seen.length === killAfter) child.kill("SIGKILL");
        });
        expect(signal).toBe("SIGKILL");
        const store = await place.open();
        const infos = await store.listTurns("own-c");
        for (const line of lines) expect(infos.some((info) => info.turnId === line.split(" ")[1])).toBe(true);
        const turns = await store.loadSession("own-c");
        expect(turns).toHaveLength(infos.length);
        turns.forEach(expectWhole);
        await store.close?.();
      },
    );
  });
}
