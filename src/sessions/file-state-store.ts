/**
 * A state store on the file system: one file per conversation (`<directory>/<id>.jsonl`), a log of saves, one
 * JSON line each. A save appends one line (flushed to disk) holding the envelope (user, variables, metadata,
 * the turn's id, metadata and data) and only the blocks the conversation gained or changed since this store
 * last saw it (blocks are frozen, so "unchanged" is an identity check): its cost grows with what is new, not
 * with the conversation. Loading replays the lines.
 *
 * Crash safety: a line is a whole save. A crash mid-append leaves a last line without its newline, which
 * loading ignores (the save before it stands), so a reader sees the previous save or the new one, never a mix.
 * The first save of a conversation this store has not loaded, and a log that has grown to several times the
 * conversation (blocks rewritten or dropped), rewrite the file atomically as one line (a temporary file in the
 * same directory, flushed, then renamed over the old one).
 *
 * One writer per conversation at a time (the session that owns it). Files of the earlier format (one JSON
 * document, `<id>.json`) load, and their next save moves them to the log.
 */
import { join } from "node:path";
import { isJsonObject, type JsonObject } from "../turns/json.ts";
import { TURN_FORMAT } from "../turns/serialization.ts";
import type { Block } from "../turns/types.ts";
import {
  CONVERSATION_STATE_FORMAT,
  type ConversationState,
  CorruptStateError,
  checkFork,
  conversationStateFromDocument,
  decodeConversationState,
  frozenState,
  type StateStore,
} from "./state-store.ts";

/** `node:fs/promises`, loaded on first use (an `import` of it loads streams: about 15 of Node's modules). */
const fsPromises = () => process.getBuiltinModule("node:fs/promises");

/**
 * The format tag of each line of a conversation log file.
 *
 * @example
 * JSON.parse(firstLine).format === CONVERSATION_LOG_FORMAT
 */
export const CONVERSATION_LOG_FORMAT = "geppetto.conversation_log/v1";

const SUFFIX = ".jsonl";
const LEGACY_SUFFIX = ".json";
/** A log larger than this many times the conversation (plus the slack) is rewritten as one line. */
const COMPACT_RATIO = 4;
const COMPACT_SLACK_BYTES = 1024 * 1024;

/** What this store knows of a conversation's file: the blocks it holds, and sizes to decide on compaction. */
interface LogMirror {
  blocks: readonly Block[];
  /** The JSON length of each block, by position. */
  blockBytes: number[];
  blocksTotal: number;
  fileBytes: number;
}

/**
 * One JSON-lines log file per conversation in a directory (created on first save).
 *
 * @example
 * const store = new FileStateStore("./conversations");
 * const session = await UnarySession.open({ engine, stateStore: store, conversationId: "support-42" });
 */
export class FileStateStore implements StateStore {
  readonly directory: string;
  readonly #mirrors = new Map<string, LogMirror>();
  /** Per conversation: the save under way (saves of one conversation run one at a time). */
  readonly #writing = new Map<string, Promise<void>>();
  #sequence = 0;

  constructor(directory: string) {
    this.directory = directory;
  }

  #base(conversationId: string): string {
    return join(this.directory, encodeURIComponent(conversationId).replace(/\./g, "%2E"));
  }

  /** The file of a conversation (the id is percent-encoded, so any id is one safe file name). */
  fileOf(conversationId: string): string {
    return `${this.#base(conversationId)}${SUFFIX}`;
  }

  async load(conversationId: string): Promise<ConversationState | undefined> {
    await this.#writing.get(conversationId);
    const file = this.fileOf(conversationId);
    const text = await readOrUndefined(file);
    if (text === undefined) {
      const legacy = `${this.#base(conversationId)}${LEGACY_SUFFIX}`;
      const old = await readOrUndefined(legacy);
      this.#mirrors.delete(conversationId);
      return old === undefined ? undefined : decodeConversationState(old, conversationId, legacy);
    }
    const { state, complete } = replay(text, conversationId, file);
    const blockBytes = state.turn.blocks.map((block) => JSON.stringify(block).length);
    if (complete)
      this.#mirrors.set(conversationId, {
        blocks: state.turn.blocks,
        blockBytes,
        blocksTotal: blockBytes.reduce((total, bytes) => total + bytes, 0),
        fileBytes: Buffer.byteLength(text),
      });
    // A torn last line: the next save rewrites the file rather than append after it.
    else this.#mirrors.delete(conversationId);
    return state;
  }

  save(state: ConversationState): Promise<void> {
    const frozen = frozenState(state, new Date().toISOString());
    const id = frozen.conversationId;
    const saving = (this.#writing.get(id) ?? Promise.resolve()).then(() => this.#save(frozen));
    const settled = saving.catch(() => {});
    this.#writing.set(id, settled);
    void settled.then(() => {
      if (this.#writing.get(id) === settled) this.#writing.delete(id);
    });
    return saving;
  }

  async #save(state: ConversationState): Promise<void> {
    const id = state.conversationId;
    const mirror = this.#mirrors.get(id);
    const blocks = state.turn.blocks;
    let same = 0;
    if (mirror)
      while (same < mirror.blocks.length && same < blocks.length && mirror.blocks[same] === blocks[same])
        same++;
    const parts = blocks.slice(mirror ? same : 0).map((block) => JSON.stringify(block));
    const line = encodeLine(state, mirror ? same : 0, parts);
    if (mirror) {
      for (let index = same; index < mirror.blockBytes.length; index++)
        mirror.blocksTotal -= mirror.blockBytes[index]!;
      mirror.blockBytes.length = same;
      for (const part of parts) {
        mirror.blockBytes.push(part.length);
        mirror.blocksTotal += part.length;
      }
      const lineBytes = Buffer.byteLength(line);
      if (
        mirror.fileBytes + lineBytes <=
        COMPACT_RATIO * (mirror.blocksTotal + lineBytes) + COMPACT_SLACK_BYTES
      ) {
        try {
          await appendFlushed(this.fileOf(id), line);
        } catch (error) {
          this.#mirrors.delete(id); // what the file holds is unknown now: the next save rewrites it
          throw error;
        }
        mirror.blocks = blocks;
        mirror.fileBytes += lineBytes;
        return;
      }
    }
    await this.#rewrite(state);
  }

  /** Writes the whole state as a one-line log, atomically. */
  async #rewrite(state: ConversationState): Promise<void> {
    const id = state.conversationId;
    this.#mirrors.delete(id);
    const parts = state.turn.blocks.map((block) => JSON.stringify(block));
    const line = encodeLine(state, 0, parts);
    await fsPromises().mkdir(this.directory, { recursive: true });
    const target = this.fileOf(id);
    const temporary = `${target}.${process.pid}.${++this.#sequence}.tmp`;
    const handle = await fsPromises().open(temporary, "w");
    try {
      await handle.writeFile(line);
      await handle.sync();
    } finally {
      await handle.close();
    }
    try {
      await fsPromises().rename(temporary, target);
    } catch (error) {
      await fsPromises().rm(temporary, { force: true });
      throw error;
    }
    await fsPromises().rm(`${this.#base(id)}${LEGACY_SUFFIX}`, { force: true });
    const blockBytes = parts.map((part) => part.length);
    this.#mirrors.set(id, {
      blocks: state.turn.blocks,
      blockBytes,
      blocksTotal: blockBytes.reduce((total, bytes) => total + bytes, 0),
      fileBytes: Buffer.byteLength(line),
    });
  }

  async fork(sourceId: string, newId: string): Promise<void> {
    const source = await this.load(sourceId);
    checkFork(sourceId, newId, source !== undefined, await this.#exists(newId));
    await this.#rewrite({ ...source!, conversationId: newId });
  }

  async #exists(conversationId: string): Promise<boolean> {
    const names = await this.#names();
    const base = this.#base(conversationId).slice(this.directory.length + 1);
    return names.includes(`${base}${SUFFIX}`) || names.includes(`${base}${LEGACY_SUFFIX}`);
  }

  async delete(conversationId: string): Promise<boolean> {
    await this.#writing.get(conversationId);
    this.#mirrors.delete(conversationId);
    const existed = await this.#exists(conversationId);
    await fsPromises().rm(this.fileOf(conversationId), { force: true });
    await fsPromises().rm(`${this.#base(conversationId)}${LEGACY_SUFFIX}`, { force: true });
    return existed;
  }

  async #names(): Promise<string[]> {
    try {
      return await fsPromises().readdir(this.directory);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
      throw error;
    }
  }

  async list(): Promise<string[]> {
    const ids = new Set<string>();
    for (const name of await this.#names()) {
      const suffix = name.endsWith(SUFFIX)
        ? SUFFIX
        : name.endsWith(LEGACY_SUFFIX)
          ? LEGACY_SUFFIX
          : undefined;
      if (suffix) ids.add(decodeURIComponent(name.slice(0, -suffix.length)));
    }
    return [...ids];
  }
}

async function readOrUndefined(file: string): Promise<string | undefined> {
  try {
    return await fsPromises().readFile(file, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
}

async function appendFlushed(file: string, line: string): Promise<void> {
  const handle = await fsPromises().open(file, "a");
  try {
    await handle.write(line);
    await handle.datasync();
  } finally {
    await handle.close();
  }
}

/** One save as a log line: the envelope, the block count, and the blocks from position `from` on (encoded). */
function encodeLine(state: ConversationState, from: number, parts: string[]): string {
  const head = JSON.stringify({
    format: CONVERSATION_LOG_FORMAT,
    conversationId: state.conversationId,
    ...(state.userId === undefined ? {} : { userId: state.userId }),
    variables: state.variables,
    metadata: state.metadata,
    ...(state.updatedAt === undefined ? {} : { updatedAt: state.updatedAt }),
    turn: { id: state.turn.id, metadata: state.turn.metadata, data: state.turn.data },
    blockCount: state.turn.blocks.length,
    from,
  });
  return `${head.slice(0, -1)},"blocks":[${parts.join(",")}]}\n`;
}

/** Replays a log: the state of its last whole line, and whether the file ended with a whole line. */
function replay(
  text: string,
  conversationId: string,
  file: string,
): { state: ConversationState; complete: boolean } {
  const lines = text.split("\n");
  const complete = lines.at(-1) === "";
  lines.pop(); // "" after the last newline, or a torn line that never got its newline
  const blocks: unknown[] = [];
  let last: JsonObject | undefined;
  for (const [index, line] of lines.entries()) {
    const where = `${file} (line ${index + 1})`;
    let record: unknown;
    try {
      record = JSON.parse(line);
    } catch (error) {
      throw new CorruptStateError(conversationId, where, `not JSON (${(error as Error).message})`, error);
    }
    if (!isJsonObject(record) || record.format !== CONVERSATION_LOG_FORMAT)
      throw new CorruptStateError(
        conversationId,
        where,
        `not a ${CONVERSATION_LOG_FORMAT} line (format ${JSON.stringify(isJsonObject(record) ? record.format : record)})`,
      );
    const { from, blockCount } = record;
    if (
      typeof from !== "number" ||
      typeof blockCount !== "number" ||
      !Array.isArray(record.blocks) ||
      from > blocks.length ||
      from + record.blocks.length !== blockCount
    )
      throw new CorruptStateError(
        conversationId,
        where,
        `blocks from ${String(from)} (${Array.isArray(record.blocks) ? record.blocks.length : "none"}) do not make ${String(blockCount)} after ${blocks.length}`,
      );
    blocks.length = from;
    blocks.push(...record.blocks);
    last = record;
  }
  if (!last) throw new CorruptStateError(conversationId, file, "the log holds no complete save");
  const { format: _format, blockCount: _count, from: _from, blocks: _blocks, turn, ...envelope } = last;
  const document = {
    ...envelope,
    format: CONVERSATION_STATE_FORMAT,
    turn: { ...(isJsonObject(turn) ? turn : {}), format: TURN_FORMAT, blocks },
  };
  return { state: conversationStateFromDocument(document, conversationId, file), complete };
}
