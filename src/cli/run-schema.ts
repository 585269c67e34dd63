/**
 * `geppetto run --schema schema.json` (or a module exporting a zod schema): asks for an answer that follows the
 * schema, prints the validated object as JSON, and exits 1 with every attempt's issues when none validates.
 */
import { readFileSync } from "node:fs";
import { extname, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import type { ObjectSchema } from "../app/object-schema.ts";
import type { Engine } from "../engine/engine.ts";
import { GeppettoError } from "../engine/errors.ts";
import type { RunContext } from "../events/context.ts";
import type { ToolRegistry } from "../tools/registry.ts";
import type { Turn } from "../turns/types.ts";
import type { CliIO } from "./main.ts";
import { UsageError } from "./usage.ts";

function isSchema(value: unknown): value is ObjectSchema {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * Reads a `--schema` file: a JSON schema (`.json`), or a module whose `default` or `schema` export is a zod
 * schema, another Standard Schema or a JSON schema object. Problems are UsageErrors naming the file.
 *
 * @example
 * const schema = await loadSchemaFile("./person.ts", process.cwd());
 */
export async function loadSchemaFile(path: string, cwd: string): Promise<ObjectSchema> {
  const file = resolve(cwd, path);
  if (extname(file) === ".json") {
    let text: string;
    try {
      text = readFileSync(file, "utf8");
    } catch (error) {
      throw new UsageError(`--schema: cannot read ${file}: ${(error as Error).message}`);
    }
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (error) {
      throw new UsageError(`--schema: ${file} is not JSON: ${(error as Error).message}`);
    }
    if (!isSchema(value)) throw new UsageError(`--schema: ${file} must hold a JSON schema object`);
    return value;
  }
  let exports: Record<string, unknown>;
  try {
    exports = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
  } catch (error) {
    throw new UsageError(`--schema: cannot load ${file}: ${(error as Error).message}`);
  }
  const schema = exports.default ?? exports.schema;
  if (!isSchema(schema)) {
    throw new UsageError(
      `--schema: ${file} must export a schema as \`default\` or \`schema\` (zod, Standard Schema or JSON schema)`,
    );
  }
  return schema;
}

/** What `run --schema` needs from the command. */
export interface SchemaRun {
  schemaPath: string;
  engine: Engine;
  apiType?: string;
  input: Turn;
  ctx: RunContext;
  registry?: ToolRegistry;
  io: CliIO;
}

/**
 * Runs `generateObject` and prints the object (exit 0), or the issues of every attempt on stderr (exit 1).
 * Returns the exit code and the Turn to save.
 */
export async function runWithSchema(options: SchemaRun): Promise<{ code: number; turn?: Turn }> {
  const schema = await loadSchemaFile(options.schemaPath, options.io.cwd ?? process.cwd());
  const { generateObject, NoObjectGeneratedError } = await import("../app/generate-object.ts");
  try {
    const out = await generateObject({
      model: options.engine,
      schema,
      turn: options.input,
      context: options.ctx,
      ...(options.apiType ? { apiType: options.apiType } : {}),
      ...(options.registry ? { tools: options.registry } : {}),
    });
    options.io.stdout.write(`${JSON.stringify(out.object, null, 2)}\n`);
    return { code: 0, turn: out.turn };
  } catch (error) {
    if (!(error instanceof NoObjectGeneratedError)) throw error;
    const lines = error.attempts.map(
      (attempt, index) =>
        `attempt ${index + 1}: ${attempt.issues.map((issue) => `${issue.path}: ${issue.message}`).join("; ") || "no answer"}\n` +
        `  answer: ${attempt.text.length > 400 ? `${attempt.text.slice(0, 400)}…` : attempt.text}`,
    );
    options.io.stderr.write(`geppetto run: ${error.message}\n${lines.join("\n")}\n`);
    return GeppettoError.is(error) && error.turn ? { code: 1, turn: error.turn } : { code: 1 };
  }
}
