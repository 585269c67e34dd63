/**
 * The translation registry: geppetto events in, web chat frames out. Each event type (and each custom event
 * name) has at most one translation; the defaults cover answers, reasoning, tool calls and errors, and an
 * application registers its own events the same way.
 *
 * Entity ids are stable: everything about one streamed message uses `msg:<meta.id>` (its reasoning
 * `reasoning:<meta.id>`), everything about one tool call `tool:<call id>`.
 */
import type { GeppettoEvent, Usage } from "../events/types.ts";
import type { Entity, FrameDraft, FrameValue } from "./frames.ts";

/** What a translation may look at besides the event. */
export interface TranslationContext {
  /** The current state of an entity of this conversation (to close a reasoning entity, say). */
  entity(id: string): Entity | undefined;
  /** The cost of a usage in US dollars, when prices are known. */
  cost(usage: Usage): number | undefined;
}

/** Turns one event into frames (none, one or several). */
export type Translation<E extends GeppettoEvent = GeppettoEvent> = (
  event: E,
  context: TranslationContext,
) => FrameDraft[];

type CustomEventOf = Extract<GeppettoEvent, { type: "custom" }>;

/**
 * Maps events to frames.
 *
 * @example
 * const translations = defaultTranslations().onCustom("myapp.progress", (event) => [
 *   { type: "myapp.progress", id: `progress:${event.meta.id}`, kind: "progress", data: { percent: event.payload as number } },
 * ]);
 */
export class TranslationRegistry {
  readonly #byType = new Map<string, Translation>();
  readonly #byCustomName = new Map<string, Translation<CustomEventOf>>();

  /** Sets the translation of an event type (replacing the previous one). Returns this registry. */
  on<T extends GeppettoEvent["type"]>(
    type: T,
    translation: Translation<Extract<GeppettoEvent, { type: T }>>,
  ): this {
    this.#byType.set(type, translation as Translation);
    return this;
  }

  /** Sets the translation of a custom event (`defineCustomEvent`'s name). Returns this registry. */
  onCustom(name: string, translation: Translation<CustomEventOf>): this {
    this.#byCustomName.set(name, translation);
    return this;
  }

  /** The frames of one event; an event nothing is registered for gives none. */
  translate(event: GeppettoEvent, context: TranslationContext): FrameDraft[] {
    if (event.type === "custom") {
      const custom = this.#byCustomName.get(event.name);
      if (custom) return custom(event, context);
    }
    return this.#byType.get(event.type)?.(event, context) ?? [];
  }
}

const messageId = (event: GeppettoEvent) => `msg:${event.meta.id}`;
const reasoningId = (event: GeppettoEvent) => `reasoning:${event.meta.id}`;

/** Usage as frame data (dropping undefined fields). */
function usageData(usage: Usage | undefined): Record<string, FrameValue> {
  if (!usage) return {};
  const fields: Record<string, FrameValue> = {};
  for (const [key, value] of Object.entries(usage)) if (typeof value === "number") fields[key] = value;
  return fields;
}

/** Closes the message's reasoning entity when it is still streaming. */
function closeReasoning(event: GeppettoEvent, context: TranslationContext, status: Entity["status"]) {
  const reasoning = context.entity(reasoningId(event));
  if (reasoning?.status !== "streaming") return [];
  return [{ type: "llm.thinking.final", id: reasoningId(event), kind: "reasoning", status }];
}

/** The end of an answer: its usage, cost and model. */
function answerData(event: GeppettoEvent, context: TranslationContext): Record<string, FrameValue> {
  const data: Record<string, FrameValue> = {};
  if (event.meta.usage) {
    data.usage = usageData(event.meta.usage);
    const cost = context.cost(event.meta.usage);
    if (cost !== undefined) data.cost = cost;
  }
  if (event.meta.model !== undefined) data.model = event.meta.model;
  if (event.meta.durationMs !== undefined) data.durationMs = event.meta.durationMs;
  return data;
}

/**
 * The default translations: `llm.start`, `llm.delta`, `llm.final`, `llm.cancelled`, `llm.error`,
 * `llm.thinking.delta`, `llm.thinking.final`, `tool.start`, `tool.result`, `tool.done`.
 *
 * @example
 * const frames = defaultTranslations().translate(event, { entity: () => undefined, cost: () => undefined });
 */
export function defaultTranslations(): TranslationRegistry {
  return new TranslationRegistry()
    .on("start", (event) => [
      {
        type: "llm.start",
        id: messageId(event),
        kind: "assistant",
        status: "streaming",
        data: event.meta.model === undefined ? {} : { model: event.meta.model },
      },
    ])
    .on("partial", (event) => [
      { type: "llm.delta", id: messageId(event), kind: "assistant", append: event.delta },
    ])
    .on("partial-thinking", (event) => [
      {
        type: "llm.thinking.delta",
        id: reasoningId(event),
        kind: "reasoning",
        status: "streaming",
        append: event.delta,
      },
    ])
    .on("final", (event, context) => [
      ...closeReasoning(event, context, "done"),
      {
        type: "llm.final",
        id: messageId(event),
        kind: "assistant",
        status: "done",
        text: event.text,
        data: answerData(event, context),
      },
    ])
    .on("interrupt", (event, context) => [
      ...closeReasoning(event, context, "cancelled"),
      {
        type: "llm.cancelled",
        id: messageId(event),
        kind: "assistant",
        status: "cancelled",
        text: event.text,
        data: answerData(event, context),
      },
    ])
    .on("error", (event, context) => [
      ...closeReasoning(event, context, "error"),
      {
        type: "llm.error",
        id: messageId(event),
        kind: "assistant",
        status: "error",
        ...(event.text === undefined ? {} : { text: event.text }),
        data: {
          ...answerData(event, context),
          error: event.message,
          ...(event.code ? { code: event.code } : {}),
        },
      },
    ])
    .on("tool-call", (event) => [
      {
        type: "tool.start",
        id: `tool:${event.toolCall.id}`,
        kind: "tool",
        status: "streaming",
        data: { name: event.toolCall.name, args: event.toolCall.input as FrameValue },
      },
    ])
    .on("tool-call-execution-result", (event) => [
      {
        type: "tool.result",
        id: `tool:${event.toolResult.id}`,
        kind: "tool",
        data: {
          result: event.toolResult.result as FrameValue,
          ...(event.toolResult.error === undefined ? {} : { error: event.toolResult.error }),
          ...(event.toolResult.durationMs === undefined ? {} : { durationMs: event.toolResult.durationMs }),
        },
      },
    ])
    .on("tool-result", (event) => [
      {
        type: "tool.done",
        id: `tool:${event.toolResult.id}`,
        kind: "tool",
        status: event.toolResult.error === undefined ? "done" : "error",
        // A call that never ran (denied at approval, say) has no execution result: its error comes here.
        ...(event.toolResult.error === undefined ? {} : { data: { error: event.toolResult.error } }),
      },
    ]);
}
