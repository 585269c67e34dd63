import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startNatsServer, startRedisServer, type TestServer } from "../../src/transports/test-servers.ts";

const HERE = new URL("./", import.meta.url).pathname;
const WORDS = 80;
const ANSWER = Array.from({ length: WORDS }, (_, index) => `word${index + 1}`).join(" ");

interface Running {
  child: ChildProcess;
  /** Standard output (warnings go to standard error, kept apart). */
  output: string;
  errors: string;
  exited: Promise<number | null>;
}

function run(script: string, args: string[]): Running {
  const child = spawn(process.execPath, ["--no-warnings", join(HERE, script), ...args], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  const running: Running = {
    child,
    output: "",
    errors: "",
    exited: new Promise((resolve) => child.once("exit", (code) => resolve(code))),
  };
  child.stdout!.on("data", (chunk: Buffer) => {
    running.output += chunk.toString();
  });
  child.stderr!.on("data", (chunk: Buffer) => {
    running.errors += chunk.toString();
  });
  return running;
}

function outputReaches(running: Running, pattern: RegExp): Promise<void> {
  return new Promise((resolve, reject) => {
    const check = () => {
      if (pattern.test(running.output)) {
        running.child.stdout!.off("data", check);
        resolve();
      }
    };
    running.child.stdout!.on("data", check);
    running.child.once("exit", () =>
      reject(new Error(`exited before ${pattern}: ${running.output}${running.errors}`)),
    );
    check();
  });
}

describe.each([
  { name: "Redis Streams", start: startRedisServer },
  { name: "NATS JetStream", start: startNatsServer },
])("examples/multi-process over $name", ({ start }) => {
  let server: TestServer;
  let directory: string;
  beforeAll(async () => {
    server = await start();
    directory = await mkdtemp(join(tmpdir(), "geppetto-multi-process-"));
  }, 30_000);
  afterAll(async () => {
    await server.dispose();
    await rm(directory, { recursive: true, force: true });
  });

  it("a printer killed with SIGKILL halfway prints the rest when restarted; the log has no gap, no duplicate", async () => {
    const database = join(directory, "events.db");
    const collector = run("collector.ts", [server.url, database]);
    const firstPrinter = run("printer.ts", [server.url]);
    const inference = run("inference.ts", [server.url, String(WORDS), "15"]);
    await outputReaches(firstPrinter, /word30 /);
    firstPrinter.child.kill("SIGKILL");
    await firstPrinter.exited;
    const secondPrinter = run("printer.ts", [server.url]);
    expect(await inference.exited).toBe(0);
    expect(await secondPrinter.exited).toBe(0);
    expect(await collector.exited).toBe(0);

    // The first printer printed a beginning of the answer, the second the rest (at least once: an event that was
    // printed but not yet acknowledged when the process died may be printed again).
    const before = firstPrinter.output;
    const after = secondPrinter.output.trimEnd();
    expect(ANSWER.startsWith(before)).toBe(true);
    expect(ANSWER.endsWith(after)).toBe(true);
    expect(before.length + after.length).toBeGreaterThanOrEqual(ANSWER.length);
    expect(after.length).toBeLessThan(ANSWER.length);

    const log = new DatabaseSync(database, { readOnly: true });
    const rows = log.prepare("SELECT seq, type FROM event_log ORDER BY seq").all() as {
      seq: number;
      type: string;
    }[];
    log.close();
    expect(rows.map((row) => row.seq)).toEqual(rows.map((_, index) => index + 1));
    expect(rows.filter((row) => row.type === "partial")).toHaveLength(WORDS);
    expect(rows.at(-1)?.type).toBe("final");
  }, 60_000);
});
