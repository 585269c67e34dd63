/**
 * The web chat's wire vocabulary: frames (what the server sends over the WebSocket) and entities (what the
 * timeline stores and the browser shows). Pure data and one pure function, shared by the server's timeline
 * projector and the browser bundle, so both fold frames into entities the same way.
 *
 * A frame changes one entity, named by a stable id: an answer's `llm.start`, its `llm.delta`s and its
 * `llm.final` all address `msg:<message id>`; a tool call's `tool.start`, `tool.result` and `tool.done` address
 * `tool:<call id>`. `seq` increases by one per frame within a conversation and is the timeline version after
 * the frame: hydration returns the version it reflects, and a client applies only frames with a newer seq.
 */

/** JSON values carried in frames. */
export type FrameValue = string | number | boolean | null | FrameValue[] | { [key: string]: FrameValue };

/** How far an entity has come. */
export type EntityStatus = "streaming" | "done" | "cancelled" | "error";

/**
 * A frame as a translation produces it (the conversation adds `seq` and `convId`).
 *
 * @example
 * const draft: FrameDraft = { type: "llm.delta", id: "msg:1", kind: "assistant", append: "Hel" };
 */
export interface FrameDraft {
  /** The frame type, dotted: `llm.start`, `llm.delta`, `tool.result`, `myapp.progress`. */
  type: string;
  /** The entity this frame changes (created by its first frame). */
  id: string;
  /** The entity's kind: `user`, `assistant`, `reasoning`, `tool`, or an application's own. */
  kind: string;
  /** The entity's new status. */
  status?: EntityStatus;
  /** Replaces the entity's text. */
  text?: string;
  /** Appended to the entity's text (after `text`, when both are set). */
  append?: string;
  /** Merged into the entity's data (a field set to `null` is removed). */
  data?: Record<string, FrameValue>;
}

/** A frame on the wire. */
export interface Frame extends FrameDraft {
  /** Strictly increasing within the conversation; the timeline version once this frame is applied. */
  seq: number;
  convId: string;
}

/**
 * The current state of one timeline entity: a user message, an answer, its reasoning, a tool call, or an
 * application's own kind.
 *
 * @example
 * const answer: Entity = { id: "msg:1", kind: "assistant", order: 3, version: 9, status: "done", text: "Hi", data: {} };
 */
export interface Entity {
  id: string;
  kind: string;
  /** The seq of the frame that created it: entities are shown in this order. */
  order: number;
  /** The seq of the last frame that changed it. */
  version: number;
  status: EntityStatus;
  text: string;
  data: Record<string, FrameValue>;
}

/**
 * Folds one frame into the entity it addresses (`undefined` when the frame creates it) and returns the new
 * state, leaving the given entity unchanged. Work is proportional to the frame, never to the entity's text so
 * far (appending to a string is cheap).
 *
 * @example
 * const next = applyFrame(undefined, { seq: 1, convId: "c", type: "llm.start", id: "msg:1", kind: "assistant", status: "streaming" });
 */
export function applyFrame(entity: Entity | undefined, frame: Frame): Entity {
  return foldFrame(entity ? { ...entity } : undefined, frame);
}

/**
 * Like {@link applyFrame}, but changes `entity` itself (for an owner of the entity, such as the timeline, that
 * need not keep the previous state).
 *
 * @example
 * foldFrame(entity, { seq: 2, convId: "c", type: "llm.delta", id: "msg:1", kind: "assistant", append: "Hi" });
 */
export function foldFrame(entity: Entity | undefined, frame: Frame): Entity {
  const next: Entity = entity ?? {
    id: frame.id,
    kind: frame.kind,
    order: frame.seq,
    version: frame.seq,
    status: "streaming",
    text: "",
    data: {},
  };
  next.version = frame.seq;
  if (frame.status !== undefined) next.status = frame.status;
  if (frame.text !== undefined) next.text = frame.text;
  if (frame.append !== undefined) next.text += frame.append;
  if (frame.data !== undefined) {
    const data = { ...next.data };
    for (const [key, value] of Object.entries(frame.data)) {
      if (value === null) delete data[key];
      else data[key] = value;
    }
    next.data = data;
  }
  return next;
}

/** What `GET /api/timeline` answers: every entity changed after `sinceVersion`, in display order. */
export interface TimelineSnapshot {
  convId: string;
  /** The seq of the last frame these entities reflect. */
  version: number;
  entities: Entity[];
}

/** One conversation in `GET /api/conversations` (newest first). */
export interface ConversationSummary {
  convId: string;
  title: string;
  createdAt: string;
  updatedAt: string;
  version: number;
}
