import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { afterAll } from "vitest";
import { TimelineStore } from "./timeline.ts";
import { describeTimelineStoreContract } from "./timeline-contract.ts";

const directory = mkdtempSync(join(tmpdir(), "geppetto-timeline-contract-"));
afterAll(() => rmSync(directory, { recursive: true, force: true }));

describeTimelineStoreContract("TimelineStore (SQLite)", {
  async place() {
    const file = join(directory, `${crypto.randomUUID()}.db`);
    return {
      spec: `sqlite:${file}`,
      open: () => TimelineStore.open(file),
      async corruptEntity(convId, entityId, column, value) {
        const database = new DatabaseSync(file);
        database
          .prepare(`UPDATE webchat_entities SET ${column} = ? WHERE conv_id = ? AND entity_id = ?`)
          .run(value, convId, entityId);
        database.close();
      },
    };
  },
});
