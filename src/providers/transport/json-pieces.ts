/**
 * Request bodies assembled from cached pieces: the serialized form of what a request builder makes from frozen
 * (immutable) blocks is kept per block, so a long conversation's request costs the serialization of what is new,
 * not of the whole history, every time.
 *
 * - {@link JsonPiece}: JSON values already serialized, as UTF-8 bytes (off the JS heap), in a
 *   {@link JsonPieceList} that serializes the same under `JSON.stringify` (through `toJSON`), so a body holding
 *   one still prints and taps as the plain body would; only {@link encodeJsonBody} (the transport) splices bytes.
 * - {@link PieceCache}: a WeakMap from the first frozen block of a group of blocks to the pieces built from the
 *   group; an entry lives as long as the block and is used only when the group is exactly the same blocks again.
 *
 * A group is a run of consecutive blocks that become one part of the body (for OpenAI Chat: one system, user or
 * tool message, or one assistant message from a run of text and tool calls). Groups that hold a block that is
 * not frozen (still streaming, or made for this request) are built every time and not cached.
 */

import { Buffer } from "node:buffer";
import type { Block, Turn } from "../../turns/types.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const COMMA = encoder.encode(",");

/**
 * Serialized JSON values (one, or several comma-separated), as elements of an array they are spliced into.
 *
 * @example
 * const piece = JsonPiece.of({ role: "user", content: "Hi" });
 * piece.values() // [{ role: "user", content: "Hi" }]
 */
export class JsonPiece {
  /** The values' JSON as UTF-8, comma-separated. */
  readonly bytes: Uint8Array;

  constructor(bytes: Uint8Array) {
    this.bytes = bytes;
  }

  /** A piece of `value`. Small pieces share Node's buffer pool, so a cached piece costs one view object. */
  static of(value: unknown): JsonPiece {
    return new JsonPiece(serialize(value));
  }

  /** The values, parsed back (for `JSON.stringify` and for readers of the body; not the hot path). */
  values(): unknown[] {
    return JSON.parse(`[${decoder.decode(this.bytes)}]`) as unknown[];
  }
}

/**
 * An array of pieces standing for the values they hold: `JSON.stringify` of a body holding one gives the plain
 * body's JSON (through `toJSON`), so it still prints and compares as the plain body would; {@link encodeJsonBody}
 * (the transport) splices the bytes instead.
 *
 * @example
 * JSON.stringify({ messages: JsonPieceList.from([JsonPiece.of({ role: "user", content: "Hi" })]) })
 * // '{"messages":[{"role":"user","content":"Hi"}]}'
 */
export class JsonPieceList extends Array<JsonPiece> {
  toJSON(): unknown[] {
    const values: unknown[] = [];
    for (const piece of this) for (const value of piece.values()) values.push(value);
    return values;
  }
}

function serialize(value: unknown): Uint8Array {
  return Buffer.from(JSON.stringify(value));
}

/** True when `blocks` holds exactly `expected` from `start` on (one pointer comparison per block). */
function sameBlocks(blocks: readonly Block[], start: number, expected: readonly Block[]): boolean {
  if (start + expected.length > blocks.length) return false;
  for (let index = 0; index < expected.length; index++)
    if (blocks[start + index] !== expected[index]) return false;
  return true;
}

function joined(parts: readonly Uint8Array[]): Uint8Array {
  const withCommas: Uint8Array[] = [];
  for (const part of parts) {
    if (withCommas.length > 0) withCommas.push(COMMA);
    withCommas.push(part);
  }
  return Buffer.concat(withCommas);
}

/**
 * A cached group of several blocks: the last block and the number of blocks it was built from, and its value's
 * bytes (null when it had none).
 */
interface Run {
  last: Block;
  count: number;
  bytes: Uint8Array | null;
}

/** A cached segment: the blocks it was built from (compared by identity) and their values' bytes. */
interface Segment {
  blocks: readonly Block[];
  bytes: Uint8Array | null;
}

/** Groups merged into one cached segment once they are all cached: the heap then holds one record for them all. */
const SEGMENT = 64;

/**
 * Caches the piece each group of frozen blocks becomes. Per cached group the JS heap holds one byte view and one
 * WeakMap entry (and, for a group of several blocks, a small record); the bytes are outside it.
 *
 * @example
 * const cache = new PieceCache();
 * const parts = cache.pieces(turn, startsMessage, (group) => ({ values: messagesFromTurn({ ...turn, blocks: group }), clean: true }));
 * // undefined when a group could not be built on its own: build the whole turn as before
 */
export class PieceCache {
  /** Groups of one block: its value's bytes, or null when it has none. */
  readonly #single = new WeakMap<Block, Uint8Array | null>();
  /** Groups of several blocks, by their first block. */
  readonly #runs = new WeakMap<Block, Run>();
  /** Segments of {@link SEGMENT} groups (counted from the turn's first block), by their first block. */
  readonly #segments = new WeakMap<Block, Segment>();

  /**
   * The turn's blocks as pieces, group by group (`startsGroup(previous, block)` says where a group begins), each
   * built by `build` (one value or none is cached; several are built each time) and cached when all its blocks are
   * frozen. Returns undefined when `build` reports (`clean: false`) that a group does not stand on its own (it
   * warned, or failed), so the caller builds the whole turn the ordinary way and says what it says there.
   */
  pieces(
    turn: Turn,
    startsGroup: (previous: Block, block: Block) => boolean,
    build: (group: Block[]) => { values: unknown[]; clean: boolean },
  ): JsonPieceList | undefined {
    const blocks = turn.blocks;
    const pieces = new JsonPieceList();
    let start = 0;
    /** Groups since the current segment began; the segment's blocks and bytes while every group is cacheable. */
    let groups = 0;
    let segmentStart = 0;
    let segment: Uint8Array[] | undefined = [];
    while (start < blocks.length) {
      if (groups === 0) {
        const cachedSegment = this.#segments.get(blocks[start]!);
        if (cachedSegment && sameBlocks(blocks, start, cachedSegment.blocks)) {
          if (cachedSegment.bytes !== null) pieces.push(new JsonPiece(cachedSegment.bytes));
          start += cachedSegment.blocks.length;
          continue;
        }
        segmentStart = start;
        segment = [];
      }
      let end = start + 1;
      while (end < blocks.length && !startsGroup(blocks[end - 1]!, blocks[end]!)) end++;
      const first = blocks[start]!;
      const last = blocks[end - 1]!;
      let cached: Uint8Array | null | undefined;
      if (end - start === 1) cached = this.#single.get(first);
      else {
        const run = this.#runs.get(first);
        if (run && run.last === last && run.count === end - start) cached = run.bytes;
      }
      if (cached === undefined) {
        const group = blocks.slice(start, end);
        let built: { values: unknown[]; clean: boolean };
        try {
          built = build(group);
        } catch {
          return undefined;
        }
        if (!built.clean) return undefined;
        if (built.values.length > 1) {
          for (const value of built.values) pieces.push(JsonPiece.of(value));
          segment = undefined;
          start = end;
          groups = (groups + 1) % SEGMENT;
          continue;
        }
        cached = built.values.length === 1 ? serialize(built.values[0]) : null;
        if (group.every((block) => Object.isFrozen(block) && Object.isFrozen(block.payload))) {
          if (group.length === 1) this.#single.set(first, cached);
          else this.#runs.set(first, { last, count: group.length, bytes: cached });
        } else segment = undefined;
      }
      if (cached !== null) {
        pieces.push(new JsonPiece(cached));
        segment?.push(cached);
      }
      start = end;
      groups = (groups + 1) % SEGMENT;
      if (groups === 0 && segment) this.#merge(blocks, segmentStart, end, segment);
    }
    return pieces;
  }

  /** Caches blocks[from, to) (whole groups, all cached) as one segment and forgets their groups' own entries. */
  #merge(blocks: readonly Block[], from: number, to: number, parts: Uint8Array[]): void {
    this.#segments.set(blocks[from]!, {
      blocks: blocks.slice(from, to),
      bytes: parts.length > 0 ? joined(parts) : null,
    });
    for (let index = from; index < to; index++) {
      this.#single.delete(blocks[index]!);
      this.#runs.delete(blocks[index]!);
    }
  }
}

function holdsPieces(value: unknown): value is JsonPieceList {
  return value instanceof JsonPieceList;
}

/**
 * A JSON body as bytes: a top-level {@link JsonPieceList} is spliced in as its pieces' bytes; everything else is
 * serialized. The bytes are those of `JSON.stringify(body)` (a test checks it).
 *
 * @example
 * encodeJsonBody({ model: "m", messages: JsonPieceList.from([JsonPiece.of({ role: "user", content: "Hi" })]) })
 * // the bytes of '{"model":"m","messages":[{"role":"user","content":"Hi"}]}'
 */
export function encodeJsonBody(body: object): Uint8Array {
  const parts: Uint8Array[] = [];
  let text = "{";
  let first = true;
  for (const [key, value] of Object.entries(body)) {
    if (value === undefined) continue;
    text += `${first ? "" : ","}${JSON.stringify(key)}:`;
    first = false;
    if (!holdsPieces(value)) {
      text += JSON.stringify(value);
      continue;
    }
    parts.push(encoder.encode(`${text}[`));
    text = "";
    let firstElement = true;
    for (const piece of value) {
      if (!firstElement) parts.push(COMMA);
      firstElement = false;
      parts.push(piece.bytes);
    }
    text = "]";
  }
  parts.push(encoder.encode(`${text}}`));
  let length = 0;
  for (const part of parts) length += part.length;
  const bytes = new Uint8Array(length);
  let offset = 0;
  for (const part of parts) {
    bytes.set(part, offset);
    offset += part.length;
  }
  return bytes;
}

/**
 * True when a request body holds pieces (then the transport sends {@link encodeJsonBody}'s bytes).
 *
 * @example
 * hasJsonPieces({ messages: new JsonPieceList() }) // true
 */
export function hasJsonPieces(body: unknown): body is object {
  if (typeof body !== "object" || body === null || Array.isArray(body)) return false;
  for (const value of Object.values(body)) if (holdsPieces(value)) return true;
  return false;
}
