/**
 * Streaming typed answers: `streamObject` yields the answer as a deep-partial object while it streams (parsed
 * incrementally, in time linear in the answer), or element by element with `output: "array"`, then settles
 * `.object` with the validated value.
 */
import type { GeppettoEvent } from "../events/types.ts";
import type { InferenceStream } from "../stream/inference-stream.ts";
import type { GenerateObjectResult, ObjectCallOptions, ObjectOf } from "./generate-object.ts";
import { type StreamTextOptions, streamCall } from "./generate-text.ts";
import type { IncrementalJsonParser } from "./incremental-json.ts";
import {
  type DeepPartial,
  ELEMENTS_KEY,
  type InferObject,
  type ObjectOutput,
  type ObjectSchema,
} from "./object-types.ts";

/**
 * What a partial is: the deep-partial object, or the deep-partial list with `output: "array"`.
 *
 * @example
 * for await (const partial of stream) partial.name; // string | undefined while it streams
 */
export type PartialOf<S, O extends ObjectOutput> = O extends "array"
  ? DeepPartial<InferObject<S>>[]
  : DeepPartial<InferObject<S>>;

/**
 * A typed answer being streamed. Iterate it once: the object so far (`for await (const partial of stream)`),
 * its completed elements (`elements()`, with `output: "array"`) or its raw events (`events()`).
 *
 * A partial is the same object growing in place (so each one costs only what is new): copy it
 * (`structuredClone`) to keep a snapshot. A repair attempt starts a new object. Like every stream, a loop over
 * it ends by throwing the call's error when the call fails (`object` rejects with the same error).
 *
 * @example
 * const stream = streamObject({ model, schema: Person, prompt: "Invent a person" });
 * for await (const partial of stream) render(partial.name ?? "…");
 * const person = await stream.object;
 */
export class ObjectStream<S extends ObjectSchema, O extends ObjectOutput>
  implements AsyncIterable<PartialOf<S, O>>
{
  /** The validated object; rejects with `NoObjectGeneratedError` (or the call's error). */
  readonly object: Promise<ObjectOf<S, O>>;
  /** What `generateObject` resolves with. */
  readonly result: Promise<GenerateObjectResult<ObjectOf<S, O>>>;
  readonly #inner: InferenceStream<GenerateObjectResult<ObjectOf<S, O>>>;
  readonly #array: boolean;
  readonly #answerText: (event: GeppettoEvent) => string | undefined;

  /** @internal Built by {@link streamObject}. */
  constructor(
    inner: InferenceStream<GenerateObjectResult<ObjectOf<S, O>>>,
    array: boolean,
    toolMode: boolean,
  ) {
    this.#inner = inner;
    this.#array = array;
    // The answer streams as text in JSON mode, as the answer tool's arguments in tool mode.
    this.#answerText = toolMode
      ? (event) => (event.type === "tool-call-arguments-delta" ? event.delta : undefined)
      : (event) => (event.type === "partial" ? event.delta : undefined);
    this.result = inner.result;
    this.object = inner.result.then((outcome) => outcome.object);
    this.object.catch(() => {});
  }

  /** Stops the call (harmless twice); `result` then rejects with `NoObjectGeneratedError` (interrupted). */
  cancel(reason?: string): void {
    this.#inner.cancel(reason);
  }

  /** Every event of the call, in order. */
  events(): AsyncIterable<GeppettoEvent> {
    return this.#inner;
  }

  /** The object so far, each time it grows (at most once per text delta). */
  async *[Symbol.asyncIterator](): AsyncIterator<PartialOf<S, O>> {
    // The parser loads with the first partial's iteration, not with the core.
    const { IncrementalJsonParser } = await import("./incremental-json.ts");
    let parser: IncrementalJsonParser | undefined = new IncrementalJsonParser();
    for await (const event of this.#inner) {
      if (event.type === "start") parser = new IncrementalJsonParser();
      const delta = this.#answerText(event);
      if (delta === undefined || !parser || !pushed(parser, delta)) {
        // Text that cannot be JSON: no more partials from this attempt (`object` reports the issues).
        if (parser?.broken) parser = undefined;
        continue;
      }
      const value = parser.value as Record<string, unknown> | undefined;
      if (this.#array) {
        const elements = value?.[ELEMENTS_KEY];
        if (Array.isArray(elements)) yield elements as PartialOf<S, O>;
      } else if (value !== undefined) yield value as PartialOf<S, O>;
    }
  }

  /**
   * The elements of an `output: "array"` answer, each once it is complete (not yet validated: `object` is).
   *
   * @example
   * for await (const city of stream.elements()) addRow(city);
   */
  async *elements(): AsyncIterable<InferObject<S>> {
    const ready: unknown[] = [];
    const onElement = (element: unknown) => ready.push(element);
    const { IncrementalJsonParser } = await import("./incremental-json.ts");
    let parser: IncrementalJsonParser | undefined;
    for await (const event of this.#inner) {
      if (event.type === "start")
        parser = new IncrementalJsonParser({ elementsKey: ELEMENTS_KEY, onElement });
      const delta = this.#answerText(event);
      if (delta === undefined || !parser) continue;
      if (!pushed(parser, delta) && parser.broken) parser = undefined;
      while (ready.length > 0) yield ready.shift() as InferObject<S>;
    }
  }
}

/** Feeds a delta; false when nothing changed or the text cannot be JSON (`parser.broken`). */
function pushed(parser: IncrementalJsonParser, delta: string): boolean {
  try {
    return parser.push(delta);
  } catch {
    parser.broken = true;
    return false;
  }
}

/**
 * Options of {@link streamObject}.
 *
 * @example
 * const options: StreamObjectOptions<typeof City, "array"> = { model, schema: City, output: "array", prompt: "Cities" };
 */
export type StreamObjectOptions<
  S extends ObjectSchema,
  O extends ObjectOutput = "object",
> = ObjectCallOptions<S, O> & Pick<StreamTextOptions, "capacity">;

/**
 * Streams a typed object: iterate it for deep-partial objects as the answer streams, `await stream.object` for
 * the validated one. With `output: "array"`, `elements()` yields each element once it is complete.
 *
 * @example
 * const stream = streamObject({ model: "gemini:gemini-2.5-flash", schema: City, output: "array", prompt: "Five cities" });
 * for await (const city of stream.elements()) console.log(city.name);
 * const cities = await stream.object; // validated City[]
 */
export function streamObject<S extends ObjectSchema, O extends ObjectOutput = "object">(
  options: StreamObjectOptions<S, O>,
): ObjectStream<S, O> {
  const inner = streamCall(options, async (turn, ctx) =>
    (await import("./object-call.ts")).runObjectCall(options, turn, ctx),
  );
  return new ObjectStream(inner, options.output === "array", options.mode === "tool");
}
