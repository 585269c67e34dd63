// Process 3: collects every event into an SQLite event log. The primary key (inference, message id, seq) makes a
// redelivered event (after a crash) a no-op, so the log has no gap and no duplicate.
// Run it: npx node examples/multi-process/collector.ts redis://127.0.0.1:6379 events.db
import { DatabaseSync } from "node:sqlite";
import { EventRouter, encodeEvent } from "geppetto";
import { endsAnswer, openTransport, TOPIC } from "./transport.ts";

const [serverUrl = "redis://127.0.0.1:6379", databasePath = "events.db"] = process.argv.slice(2);
const database = new DatabaseSync(databasePath);
database.exec(`CREATE TABLE IF NOT EXISTS event_log (
  inference_id TEXT NOT NULL, message_id TEXT NOT NULL, seq INTEGER NOT NULL, type TEXT NOT NULL, event TEXT NOT NULL,
  PRIMARY KEY (inference_id, message_id, seq))`);
const insert = database.prepare("INSERT OR IGNORE INTO event_log VALUES (?, ?, ?, ?, ?)");
const transport = openTransport(serverUrl);
await transport.connect();
const router = new EventRouter({ transport });
const { promise: answered, resolve: answerEnded } = Promise.withResolvers<void>();
router.addHandler(
  "collector",
  TOPIC,
  (event) => {
    insert.run(event.meta.inferenceId ?? "", event.meta.id, event.meta.seq, event.type, encodeEvent(event));
    if (endsAnswer(event.type)) answerEnded();
  },
  { from: "beginning" },
);
router.run();
await answered;
await router.close();
database.close();
