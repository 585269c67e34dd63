// Process 2: renders the answer with the stock text printer. Killed and started again, it resumes where it was
// (its handler name "printer" is its consumer group / durable consumer) and prints the rest.
// Run it: npx node examples/multi-process/printer.ts redis://127.0.0.1:6379
import { deduplicate, EventRouter, TextPrinter } from "geppetto";
import { endsAnswer, openTransport, TOPIC } from "./transport.ts";

const [serverUrl = "redis://127.0.0.1:6379"] = process.argv.slice(2);
const transport = openTransport(serverUrl);
await transport.connect();
const router = new EventRouter({ transport });
const printer = new TextPrinter(process.stdout);
const { promise: answered, resolve: answerEnded } = Promise.withResolvers<void>();
router.addHandler(
  "printer",
  TOPIC,
  deduplicate((event) => {
    printer.publish(event);
    if (endsAnswer(event.type)) answerEnded();
  }),
  { from: "beginning" },
);
router.run();
await answered;
await router.close(); // acknowledges the last events before leaving
