import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { openSqliteTurnStore } from "./sqlite-turn-store.ts";

const child = fileURLToPath(new URL("./__fixtures__/open-child.ts", import.meta.url));
const directory = mkdtempSync(join(tmpdir(), "geppetto-concurrent-open-"));
const children: ChildProcess[] = [];
afterAll(() => {
  for (const handle of children) handle.kill("SIGKILL");
  rmSync(directory, { recursive: true, force: true });
});

/** A child that opens the store at each path it is sent; `open` resolves with its answer (`ok` or `error …`). */
async function openerChild(name: string): Promise<{ open(path: string): Promise<string> }> {
  const handle = spawn(process.execPath, ["--experimental-transform-types", "--no-warnings", child, name], {
    stdio: ["pipe", "pipe", "inherit"],
  });
  children.push(handle);
  const lines = createInterface({ input: handle.stdout! })[Symbol.asyncIterator]();
  const next = async () => {
    const line = await lines.next();
    if (line.done) throw new Error(`child ${name} exited`);
    return line.value;
  };
  expect(await next()).toBe("ready");
  return {
    open(path) {
      handle.stdin!.write(`${path}\n`);
      return next();
    },
  };
}

describe("SqliteTurnStore opened by two processes at once", () => {
  it("40 fresh files, each opened by two processes at the same moment: never database is locked", async () => {
    const [first, second] = await Promise.all([openerChild("a"), openerChild("b")]);
    for (let round = 0; round < 40; round++) {
      const path = join(directory, `fresh-${round}.db`);
      expect(await Promise.all([first!.open(path), second!.open(path)])).toEqual(["ok", "ok"]);
      const store = await openSqliteTurnStore(path);
      expect((await store.listSessions()).sort()).toEqual(["a", "b"]);
      await store.close();
    }
  }, 120_000);
});
