/**
 * The timeline store contract: the same scenarios over every web chat timeline (SQLite {@link TimelineStore},
 * `PostgresTimelineStore`). A test file calls {@link describeTimelineStoreContract} with a harness that makes a
 * fresh, empty place to store into, which other processes open too (two writers at once, a writer killed
 * mid-write); a corrupt row is refused with an error naming the store, the conversation and the entity, as the
 * TurnStore contract does.
 */
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { killWriters, runWriterScript } from "../session/store-contract.ts";
import type { Entity } from "./frames.ts";
import type { WebChatTimeline } from "./shared-timeline.ts";
import { CorruptTimelineError } from "./timeline-rows.ts";

/** One empty place to store a timeline into, which may be opened several times, also by other processes. */
export interface TimelinePlace {
  open(): Promise<WebChatTimeline>;
  /** Sets one column of a stored entity row behind the store's back. */
  corruptEntity(convId: string, entityId: string, column: "data" | "status", value: string): Promise<void>;
  /** How another process opens the same place (`sqlite:<file>` or a `postgres://` URL). */
  spec: string;
}

/** Makes fresh places for one kind of timeline store. */
export interface TimelineHarness {
  place(): Promise<TimelinePlace>;
}

const writer = fileURLToPath(new URL("./__fixtures__/timeline-writer.ts", import.meta.url));

/** Opens the place and loads the conversations into memory (what the web chat server does before applying). */
async function openWith(place: TimelinePlace, ...convIds: string[]): Promise<WebChatTimeline> {
  const timeline = await place.open();
  for (const convId of convIds) await timeline.prepare?.(convId);
  return timeline;
}

/** Every entity is one the writers build whole, and none is ahead of its conversation's version. */
function expectConsistent(version: number, entities: Entity[]): void {
  for (const entity of entities) {
    expect(entity.version).toBeLessThanOrEqual(version);
    expect(entity.order).toBeLessThanOrEqual(entity.version);
    if (entity.kind === "assistant") expect(entity.text).toMatch(/^(chunk-\d+x* )*$/);
  }
}

/**
 * Declares the contract scenarios for one timeline store.
 *
 * @example
 * describeTimelineStoreContract("TimelineStore (SQLite)", { place: async () => sqlitePlace() });
 */
export function describeTimelineStoreContract(name: string, harness: TimelineHarness): void {
  afterEach(killWriters);

  describe(`${name} (timeline contract)`, () => {
    it("numbers frames per conversation and keeps the current state of each entity", async () => {
      const place = await harness.place();
      const timeline = await place.open();
      await timeline.createConversation("c1", "Hello");
      timeline.apply("c1", {
        type: "user.message",
        id: "user:1",
        kind: "user",
        status: "done",
        text: "Hello",
      });
      const frames = [
        timeline.apply("c1", { type: "llm.start", id: "msg:1", kind: "assistant", status: "streaming" }),
        timeline.apply("c1", { type: "llm.delta", id: "msg:1", kind: "assistant", append: "Hel" }),
        timeline.apply("c1", { type: "llm.delta", id: "msg:1", kind: "assistant", append: "lo" }),
      ];
      expect(frames.map((frame) => frame.seq)).toEqual([2, 3, 4]);
      expect(timeline.entity("c1", "msg:1")?.text).toBe("Hello");
      expect(timeline.streaming("c1").map((entity) => entity.id)).toEqual(["msg:1"]);
      // Streamed changes are visible to hydration at once, before their write.
      expect((await timeline.snapshot("c1")).entities.map((entity) => entity.text)).toEqual([
        "Hello",
        "Hello",
      ]);
      const data = { model: "m" };
      timeline.apply("c1", { type: "llm.final", id: "msg:1", kind: "assistant", status: "done", data });
      expect(timeline.streaming("c1")).toEqual([]);
      const answer = {
        id: "msg:1",
        kind: "assistant",
        order: 2,
        version: 5,
        status: "done",
        text: "Hello",
        data,
      };
      expect(await timeline.snapshot("c1", 1)).toEqual({ convId: "c1", version: 5, entities: [answer] });
      // Another instance (or the next start) hydrates the same state from what was written.
      await timeline.flush();
      const other = await openWith(place, "c1");
      expect(await other.snapshot("c1", 1)).toEqual({ convId: "c1", version: 5, entities: [answer] });
      expect((await other.snapshot("c1", 5)).entities).toEqual([]);
      await other.close();
      await timeline.close();
    });

    it("survives a reopen, continuing the numbering, and lists conversations newest first", async () => {
      const place = await harness.place();
      const first = await place.open();
      await first.createConversation("a", "Old one");
      first.apply("a", { type: "user.message", id: "user:1", kind: "user", status: "done", text: "Old" });
      await first.flush();
      await first.createConversation("b", "New one");
      first.apply("b", { type: "llm.start", id: "msg:1", kind: "assistant", status: "streaming" });
      first.apply("b", { type: "llm.delta", id: "msg:1", kind: "assistant", append: "partial" });
      await first.close();
      const reopened = await openWith(place, "b");
      expect((await reopened.listConversations()).map((summary) => [summary.convId, summary.title])).toEqual([
        ["b", "New one"],
        ["a", "Old one"],
      ]);
      expect((await reopened.conversation("b"))?.version).toBe(2);
      expect(await reopened.conversation("nope")).toBeUndefined();
      expect((await reopened.unfinished("b")).map((entity) => [entity.id, entity.text])).toEqual([
        ["msg:1", "partial"],
      ]);
      expect(
        reopened.apply("b", { type: "llm.delta", id: "msg:1", kind: "assistant", append: "!" }).seq,
      ).toBe(3);
      expect(reopened.entity("b", "msg:1")?.text).toBe("partial!");
      await reopened.close();
    });

    it("an instance behind another never moves the conversation back, and loses neither's entities", async () => {
      const place = await harness.place();
      const ahead = await place.open();
      await ahead.createConversation("c1", "Two writers");
      await ahead.flush();
      const behind = await openWith(place, "c1");
      behind.apply("c1", { type: "llm.start", id: "msg:1", kind: "assistant", status: "streaming" });
      await ahead.prepare?.("c1");
      ahead.apply("c1", { type: "user.message", id: "user:1", kind: "user", status: "done", text: "one" });
      for (const text of ["a", "b", "c"]) {
        ahead.apply("c1", { type: "user.message", id: "user:2", kind: "user", status: "done", text });
      }
      await ahead.flush();
      behind.apply("c1", { type: "llm.delta", id: "msg:1", kind: "assistant", append: "late" });
      await behind.flush();
      await Promise.all([ahead.close(), behind.close()]);
      const reader = await openWith(place, "c1");
      const snapshot = await reader.snapshot("c1");
      expect(snapshot.version).toBe(4);
      const texts = snapshot.entities.map((entity) => `${entity.id}=${entity.text}`);
      expect(texts.sort()).toEqual(["msg:1=late", "user:1=one", "user:2=c"]);
      expect(reader.apply("c1", { type: "x", id: "user:4", kind: "user", status: "done" }).seq).toBe(5);
      await reader.close();
    });

    it("names an unknown conversation", async () => {
      const timeline = await (await harness.place()).open();
      await expect(Promise.resolve().then(() => timeline.snapshot("nope"))).rejects.toThrow(
        'no web chat conversation "nope"',
      );
      const applying = async () => {
        await timeline.prepare?.("nope");
        timeline.apply("nope", { type: "x", id: "y", kind: "z" });
      };
      await expect(applying()).rejects.toThrow(/"nope"/);
      await timeline.close();
    });

    it.each(["data", "status"] as const)(
      "names the store, conversation and entity of a row with a corrupt %s, and reads the others",
      async (column) => {
        const place = await harness.place();
        const timeline = await place.open();
        for (const convId of ["broken", "fine"]) {
          await timeline.createConversation(convId, convId);
          timeline.apply(convId, {
            type: "user.message",
            id: "user:1",
            kind: "user",
            status: "done",
            text: "hi",
          });
        }
        await timeline.close();
        await place.corruptEntity("broken", "user:1", column, column === "data" ? "{not json" : "half-done");
        const reopened = await place.open();
        const reads = [
          () => Promise.resolve().then(() => reopened.snapshot("broken")),
          async () => {
            await reopened.prepare?.("broken");
            reopened.entity("broken", "user:1");
          },
        ];
        for (const read of reads) {
          const error = await read().catch((caught: unknown) => caught);
          expect(error).toBeInstanceOf(CorruptTimelineError);
          expect((error as Error).message).toMatch(
            new RegExp(
              `^corrupt web chat timeline in .+: conversation broken, entity user:1, column ${column}: `,
            ),
          );
        }
        expect((await reopened.snapshot("fine")).entities.map((entity) => entity.text)).toEqual(["hi"]);
        await reopened.close();
      },
    );
  });

  describe(`${name} (timeline contract, several processes)`, () => {
    it("two processes writing at once (their own conversations and one shared) lose nothing and tear nothing", async () => {
      const place = await harness.place();
      const setup = await place.open();
      await setup.createConversation("shared", "Shared");
      await setup.close();
      const runs = await Promise.all(
        ["a", "b"].map((prefix) => runWriterScript(writer, [place.spec, "write", prefix, "10"])),
      );
      const timeline = await openWith(place, "shared");
      const shared = await timeline.snapshot("shared");
      for (const [index, prefix] of ["a", "b"].entries()) {
        expect(runs[index]!.lines).toHaveLength(20);
        const own = await timeline.snapshot(`own-${prefix}`);
        expect(own.version).toBe(60); // 10 × (a message, a start, 3 deltas, a final)
        expectConsistent(own.version, own.entities);
        for (const snapshot of [own, shared]) {
          const mine = snapshot.entities.filter((entity) => entity.id.startsWith(`${prefix}:`));
          expect(mine).toHaveLength(20);
          for (let exchange = 0; exchange < 10; exchange++) {
            expect(mine.find((entity) => entity.id === `${prefix}:user:${exchange}`)).toMatchObject({
              status: "done",
              text: `${prefix} ${exchange}`,
            });
            expect(mine.find((entity) => entity.id === `${prefix}:msg:${exchange}`)).toMatchObject({
              status: "done",
              text: "chunk-1 chunk-2 chunk-3 ",
            });
          }
        }
      }
      // The shared conversation's version never went back below what either writer reached.
      const reached = runs.flatMap((run) =>
        run.lines
          .filter((line) => line.startsWith("flushed shared "))
          .map((line) => Number(line.split(" ")[3])),
      );
      expect(shared.version).toBeGreaterThanOrEqual(Math.max(...reached));
      expectConsistent(shared.version, shared.entities);
      await timeline.close();
    });

    it.each([3, 14])(
      "a writer killed mid-write (after %i writes) leaves a consistent prefix",
      async (killAfter) => {
        const place = await harness.place();
        const { lines, signal } = await runWriterScript(
          writer,
          [place.spec, "crash", "c", "0"],
          (_line, child, seen) => {
            if (seen.length === killAfter) child.kill("SIGKILL");
          },
        );
        expect(signal).toBe("SIGKILL");
        const timeline = await openWith(place, "own-c");
        const snapshot = await timeline.snapshot("own-c");
        expectConsistent(snapshot.version, snapshot.entities);
        for (const line of lines) {
          const [, , entityId, seq] = line.split(" ");
          const entity = snapshot.entities.find((candidate) => candidate.id === entityId);
          expect(entity?.version).toBeGreaterThanOrEqual(Number(seq));
        }
        // The next frame is numbered after everything stored, so a browser asking for changes misses none.
        const next = timeline.apply("own-c", {
          type: "llm.delta",
          id: "c:msg:0",
          kind: "assistant",
          append: "",
        });
        expect(next.seq).toBe(snapshot.version + 1);
        await timeline.close();
      },
    );
  });
}
