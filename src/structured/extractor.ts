/**
 * The extractor contract: what a {@link FilteringSink} hands the payload of each tagged block to.
 */

import { defineCustomEvent } from "../events/codec.ts";
import type { EventMetadata, GeppettoEvent } from "../events/types.ts";
import { lazy, loadZod } from "../turns/lazy-modules.ts";

/** What a session callback returns: events to publish downstream (nothing is fine). */
// biome-ignore lint/suspicious/noConfusingVoidType: callbacks that return nothing must be accepted.
export type ExtractorEvents = readonly GeppettoEvent[] | undefined | void;

/**
 * One block being extracted. Every callback returns the events to publish; the sink fills in their missing
 * metadata (stream id, session/inference/turn ids, seq) from the text event that produced them.
 */
export interface ExtractorSession {
  /** The open tag was seen. */
  onStart?(): ExtractorEvents;
  /** More of the payload arrived (the payload pieces of one text delta, joined). */
  onRaw?(chunk: string): ExtractorEvents;
  /**
   * The block ended. `ok` is true when its close tag was seen; otherwise `error` says why (stream ended, block
   * too large) and `raw` is the payload captured so far.
   */
  onCompleted?(raw: string, ok: boolean, error?: Error): ExtractorEvents;
}

/**
 * Handles the blocks tagged `<package:type:version>`: opens a session per block.
 *
 * @example
 * const notes: Extractor = {
 *   package: "myapp", type: "note", version: "v1",
 *   newSession: (meta, itemId) => ({
 *     onCompleted: (raw, ok) => (ok ? [Note.create({ itemId, text: raw.trim() })] : []),
 *   }),
 * };
 */
export interface Extractor {
  readonly package: string;
  readonly type: string;
  readonly version: string;
  /** Starts a session for one block. `itemId` is unique per block: `<stream id>:<block number>`. */
  newSession(meta: EventMetadata, itemId: string): ExtractorSession;
}

/** Payload of {@link StructuredBlockMalformed}. */
export interface StructuredBlockMalformedPayload {
  package: string;
  type: string;
  version: string;
  itemId: string;
  /** `unclosed`: the stream ended inside the block; `too-large`: over `maxCaptureBytes`; `extractor-error`. */
  reason: "unclosed" | "too-large" | "extractor-error";
  message: string;
  /** UTF-16 length of the payload captured when the block was abandoned. */
  capturedLength: number;
}

// Built on first decode, so that importing `geppetto/structured` does not load zod.
const malformedSchema = lazy(() => {
  const z = loadZod();
  return z.object({
    package: z.string(),
    type: z.string(),
    version: z.string(),
    itemId: z.string(),
    reason: z.enum(["unclosed", "too-large", "extractor-error"]),
    message: z.string(),
    capturedLength: z.number(),
  });
});

/**
 * Published by a {@link FilteringSink} (policy `error-events`) when a block is malformed, and under every policy
 * when an extractor throws. A custom event, not an `error` event: the inference itself did not fail.
 *
 * @example
 * if (StructuredBlockMalformed.is(event)) console.warn(event.payload.reason, event.payload.itemId);
 */
export const StructuredBlockMalformed = defineCustomEvent<StructuredBlockMalformedPayload>(
  "geppetto.structured.block-malformed",
  malformedSchema,
);

/**
 * The registry key of a tag.
 *
 * @example
 * extractorKey({ package: "geppetto", type: "citations", version: "v1" }) // "geppetto:citations:v1"
 */
export function extractorKey(tag: { package: string; type: string; version: string }): string {
  return `${tag.package}:${tag.type}:${tag.version}`;
}
