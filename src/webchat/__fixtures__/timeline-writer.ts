/**
 * Child process of the timeline contract's multi-process scenarios. Opens the timeline named by SPEC
 * (`sqlite:<file>` or a `postgres://` URL) and prints `flushed <convId> <entityId> <seq>` after each committed write.
 *   write PREFIX COUNT: COUNT exchanges (a user message, then an answer streamed in 3 deltas) into conversation
 *     `own-PREFIX` and COUNT into `shared` (which the test created), interleaved, then exits.
 *   crash PREFIX 0: streams answers into `own-PREFIX` forever (writing after every delta), until it is killed.
 * Run with: node --experimental-transform-types timeline-writer.ts SPEC MODE PREFIX COUNT
 */
import type { WebChatTimeline } from "../shared-timeline.ts";
import { TimelineStore } from "../timeline.ts";

const [spec, mode, prefix, count] = process.argv.slice(2);
if (!spec || !mode || !prefix || count === undefined) {
  throw new Error("usage: timeline-writer.ts SPEC MODE PREFIX COUNT");
}

async function open(where: string): Promise<WebChatTimeline> {
  if (where.startsWith("sqlite:")) return TimelineStore.open(where.slice("sqlite:".length));
  const { openPostgresTimelineStore } = await import("../../stores/postgres/timeline-store.ts");
  return openPostgresTimelineStore({ url: where, maxConnections: 2 });
}

const timeline = await open(spec);
const own = `own-${prefix}`;
await timeline.createConversation(own, `Writer ${prefix}`);

async function written(convId: string, entityId: string, seq: number): Promise<void> {
  await timeline.flush();
  process.stdout.write(`flushed ${convId} ${entityId} ${seq}\n`);
}

if (mode === "write") {
  await timeline.prepare?.("shared");
  for (let index = 0; index < Number(count); index++) {
    for (const convId of [own, "shared"]) {
      const user = `${prefix}:user:${index}`;
      timeline.apply(convId, { type: "user.message", id: user, kind: "user", status: "done", text: `${prefix} ${index}` });
      const answer = `${prefix}:msg:${index}`;
      timeline.apply(convId, { type: "llm.start", id: answer, kind: "assistant", status: "streaming" });
      for (let chunk = 1; chunk <= 3; chunk++) {
        timeline.apply(convId, { type: "llm.delta", id: answer, kind: "assistant", append: `chunk-${chunk} ` });
      }
      const final = timeline.apply(convId, { type: "llm.final", id: answer, kind: "assistant", status: "done" });
      await written(convId, answer, final.seq);
    }
  }
  await timeline.close();
} else {
  for (let index = 0; ; index++) {
    const answer = `${prefix}:msg:${index}`;
    timeline.apply(own, { type: "llm.start", id: answer, kind: "assistant", status: "streaming" });
    for (let chunk = 1; chunk <= 10; chunk++) {
      const delta = timeline.apply(own, {
        type: "llm.delta",
        id: answer,
        kind: "assistant",
        append: `chunk-${chunk}${"x".repeat(2_000)} `,
      });
      await written(own, answer, delta.seq);
    }
    const final = timeline.apply(own, { type: "llm.final", id: answer, kind: "assistant", status: "done" });
    await written(own, answer, final.seq);
  }
}
