/**
 * Turn serialization: JSON and YAML in a versioned format (`format: "geppetto.turn/v1"`), validated with zod on
 * load. A bad document gets an error naming the path inside it (`blocks[3].payload.args: expected object`).
 * Unknown fields on payloads and metadata are kept, so a file written by a newer geppetto loses nothing.
 */
import type * as Zod from "zod";
import { GeppettoError } from "../engine/errors.ts";
import type { ValidationIssue } from "../engine/validation.ts";
import type { JsonObject, JsonValue } from "./json.ts";
import { lazy, loadYaml, loadZod } from "./lazy-modules.ts";
import type { Block, Turn } from "./types.ts";

/** The format tag written into every serialized Turn. */
export const TURN_FORMAT = "geppetto.turn/v1";

function buildTurnDocumentSchema(z: typeof Zod) {
  const jsonValue: Zod.ZodType<JsonValue> = z.lazy(() =>
    z.union([
      z.string(),
      z.number(),
      z.boolean(),
      z.null(),
      z.array(jsonValue),
      z.record(z.string(), jsonValue),
    ]),
  );
  const jsonObject = z.record(z.string(), jsonValue, {
    error: (issue) =>
      issue.input === undefined ? "required" : `expected object, got ${describe(issue.input)}`,
  });

  function describe(value: unknown): string {
    if (value === null) return "null";
    if (Array.isArray(value)) return "array";
    return typeof value;
  }

  const imagePart = z.looseObject({
    mediaType: z.string(),
    url: z.string().optional(),
    data: z.string().optional(),
    fileId: z.string().optional(),
    detail: z.string().optional(),
  });
  const documentPart = z.looseObject({
    mediaType: z.string(),
    data: z.string(),
    filename: z.string().optional(),
  });
  const textPayload = z.looseObject({
    text: z.string(),
    images: z.array(imagePart).optional(),
    documents: z.array(documentPart).optional(),
  });
  const payloads = {
    system: textPayload,
    user: textPayload,
    llm_text: textPayload,
    tool_call: z.looseObject({
      id: z.string(),
      name: z.string(),
      args: jsonObject,
      argsText: z.string().optional(),
    }),
    tool_use: z.looseObject({
      id: z.string(),
      name: z.string().optional(),
      result: jsonValue,
      error: z.string().optional(),
    }),
    reasoning: z.looseObject({
      text: z.string().optional(),
      summary: z.array(z.string()).optional(),
      encryptedContent: z.string().optional(),
      signature: z.string().optional(),
      itemId: z.string().optional(),
      redacted: z.boolean().optional(),
    }),
    other: z.looseObject({ type: z.string(), data: jsonValue }),
  };
  const role = z.enum(["system", "user", "assistant", "tool", "developer"]);

  function blockOf<K extends keyof typeof payloads>(kind: K) {
    return z.looseObject({
      id: z.string(),
      kind: z.literal(kind),
      role: role.optional(),
      payload: payloads[kind],
      metadata: jsonObject.default({}),
    });
  }

  const block = z.discriminatedUnion("kind", [
    blockOf("system"),
    blockOf("user"),
    blockOf("llm_text"),
    blockOf("tool_call"),
    blockOf("tool_use"),
    blockOf("reasoning"),
    blockOf("other"),
  ]);

  return z.object({
    format: z.literal(TURN_FORMAT),
    id: z.string(),
    blocks: z.array(block),
    metadata: jsonObject.default({}),
    data: jsonObject.default({}),
  });
}

/** The zod schema of a serialized Turn (the document, including its `format` tag), built on first use. */
export const turnDocumentSchema: () => ReturnType<typeof buildTurnDocumentSchema> = lazy(() =>
  buildTurnDocumentSchema(loadZod()),
);

/** Thrown when a document is not a valid serialized Turn. `issues` holds every problem with its path. */
export class TurnFormatError extends GeppettoError {
  override name = "TurnFormatError";
  constructor(
    message: string,
    readonly issues: ValidationIssue[],
    readonly source?: string,
  ) {
    super(message, { code: "invalid_turn_format", fault: "caller" });
  }
}

/** Formats a zod issue path as `blocks[3].payload.args`. */
export function formatIssuePath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const part of path) {
    if (typeof part === "number") out += `[${part}]`;
    else out += out === "" ? String(part) : `.${String(part)}`;
  }
  return out || "(document)";
}

/**
 * Validates a parsed document and returns the Turn it holds.
 * @param source names the document in error messages (a file path, say)
 */
export function turnFromDocument(document: unknown, source?: string): Turn {
  const parsed = turnDocumentSchema().safeParse(document);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((issue) => ({
      path: formatIssuePath(issue.path),
      message: issue.message.replace(/^Invalid input: /, ""),
    }));
    const where = source ? `${source}: ` : "";
    const shown = issues
      .slice(0, 5)
      .map((issue) => `${issue.path}: ${issue.message}`)
      .join("; ");
    const more = issues.length > 5 ? ` (and ${issues.length - 5} more)` : "";
    throw new TurnFormatError(`${where}invalid turn: ${shown}${more}`, issues, source);
  }
  // zod checked the document; the Turn is built from the document's own objects, because zod's output copies
  // records by assignment and so would turn a `__proto__` key (valid JSON, and a tool may take one) into a prototype.
  const valid = document as { id: string; blocks: Block[]; metadata?: JsonObject; data?: JsonObject };
  return {
    id: valid.id,
    blocks: valid.blocks.map((block) => (block.metadata === undefined ? { ...block, metadata: {} } : block)),
    metadata: valid.metadata ?? {},
    data: valid.data ?? {},
  };
}

/**
 * Validates one parsed block (as stored on its own, say) and returns it; the error names the path inside it.
 * @param source names the block in error messages
 */
export function blockFromDocument(document: unknown, source?: string): Block {
  const parsed = turnDocumentSchema().shape.blocks.element.safeParse(document);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((issue) => ({
      path: formatIssuePath(issue.path),
      message: issue.message.replace(/^Invalid input: /, ""),
    }));
    const shown = issues.map((issue) => `${issue.path}: ${issue.message}`).join("; ");
    throw new TurnFormatError(`${source ? `${source}: ` : ""}invalid block: ${shown}`, issues, source);
  }
  // As in turnFromDocument: the document's own objects, so a `__proto__` key stays data.
  const block = document as Block;
  return block.metadata === undefined ? { ...block, metadata: {} } : block;
}

/** The document form of a Turn (with its `format` tag), ready for JSON or YAML. */
export function turnToDocument(turn: Turn): { format: string } & Turn {
  return { format: TURN_FORMAT, id: turn.id, blocks: turn.blocks, metadata: turn.metadata, data: turn.data };
}

/** Serializes a Turn as JSON. */
export function turnToJson(turn: Turn, indent: number | undefined = 2): string {
  return JSON.stringify(turnToDocument(turn), null, indent);
}

/** Parses and validates a Turn from JSON. */
export function turnFromJson(text: string, source?: string): Turn {
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch (error) {
    throw new TurnFormatError(
      `${source ? `${source}: ` : ""}not JSON: ${(error as Error).message}`,
      [],
      source,
    );
  }
  return turnFromDocument(document, source);
}

/** Serializes a Turn as YAML. */
export function turnToYaml(turn: Turn): string {
  return loadYaml().stringify(turnToDocument(turn), { lineWidth: 0, aliasDuplicateObjects: false });
}

/** Parses and validates a Turn from YAML. */
export function turnFromYaml(text: string, source?: string): Turn {
  let document: unknown;
  try {
    document = loadYaml().parse(text, { uniqueKeys: true, strict: true });
  } catch (error) {
    throw new TurnFormatError(
      `${source ? `${source}: ` : ""}not YAML: ${(error as Error).message}`,
      [],
      source,
    );
  }
  return turnFromDocument(document, source);
}
