/**
 * A state store on Redis. Per conversation: `<prefix><id>:state` holds the envelope (a versioned JSON document
 * with the turn's id, metadata and data but not its blocks) and `<prefix><id>:blocks` a list of block documents;
 * `<prefix>index` is the set of conversation ids. A save is one MULTI/EXEC transaction that writes the envelope
 * and only the blocks the conversation gained or changed since this store last saw it (blocks are frozen, so
 * "unchanged" is an identity check): its cost grows with what is new, not with the conversation.
 *
 * One writer per conversation at a time (the session that owns it); `ioredis` is loaded only when a store
 * connects (it is an optional peer dependency).
 */
import type { Redis as RedisClient } from "ioredis";
import { GeppettoError } from "../engine/errors.ts";
import type { JsonObject } from "../turns/json.ts";
import type { Block, Turn } from "../turns/types.ts";
import {
  type ConversationState,
  CorruptStateError,
  checkFork,
  decodeConversationState,
  encodeConversationState,
  frozenState,
  type StateStore,
} from "./state-store.ts";

/**
 * Options of {@link RedisStateStore.connect}.
 *
 * @example
 * await RedisStateStore.connect({ url: "redis://127.0.0.1:6379", keyPrefix: "app:conversations:" });
 */
export interface RedisStateStoreOptions {
  url: string;
  /** Default `geppetto:conversation:`. */
  keyPrefix?: string;
  /** Default 5000. */
  connectTimeoutMs?: number;
}

/**
 * Conversation states in Redis.
 *
 * @example
 * const store = await RedisStateStore.connect({ url: "redis://127.0.0.1:6379" });
 * const session = await UnarySession.open({ engine, stateStore: store, conversationId: "c1" });
 * await store.close();
 */
export class RedisStateStore implements StateStore {
  readonly #client: RedisClient;
  readonly #prefix: string;
  /** Per conversation: the blocks as this store last saved or loaded them. */
  readonly #mirrors = new Map<string, readonly Block[]>();

  private constructor(client: RedisClient, prefix: string) {
    this.#client = client;
    this.#prefix = prefix;
  }

  /** Connects (loading `ioredis`), or rejects naming the server (password redacted). */
  static async connect(options: RedisStateStoreOptions): Promise<RedisStateStore> {
    const { Redis } = await import("ioredis");
    const client = new Redis(options.url, {
      lazyConnect: true,
      connectTimeout: options.connectTimeoutMs ?? 5000,
      maxRetriesPerRequest: 1,
      connectionName: "geppetto-state-store",
    });
    client.on("error", () => {}); // reported by the command that fails
    try {
      await client.connect();
    } catch (error) {
      client.disconnect();
      const { redactUrl } = await import("../transports/shared.ts");
      throw new GeppettoError(
        `cannot connect to Redis at ${redactUrl(options.url)}: ${(error as Error).message}`,
        {
          code: "store_unreachable",
          fault: "provider",
          retryable: true,
          cause: error,
        },
      );
    }
    return new RedisStateStore(client, options.keyPrefix ?? "geppetto:conversation:");
  }

  #stateKey(conversationId: string): string {
    return `${this.#prefix}${conversationId}:state`;
  }

  #blocksKey(conversationId: string): string {
    return `${this.#prefix}${conversationId}:blocks`;
  }

  async load(conversationId: string): Promise<ConversationState | undefined> {
    const key = this.#stateKey(conversationId);
    const results = await this.#client.multi().get(key).lrange(this.#blocksKey(conversationId), 0, -1).exec();
    const envelope = results?.[0]?.[1] as string | null;
    const blocks = (results?.[1]?.[1] as string[] | undefined) ?? [];
    if (envelope === null || envelope === undefined) return undefined;
    const where = `Redis key ${key}`;
    let document: JsonObject;
    try {
      document = JSON.parse(envelope) as JsonObject;
    } catch (error) {
      throw new CorruptStateError(conversationId, where, `not JSON (${(error as Error).message})`, error);
    }
    const turn = document.turn as JsonObject | undefined;
    const count = typeof turn?.blockCount === "number" ? turn.blockCount : -1;
    if (!turn || count < 0 || count > blocks.length)
      throw new CorruptStateError(conversationId, where, `expected ${count} blocks, found ${blocks.length}`);
    const parsedBlocks: unknown[] = [];
    for (let index = 0; index < count; index++) {
      try {
        parsedBlocks.push(JSON.parse(blocks[index]!));
      } catch (error) {
        throw new CorruptStateError(
          conversationId,
          `${where} (block ${index})`,
          (error as Error).message,
          error,
        );
      }
    }
    const { blockCount: _count, ...rest } = turn;
    const whole = JSON.stringify({ ...document, turn: { ...rest, blocks: parsedBlocks } });
    const state = decodeConversationState(whole, conversationId, where);
    this.#mirrors.set(conversationId, state.turn.blocks);
    return state;
  }

  async save(state: ConversationState): Promise<void> {
    const frozen = frozenState(state, new Date().toISOString());
    await this.#write(frozen, this.#mirrors.get(frozen.conversationId));
    this.#mirrors.set(frozen.conversationId, frozen.turn.blocks);
  }

  async #write(state: ConversationState, mirror: readonly Block[] | undefined): Promise<void> {
    const blocks = state.turn.blocks;
    let same = 0;
    if (mirror) while (same < mirror.length && same < blocks.length && mirror[same] === blocks[same]) same++;
    const document = JSON.parse(
      encodeConversationState({ ...state, turn: emptyOf(state.turn) }),
    ) as JsonObject;
    (document.turn as JsonObject).blockCount = blocks.length;
    delete (document.turn as JsonObject).blocks;
    const blocksKey = this.#blocksKey(state.conversationId);
    const transaction = this.#client.multi();
    if (mirror && same > 0) transaction.ltrim(blocksKey, 0, same - 1);
    else transaction.del(blocksKey);
    const added = blocks.slice(mirror ? same : 0).map((block) => JSON.stringify(block));
    if (added.length > 0) transaction.rpush(blocksKey, ...added);
    transaction.set(this.#stateKey(state.conversationId), JSON.stringify(document));
    transaction.sadd(`${this.#prefix}index`, state.conversationId);
    const results = await transaction.exec();
    const failed = results?.find(([error]) => error !== null);
    if (failed) throw failed[0];
  }

  async fork(sourceId: string, newId: string): Promise<void> {
    const source = await this.load(sourceId);
    const taken = (await this.#client.exists(this.#stateKey(newId))) === 1;
    checkFork(sourceId, newId, source !== undefined, taken);
    await this.#write({ ...source!, conversationId: newId }, undefined);
    this.#mirrors.set(newId, source!.turn.blocks);
  }

  async delete(conversationId: string): Promise<boolean> {
    this.#mirrors.delete(conversationId);
    const results = await this.#client
      .multi()
      .del(this.#stateKey(conversationId), this.#blocksKey(conversationId))
      .srem(`${this.#prefix}index`, conversationId)
      .exec();
    return Number(results?.[1]?.[1] ?? 0) > 0;
  }

  async list(): Promise<string[]> {
    return this.#client.smembers(`${this.#prefix}index`);
  }

  async close(): Promise<void> {
    await this.#client.quit().catch(() => this.#client.disconnect());
  }
}

function emptyOf(turn: Turn): Turn {
  return { id: turn.id, blocks: [], metadata: turn.metadata, data: turn.data };
}
