import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll } from "vitest";
import { turnToJson } from "../turns/serialization.ts";
import { openSqliteTurnStore } from "./sqlite-turn-store.ts";
import { describeTurnStoreContract } from "./store-contract.ts";
import { MemoryTurnStore } from "./turn-store.ts";

const directory = mkdtempSync(join(tmpdir(), "geppetto-contract-"));
afterAll(() => rmSync(directory, { recursive: true, force: true }));

/** A block that is valid JSON but not a Block (an answer without its text). */
const BROKEN_BLOCK = { id: "x", kind: "llm_text", role: "assistant", payload: {}, metadata: {} };

describeTurnStoreContract("MemoryTurnStore", {
  sharedAcrossProcesses: false,
  async place() {
    const store = new MemoryTurnStore();
    return {
      open: async () => store,
      async corruptBlock(sessionId, turnId, blockIndex) {
        const turn = (await store.load(sessionId, turnId))!;
        const document = JSON.parse(turnToJson(turn, undefined));
        document.blocks[blockIndex] = BROKEN_BLOCK;
        store.corruptForTesting(sessionId, turnId, JSON.stringify(document));
      },
    };
  },
});

describeTurnStoreContract("SqliteTurnStore", {
  sharedAcrossProcesses: true,
  async place() {
    const file = join(directory, `${crypto.randomUUID()}.db`);
    return {
      spec: `sqlite:${file}`,
      open: () => openSqliteTurnStore(file),
      async corruptBlock(sessionId, _turnId, blockIndex) {
        const { DatabaseSync } = await import("node:sqlite");
        const database = new DatabaseSync(file);
        database
          .prepare(
            `UPDATE geppetto_blocks SET block_json = ? WHERE block_index = ?
             AND session_ref = (SELECT ref FROM geppetto_sessions WHERE session_id = ?)`,
          )
          .run(JSON.stringify(BROKEN_BLOCK), blockIndex, sessionId);
        database.close();
      },
    };
  },
});
