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

describe("the SQLite timeline", () => {
  it("records its schema version and refuses a file from a newer version", async () => {
    const path = freshPath();
    (await TimelineStore.open(path)).close();
    const database = new DatabaseSync(path);
    expect(database.prepare("PRAGMA user_version").get()).toEqual({ user_version: TIMELINE_SCHEMA_VERSION });
    database.exec(`PRAGMA user_version = ${TIMELINE_SCHEMA_VERSION + 1}`);
    database.close();
    await expect(TimelineStore.open(path)).rejects.toThrow(/schema version 2, newer than this geppetto's 1/);
  });
});
