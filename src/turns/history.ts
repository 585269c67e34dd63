/**
 * TurnHistory: the turns of one conversation, oldest first, sharing their blocks.
 *
 * A conversation's turn n usually holds turn n-1's blocks plus a few new ones, and sometimes a changed block (a
 * system prompt re-rendered by middleware). Keeping every Turn as its own array would cost O(turns × blocks)
 * memory; the history instead keeps, per block position, the versions that turns wrote there (turn index →
 * block), and per turn its id, block count, metadata and data. A turn's block at position p is the latest version
 * written at p by that turn or an earlier one. Recording a turn compares its blocks with the stored ones by
 * identity (one pointer comparison each, no copy, no serialization) and stores only what differs, frozen.
 *
 * The newest turn is kept as the very Turn recorded; older turns are materialized on demand.
 */
import { CallerError } from "../engine/errors.ts";
import { deepFreeze, frozenTurn } from "./immutable.ts";
import type { JsonObject } from "./json.ts";
import type { Block, Turn } from "./types.ts";

interface Version {
  /** Index of the turn that wrote this version. */
  from: number;
  block: Block;
}

interface Entry {
  id: string;
  count: number;
  metadata: JsonObject;
  data: JsonObject;
}

/** True when two blocks hold the same content (compared only when they are different objects with one id). */
function sameContent(left: Block, right: Block): boolean {
  return left.id === right.id && JSON.stringify(left) === JSON.stringify(right);
}

/**
 * The turns of a conversation, sharing blocks.
 *
 * @example
 * const history = new TurnHistory();
 * history.record(turn1);
 * history.record(turn2); // stores only the blocks turn2 added
 * history.latest() === turn2; // the newest Turn as recorded (frozen)
 * history.at(0); // turn1, materialized
 */
export class TurnHistory {
  readonly #entries: Entry[] = [];
  readonly #index = new Map<string, number>();
  /**
   * Per block position: the one block written there (by turn `#writers[position]`), or several versions in
   * increasing `from` order. A single block is stored bare: a version object per block would cost a third of
   * what a short block does.
   */
  readonly #versions: (Block | Version[])[] = [];
  readonly #writers: number[] = [];
  /** The newest turn as recorded, and a private copy of its block list (callers should not edit theirs). */
  #newest: { turn: Turn; blocks: Block[] } | undefined;
  #views: Turn[] | undefined;

  /** Number of turns. */
  get length(): number {
    return this.#entries.length;
  }

  /** The position of a turn by id, or -1. */
  indexOf(turnId: string): number {
    return this.#index.get(turnId) ?? -1;
  }

  /** The newest turn, or undefined when there is none. */
  latest(): Turn | undefined {
    return this.#entries.length === 0 ? undefined : this.at(this.#entries.length - 1);
  }

  /** The turn at `index` (0 = oldest), frozen; older turns are built from the shared blocks on each call. */
  at(index: number): Turn {
    const entry = this.#entries[index];
    if (!entry)
      throw new CallerError(`no turn at index ${index} (history has ${this.#entries.length})`, {
        code: "invalid_argument",
      });
    if (index === this.#entries.length - 1 && this.#newest) return this.#newest.turn;
    const blocks = new Array<Block>(entry.count);
    for (let position = 0; position < entry.count; position++)
      blocks[position] = this.#resolve(position, index)!;
    return frozenTurn(entry.id, blocks, entry.metadata, entry.data);
  }

  /** The id of the turn at `index`. */
  idAt(index: number): string {
    const entry = this.#entries[index];
    if (!entry)
      throw new CallerError(`no turn at index ${index} (history has ${this.#entries.length})`, {
        code: "invalid_argument",
      });
    return entry.id;
  }

  /** The number of blocks of a turn, without building it. */
  blockCount(turnId: string): number | undefined {
    const index = this.#index.get(turnId);
    return index === undefined ? undefined : this.#entries[index]!.count;
  }

  /** A turn by id. */
  get(turnId: string): Turn | undefined {
    const index = this.#index.get(turnId);
    return index === undefined ? undefined : this.at(index);
  }

  /**
   * Every turn, oldest first, as read-only views: a view's `blocks` is built when read (O(blocks) per read), so
   * the array costs O(1) memory per turn. Views follow later updates of their turn.
   */
  views(): readonly Turn[] {
    if (this.#views === undefined) this.#views = [];
    const views = this.#views;
    for (let index = views.length; index < this.#entries.length; index++) views.push(this.#view(index));
    return views;
  }

  /**
   * Records a turn: appends it when its id is new, replaces that turn otherwise. Blocks already in the history
   * (the same objects) are shared; the others, the metadata and the data are frozen in place and kept.
   * Returns the recorded Turn: frozen, with the history's blocks. `onStore` is told each block that was stored
   * (what was new or changed). Positions in `changed` are known to hold new content (a streaming checkpoint's
   * blocks): they are stored without comparing their content with what they replace.
   */
  record(turn: Turn, onStore?: (block: Block) => void, changed?: ReadonlySet<number>): Turn {
    let index = this.#index.get(turn.id);
    if (index === undefined) {
      index = this.#entries.length;
      this.#entries.push({ id: turn.id, count: 0, metadata: {}, data: {} });
      this.#index.set(turn.id, index);
    }
    const entry = this.#entries[index]!;
    const isNewest = index === this.#entries.length - 1;
    // The newest turn's blocks (or, for a new turn, the previous newest's) as a private array to compare with.
    const near = (isNewest ? this.#newest?.blocks : undefined) ?? [];
    const given = turn.blocks;
    let substituted: Block[] | undefined;
    for (let position = 0; position < given.length; position++) {
      const block = given[position]!;
      const current = position < near.length ? near[position] : this.#resolve(position, index);
      if (block === current) continue;
      if (current !== undefined && changed?.has(position) !== true && sameContent(block, current)) {
        substituted ??= given.slice();
        substituted[position] = current;
        continue;
      }
      deepFreeze(block);
      this.#write(position, index, block, current);
      onStore?.(block);
    }
    if (!isNewest) this.#pinShrink(index, entry.count, given.length);
    entry.count = given.length;
    const blocks = substituted ?? given;
    const recorded = frozenTurn(turn.id, blocks, turn.metadata, turn.data);
    entry.metadata = recorded.metadata;
    entry.data = recorded.data;
    if (isNewest) this.#newest = { turn: recorded, blocks: blocks.slice() };
    return recorded;
  }

  #view(index: number): Turn {
    const entry = this.#entries[index]!;
    return Object.freeze(
      Object.defineProperties({} as Turn, {
        id: { value: entry.id, enumerable: true },
        blocks: { get: () => this.at(index).blocks, enumerable: true },
        metadata: { get: () => entry.metadata, enumerable: true },
        data: { get: () => entry.data, enumerable: true },
      }),
    );
  }

  /** Every stored block: each version written at each position, once (for a search through what was saved). */
  *storedBlocks(): Iterable<Block> {
    for (const versions of this.#versions) {
      if (versions === undefined) continue;
      if (!Array.isArray(versions)) yield versions;
      else for (const version of versions) yield version.block;
    }
  }

  /** The block turn `index` has at `position` (the latest version written by it or an earlier turn). */
  #resolve(position: number, index: number): Block | undefined {
    const versions = this.#versions[position];
    if (versions === undefined) return undefined;
    if (!Array.isArray(versions)) return this.#writers[position]! <= index ? versions : undefined;
    let low = 0;
    let high = versions.length - 1;
    let found: Block | undefined;
    while (low <= high) {
      const middle = (low + high) >> 1;
      const version = versions[middle]!;
      if (version.from <= index) {
        found = version.block;
        low = middle + 1;
      } else high = middle - 1;
    }
    return found;
  }

  /**
   * Writes turn `index`'s block at `position`. When a later turn inherited the block being replaced, that turn
   * gets its own version of it first, so changing an older turn never changes a newer one.
   */
  #write(position: number, index: number, block: Block, replaced: Block | undefined): void {
    const next = this.#entries[index + 1];
    if (
      next &&
      position < next.count &&
      replaced !== undefined &&
      this.#ownVersion(position, index + 1) === undefined
    )
      this.#insert(position, { from: index + 1, block: replaced });
    this.#insert(position, { from: index, block });
  }

  /** When an older turn shrinks, the next turn keeps the blocks it inherited from the dropped positions. */
  #pinShrink(index: number, oldCount: number, newCount: number): void {
    const next = this.#entries[index + 1];
    if (!next) return;
    for (let position = newCount; position < Math.min(oldCount, next.count); position++) {
      const inherited = this.#resolve(position, index);
      if (inherited !== undefined && this.#ownVersion(position, index + 1) === undefined)
        this.#insert(position, { from: index + 1, block: inherited });
    }
  }

  #ownVersion(position: number, index: number): Block | undefined {
    const versions = this.#versions[position];
    if (versions === undefined) return undefined;
    if (!Array.isArray(versions)) return this.#writers[position] === index ? versions : undefined;
    return versions.find((version) => version.from === index)?.block;
  }

  /** Inserts (or replaces) a version, keeping `from` order. */
  #insert(position: number, version: Version): void {
    deepFreeze(version.block);
    const existing = this.#versions[position];
    if (existing === undefined || (!Array.isArray(existing) && this.#writers[position] === version.from)) {
      this.#versions[position] = version.block;
      this.#writers[position] = version.from;
      return;
    }
    const list = Array.isArray(existing) ? existing : [{ from: this.#writers[position]!, block: existing }];
    let at = list.length;
    while (at > 0 && list[at - 1]!.from > version.from) at--;
    if (at > 0 && list[at - 1]!.from === version.from) list[at - 1] = version;
    else list.splice(at, 0, version);
    this.#versions[position] = list;
  }
}
