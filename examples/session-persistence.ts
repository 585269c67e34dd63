// A session with persistence and resume: a conversation saved to SQLite at every snapshot, closed, then opened
// again from the store and continued where it stopped. The model is a scripted engine (no API key).
// Run it: npm run build && npx node examples/session-persistence.ts
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Turn } from "geppetto";
import { EngineBuilder, openSqliteTurnStore, Session } from "geppetto/session";
import { ScriptedEngine } from "geppetto/testing";

/** The latest answer of a Turn. */
function lastAnswer(turn: Turn): string {
  const last = turn.blocks.at(-1);
  return last?.kind === "llm_text" ? last.payload.text : "";
}

const folder = mkdtempSync(join(tmpdir(), "geppetto-example-"));
const path = join(folder, "sessions.db");
const engine = new ScriptedEngine(
  (turn) => [
    { type: "text", text: `Answer number ${turn.blocks.filter((block) => block.kind === "user").length}.` },
    { type: "stop", reason: "stop" },
  ],
  { repeatLast: true },
);
try {
  // 1. A first run: two user turns, each saved as it happens.
  let store = await openSqliteTurnStore(path);
  const session = new Session({
    id: "trip-planning",
    runner: new EngineBuilder().withBase(engine).withPersister(store),
  });
  session.appendNewTurnFromUserPrompt("Plan a trip to Lyon.");
  console.log(lastAnswer(await session.startInference().wait()));
  session.appendNewTurnFromUserPrompt("Add a museum.");
  console.log(lastAnswer(await session.startInference().wait()));
  await store.close();

  // 2. Later (another process, say): load the history and carry on.
  store = await openSqliteTurnStore(path);
  const history = await store.loadSession("trip-planning");
  const resumed = new Session({
    id: "trip-planning",
    history,
    runner: new EngineBuilder().withBase(engine).withPersister(store),
  });
  resumed.appendNewTurnFromUserPrompt("And a restaurant.");
  const latest = await resumed.startInference().wait();
  console.log(lastAnswer(latest));
  console.log(
    `resumed with ${history.length} stored turns; sessions: ${(await store.listSessions()).join(", ")}`,
  );
  await store.close();
} finally {
  rmSync(folder, { recursive: true, force: true });
}
