/**
 * Reading a stored timeline entity back, for every timeline store (SQLite here, PostgreSQL in
 * `geppetto/stores/postgres`): a row that is not an entity (its data not a JSON object, an unknown status) is
 * refused with an error naming the store, the conversation, the entity and the column, instead of reaching a
 * browser half-read.
 */
import { GeppettoError } from "../engine/errors.ts";
import type { Entity, EntityStatus } from "./frames.ts";

/**
 * A stored timeline entity that cannot be read.
 *
 * @example
 * try { await timeline.snapshot("c1") } catch (error) { if (error instanceof CorruptTimelineError) console.error(error.message) }
 */
export class CorruptTimelineError extends GeppettoError {
  override name = "CorruptTimelineError";
  constructor(
    readonly convId: string,
    readonly entityId: string,
    where: string,
    problem: string,
    cause?: unknown,
  ) {
    super(`corrupt web chat timeline in ${where}: conversation ${convId}, entity ${entityId}, ${problem}`, {
      code: "corrupt_timeline",
      fault: "caller",
      cause,
    });
  }
}

/**
 * An entity row as both stores read it (PostgreSQL's BIGINT columns arrive as strings).
 *
 * @example
 * const row: StoredEntityRow = { entity_id: "msg:1", kind: "assistant", ord: 2, version: 5, status: "done", text: "Hi", data: "{}" };
 */
export interface StoredEntityRow {
  entity_id: string;
  kind: string;
  ord: number | string;
  version: number | string;
  status: string;
  text: string;
  data: string;
}

const STATUSES: ReadonlySet<string> = new Set<EntityStatus>(["streaming", "done", "cancelled", "error"]);

/**
 * The entity a stored row holds, or a {@link CorruptTimelineError} naming `where` (the store), the conversation,
 * the entity and the column.
 *
 * @example
 * const entity = entityFromRow("./webchat.db", "c1", row);
 */
export function entityFromRow(where: string, convId: string, row: StoredEntityRow): Entity {
  const fail = (problem: string, cause?: unknown) =>
    new CorruptTimelineError(convId, row.entity_id, where, problem, cause);
  let data: unknown;
  try {
    data = JSON.parse(row.data);
  } catch (error) {
    throw fail(`column data: not JSON (${(error as Error).message})`, error);
  }
  if (typeof data !== "object" || data === null || Array.isArray(data)) {
    throw fail("column data: not a JSON object");
  }
  if (!STATUSES.has(row.status)) throw fail(`column status: unknown status ${JSON.stringify(row.status)}`);
  return {
    id: row.entity_id,
    kind: row.kind,
    order: Number(row.ord),
    version: Number(row.version),
    status: row.status as EntityStatus,
    text: row.text,
    data: data as Entity["data"],
  };
}
