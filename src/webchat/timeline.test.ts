import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { afterAll, describe, expect, it } from "vitest";
import { TIMELINE_SCHEMA_VERSION, TimelineStore } from "./timeline.ts";

const directory = mkdtempSync(join(tmpdir(), "geppetto-timeline-"));
afterAll(() => rmSync(directory, { recursive: true, force: true }));
let count = 0;
const freshPath = () => join(directory, `timeline-${++count}.db`);

describe("the timeline projector", () => {
  it("numbers frames per conversation and keeps the current state of each entity", async () => {
    const timeline = await TimelineStore.open(freshPath());
    timeline.createConversation("c1", "Hello");
    timeline.apply("c1", { type: "user.message", id: "user:1", kind: "user", status: "done", text: "Hello" });
    const frames = [
      timeline.apply("c1", { type: "llm.start", id: "msg:1", kind: "assistant", status: "streaming" }),
      timeline.apply("c1", { type: "llm.delta", id: "msg:1", kind: "assistant", append: "Hel" }),
      timeline.apply("c1", { type: "llm.delta", id: "msg:1", kind: "assistant", append: "lo" }),
    ];
    expect(frames.map((frame) => frame.seq)).toEqual([2, 3, 4]);
    // Streamed changes are visible to hydration at once, before their write.
    expect(timeline.snapshot("c1").entities.map((entity) => entity.text)).toEqual(["Hello", "Hello"]);
    timeline.apply("c1", {
      type: "llm.final",
      id: "msg:1",
      kind: "assistant",
      status: "done",
      data: { model: "m" },
    });
    const snapshot = timeline.snapshot("c1", 1);
    expect(snapshot.version).toBe(5);
    expect(snapshot.entities).toEqual([
      {
        id: "msg:1",
        kind: "assistant",
        order: 2,
        version: 5,
        status: "done",
        text: "Hello",
        data: { model: "m" },
      },
    ]);
    timeline.close();
  });

  it("survives a reopen, continuing the numbering, and lists conversations newest first", async () => {
    const path = freshPath();
    const first = await TimelineStore.open(path);
    first.createConversation("old", "Old one");
    first.apply("old", { type: "user.message", id: "user:1", kind: "user", status: "done", text: "Old" });
    first.createConversation("new", "New one");
    first.apply("new", { type: "llm.start", id: "msg:1", kind: "assistant", status: "streaming" });
    first.apply("new", { type: "llm.delta", id: "msg:1", kind: "assistant", append: "partial" });
    first.close();
    const reopened = await TimelineStore.open(path);
    expect(reopened.listConversations().map((conversation) => conversation.title)).toEqual([
      "New one",
      "Old one",
    ]);
    expect(reopened.snapshot("new").entities[0]).toMatchObject({ status: "streaming", text: "partial" });
    expect(
      reopened.apply("new", { type: "llm.delta", id: "msg:1", kind: "assistant", append: "!" }).seq,
    ).toBe(3);
    expect(reopened.entity("new", "msg:1")?.text).toBe("partial!");
    reopened.close();
  });

  it("records its schema version and refuses a file from a newer version", async () => {
    const path = freshPath();
    (await TimelineStore.open(path)).close();
    const database = new DatabaseSync(path);
    expect(database.prepare("PRAGMA user_version").get()).toEqual({ user_version: TIMELINE_SCHEMA_VERSION });
    database.exec(`PRAGMA user_version = ${TIMELINE_SCHEMA_VERSION + 1}`);
    database.close();
    await expect(TimelineStore.open(path)).rejects.toThrow(/schema version 2, newer than this geppetto's 1/);
  });

  it("names an unknown conversation", async () => {
    const timeline = await TimelineStore.open(":memory:");
    expect(() => timeline.snapshot("nope")).toThrow('no web chat conversation "nope"');
    expect(() => timeline.apply("nope", { type: "x", id: "y", kind: "z" })).toThrow(/"nope"/);
    timeline.close();
  });
});
