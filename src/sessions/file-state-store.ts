/**
 * A state store on the file system: one JSON document per conversation (`<directory>/<id>.json`), written
 * atomically (a temporary file in the same directory, flushed, then renamed over the old one), so a crash leaves
 * the previous save or the new one, never a torn file.
 */
import { mkdir, open, readdir, readFile, rename, rm } from "node:fs/promises";
import { join } from "node:path";
import {
  type ConversationState,
  checkFork,
  decodeConversationState,
  encodeConversationState,
  frozenState,
  type StateStore,
} from "./state-store.ts";

const SUFFIX = ".json";

/**
 * One JSON file per conversation in a directory (created on first save).
 *
 * @example
 * const store = new FileStateStore("./conversations");
 * const session = await UnarySession.open({ engine, stateStore: store, conversationId: "support-42" });
 */
export class FileStateStore implements StateStore {
  readonly directory: string;
  #sequence = 0;

  constructor(directory: string) {
    this.directory = directory;
  }

  /** The file of a conversation (the id is percent-encoded, so any id is one safe file name). */
  fileOf(conversationId: string): string {
    return join(this.directory, `${encodeURIComponent(conversationId).replace(/\./g, "%2E")}${SUFFIX}`);
  }

  async #read(conversationId: string): Promise<string | undefined> {
    try {
      return await readFile(this.fileOf(conversationId), "utf8");
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
      throw error;
    }
  }

  async load(conversationId: string): Promise<ConversationState | undefined> {
    const text = await this.#read(conversationId);
    return text === undefined
      ? undefined
      : decodeConversationState(text, conversationId, this.fileOf(conversationId));
  }

  async #write(state: ConversationState): Promise<void> {
    await mkdir(this.directory, { recursive: true });
    const target = this.fileOf(state.conversationId);
    const temporary = `${target}.${process.pid}.${++this.#sequence}.tmp`;
    const handle = await open(temporary, "w");
    try {
      await handle.writeFile(encodeConversationState(state, 2));
      await handle.sync();
    } finally {
      await handle.close();
    }
    try {
      await rename(temporary, target);
    } catch (error) {
      await rm(temporary, { force: true });
      throw error;
    }
  }

  async save(state: ConversationState): Promise<void> {
    await this.#write(frozenState(state, new Date().toISOString()));
  }

  async fork(sourceId: string, newId: string): Promise<void> {
    const source = await this.load(sourceId);
    checkFork(sourceId, newId, source !== undefined, (await this.#read(newId)) !== undefined);
    await this.#write({ ...source!, conversationId: newId });
  }

  async delete(conversationId: string): Promise<boolean> {
    try {
      await rm(this.fileOf(conversationId));
      return true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return false;
      throw error;
    }
  }

  async list(): Promise<string[]> {
    let names: string[];
    try {
      names = await readdir(this.directory);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
      throw error;
    }
    return names
      .filter((name) => name.endsWith(SUFFIX))
      .map((name) => decodeURIComponent(name.slice(0, -SUFFIX.length)));
  }
}
