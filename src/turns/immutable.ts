/**
 * Immutable blocks: once a Turn is returned by an engine, a Session or a store, its blocks are frozen values, so
 * the next turn can reference them instead of deep-copying the conversation.
 *
 * Why freezing and not copy-on-write: JavaScript cannot enforce "copy before you write" on a plain object, so a
 * caller who edits a returned block would silently change every turn that shares it (the Go design's shallow clone
 * has exactly that leak). A frozen block makes the same edit throw at the line that tries it (ES modules are strict).
 * Freezing costs one pass over the new block, never over the history: values frozen here are remembered, so a
 * shared block is recognized in O(1) and never walked again.
 */
import type { JsonObject } from "./json.ts";
import type { Block, Turn } from "./types.ts";

const deeplyFrozen = new WeakSet<object>();

/**
 * Freezes `value` and everything inside it, in place, and returns it. Values frozen by this function before are
 * skipped without a walk, so freezing a new Turn costs what is new in it.
 *
 * @example
 * const block = deepFreeze(newUserTextBlock("Hello"));
 * block.payload.text = "changed"; // TypeError: Cannot assign to read only property
 */
export function deepFreeze<T>(value: T): T {
  if (typeof value !== "object" || value === null || deeplyFrozen.has(value)) return value;
  deeplyFrozen.add(value);
  if (Array.isArray(value)) {
    for (let index = 0; index < value.length; index++) deepFreeze(value[index]);
  } else {
    for (const key in value) deepFreeze((value as Record<string, unknown>)[key]);
  }
  return Object.freeze(value);
}

/** True when `value` was frozen by {@link deepFreeze} (so it and everything inside it is immutable). */
export function isDeepFrozen(value: unknown): boolean {
  return typeof value === "object" && value !== null && deeplyFrozen.has(value);
}

/**
 * The value itself when it is already immutable, else a frozen deep copy, so the caller's own object stays theirs
 * to change. Used where a value enters a history or a store.
 *
 * @example
 * const kept = immutableCopy(block); // === block when block was frozen by geppetto
 */
export function immutableCopy<T>(value: T): T {
  if (typeof value !== "object" || value === null || deeplyFrozen.has(value)) return value;
  return deepFreeze(structuredClone(value));
}

/**
 * A frozen Turn holding `blocks` (taken as they are: freeze them first), `metadata` and `data` (frozen in place).
 *
 * The Turn object is frozen; its block array is not: V8 reads the elements of a frozen array about 3× slower,
 * and every step of a long conversation reads the whole list. Treat it as read-only (geppetto keeps its own
 * copies for comparison, so an edit there cannot corrupt a history or a store).
 *
 * @example
 * const turn = frozenTurn("t1", blocks.map(deepFreeze), {}, {});
 */
export function frozenTurn(id: string, blocks: Block[], metadata: JsonObject, data: JsonObject): Turn {
  return Object.freeze({ id, blocks, metadata: deepFreeze(metadata), data: deepFreeze(data) });
}
