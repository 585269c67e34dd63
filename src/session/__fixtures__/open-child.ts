/**
 * Child process for the concurrent-open test: loads the store module, says `ready`, then for each line on stdin
 * (a path to a new file, which another child is opening at the same moment) opens the SQLite store there, saves
 * one turn under session NAME, closes, and answers `ok` or `error <message>`.
 * Run with: node --experimental-transform-types open-child.ts NAME
 */
import { createInterface } from "node:readline";
import { newTurn, newUserTextBlock } from "../../turns/builders.ts";
import { openSqliteTurnStore } from "../sqlite-turn-store.ts";

const name = process.argv[2];
if (!name) throw new Error("usage: open-child.ts NAME");
process.stdout.write("ready\n");
for await (const path of createInterface({ input: process.stdin })) {
  try {
    const store = await openSqliteTurnStore(path);
    await store.save(name, newTurn([newUserTextBlock(`hello from ${name}`)]), "final");
    await store.close();
    process.stdout.write("ok\n");
  } catch (error) {
    process.stdout.write(`error ${error instanceof Error ? error.message : String(error)}\n`);
  }
}
