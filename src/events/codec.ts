/**
 * The JSON codec for events, with a registry for application (custom) event types.
 *
 * `decodeEvent` never throws: text that is not an event, an unknown `type`, or a custom event whose decoder
 * rejects its payload all decode to an `unknown` event that keeps the raw document.
 */
import type { z } from "zod";
import { CallerError } from "../engine/errors.ts";
import { formatIssues, type Validator } from "../engine/validation.ts";
import { isJsonObject, type JsonValue } from "../turns/json.ts";
import {
  type CustomEvent,
  EVENT_TYPES,
  type EventMetadata,
  type GeppettoEvent,
  type UnknownEvent,
} from "./types.ts";

/** How one custom event type is read from and written to JSON. */
export interface CustomEventCodec<P> {
  /** Checks and converts a decoded payload; throw to reject it. */
  decode(payload: unknown): P;
  /** Converts a payload to JSON (default: the payload as is). */
  encode?(payload: P): JsonValue;
}

const customCodecs = new Map<string, CustomEventCodec<unknown>>();
const builtinTypes = new Set<string>(EVENT_TYPES);

/**
 * Registers how a custom event type (by its namespaced `name`) is decoded and encoded.
 * Registering the same name twice replaces the codec.
 */
export function registerEventCodec<P>(name: string, codec: CustomEventCodec<P>): void {
  customCodecs.set(name, codec as CustomEventCodec<unknown>);
}

/** A handle on one custom event type: create, recognise and decode it with its payload type. */
export interface CustomEventType<P> {
  readonly name: string;
  /**
   * Creates the event. `publish(ctx, event)` then sets its `seq`, a fresh `id` when none was given, and the
   * context's ids; a sink that forwards it directly (an extractor) passes the metadata it was given.
   */
  create(payload: P, meta?: Partial<EventMetadata>): CustomEvent<P>;
  /** True when `event` is of this custom type. */
  is(event: GeppettoEvent): event is CustomEvent<P>;
}

/**
 * What a custom event's payload is checked with when decoded: a Validator, a zod schema, or a lazy zod schema.
 *
 * @example
 * const Progress = defineCustomEvent("myapp.progress", validatorOf<{ done?: number }>(check.object({ done: check.number() })));
 */
export type PayloadSchema<P> = Validator<P> | z.ZodType<P> | (() => z.ZodType<P>);

function payloadDecoder<P>(schema: PayloadSchema<P> | undefined): (payload: unknown) => P {
  if (schema === undefined) return (payload) => payload as P;
  if (typeof schema === "function") return (payload) => schema().parse(payload);
  if ("safeParse" in schema) return (payload) => schema.parse(payload);
  return (payload) => {
    const outcome = schema.validate(payload);
    if (outcome.ok) return outcome.value;
    throw new CallerError(`invalid payload: ${formatIssues(outcome.issues)}`, { code: "invalid_input" });
  };
}

/**
 * Defines a custom event type and registers its codec. With a schema, decoding validates the payload.
 *
 * @example
 * const Progress = defineCustomEvent("myapp.progress", z.object({ done: z.number() }));
 * publish(ctx, Progress.create({ done: 0.5 }));
 * if (Progress.is(event)) console.log(event.payload.done);
 */
export function defineCustomEvent<P>(name: string, schema?: PayloadSchema<P>): CustomEventType<P> {
  registerEventCodec<P>(name, { decode: payloadDecoder(schema) });
  return {
    name,
    create(payload, meta = {}) {
      return { type: "custom", name, payload, meta: { id: "", seq: 0, ...meta } };
    },
    is(event): event is CustomEvent<P> {
      return event.type === "custom" && event.name === name;
    },
  };
}

/** Encodes an event as a JSON-ready object. */
export function eventToJson(event: GeppettoEvent): Record<string, JsonValue> {
  if (event.type === "custom") {
    const codec = customCodecs.get(event.name);
    const payload = codec?.encode ? codec.encode(event.payload) : (event.payload as JsonValue);
    return { type: "custom", name: event.name, payload, meta: event.meta as unknown as JsonValue };
  }
  if (event.type === "unknown") return { ...event.raw, meta: event.meta as unknown as JsonValue };
  return event as unknown as Record<string, JsonValue>;
}

/** Encodes an event as one line of JSON. */
export function encodeEvent(event: GeppettoEvent): string {
  return JSON.stringify(eventToJson(event));
}

function unknownEvent(raw: Record<string, JsonValue>, meta: EventMetadata, reason?: string): UnknownEvent {
  const event: UnknownEvent = {
    type: "unknown",
    originalType: typeof raw.type === "string" ? raw.type : "",
    raw,
    meta,
  };
  if (reason) event.meta = { ...meta, extra: { ...meta.extra, decodeError: reason } };
  return event;
}

function readMeta(value: unknown): EventMetadata {
  if (!isJsonObject(value)) return { id: "", seq: 0 };
  const meta = value as unknown as EventMetadata;
  return {
    ...meta,
    id: typeof meta.id === "string" ? meta.id : "",
    seq: typeof meta.seq === "number" ? meta.seq : 0,
  };
}

/** Decodes an event from JSON text or a parsed object. Never throws. */
export function decodeEvent(input: string | unknown): GeppettoEvent {
  let document: unknown = input;
  if (typeof input === "string") {
    try {
      document = JSON.parse(input);
    } catch (error) {
      return unknownEvent({ text: input }, { id: "", seq: 0 }, `not JSON: ${(error as Error).message}`);
    }
  }
  if (!isJsonObject(document))
    return unknownEvent({ value: document as JsonValue }, { id: "", seq: 0 }, "not an object");
  const meta = readMeta(document.meta);
  const type = document.type;
  if (typeof type !== "string" || !builtinTypes.has(type) || type === "unknown") {
    return unknownEvent(document, meta);
  }
  if (type === "custom") {
    const name = typeof document.name === "string" ? document.name : "";
    const codec = customCodecs.get(name);
    if (!codec) return { type: "custom", name, payload: document.payload ?? null, meta };
    try {
      return { type: "custom", name, payload: codec.decode(document.payload), meta };
    } catch (error) {
      return unknownEvent(document, meta, `custom event "${name}": ${(error as Error).message}`);
    }
  }
  return { ...document, meta } as unknown as GeppettoEvent;
}
