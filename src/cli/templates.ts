/**
 * Prompt templates for `geppetto run --template NAME -v key=value`: a YAML file with a prompt, a system prompt,
 * a model and default values, whose `{{name}}` placeholders are filled from `-v` (and `{{input}}` from the
 * prompt given as arguments or on standard input). NAME is a file in `$XDG_CONFIG_HOME/geppetto/templates/`
 * (`NAME.yaml`), or a path to one.
 *
 * ```yaml
 * # ~/.config/geppetto/templates/summarize.yaml
 * description: Summarize a text
 * system: You write plain {{language}}.
 * prompt: "Summarize in at most {{words}} words:\n\n{{input}}"
 * model: openai:gpt-4o-mini   # as -m; a model or profile flag given now wins
 * defaults: { words: 50, language: English }
 * ```
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { renderTemplate } from "../middleware/system-prompt.ts";
import { configFolder } from "../settings/layers.ts";
import { lazy, loadYaml, loadZod } from "../turns/lazy-modules.ts";
import type { CliIO } from "./main.ts";
import { didYouMean } from "./suggest.ts";
import { UsageError } from "./usage.ts";

/** A loaded template. */
export interface PromptTemplate {
  /** Where it was read from. */
  path: string;
  description?: string;
  system?: string;
  prompt?: string;
  /** A model id (`provider:model`) or a profile name, used as `-m` when no model flag is given. */
  model?: string;
  /** Values of variables `-v` does not set. */
  defaults: Record<string, string>;
}

// zod and yaml load with the first template (imported, they would load with every bundled `run`).
const templateFile = lazy(() => {
  const z = loadZod();
  return z
    .object({
      description: z.string().optional(),
      system: z.string().optional(),
      prompt: z.string().optional(),
      model: z.string().optional(),
      defaults: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).optional(),
    })
    .strict();
});

/** The folder of the user's templates. */
export function templatesFolder(io: CliIO): string | undefined {
  const folder = configFolder(io.env);
  return folder === undefined ? undefined : join(folder, "templates");
}

function available(folder: string | undefined): string[] {
  if (folder === undefined || !existsSync(folder)) return [];
  return readdirSync(folder)
    .filter((file) => /\.ya?ml$/.test(file))
    .map((file) => file.replace(/\.ya?ml$/, ""))
    .sort();
}

/** Where `name` is: a path (it has a slash or a YAML extension), or a file of the templates folder. */
function locate(name: string, io: CliIO): string {
  if (name.includes("/") || /\.ya?ml$/.test(name)) {
    const path = resolve(io.cwd ?? process.cwd(), name);
    if (!existsSync(path)) throw new UsageError(`--template ${name}: no such file ${path}`);
    return path;
  }
  const folder = templatesFolder(io);
  for (const extension of ["yaml", "yml"]) {
    const path = folder === undefined ? undefined : join(folder, `${name}.${extension}`);
    if (path !== undefined && existsSync(path)) return path;
  }
  const names = available(folder);
  const known = names.length > 0 ? `; templates: ${names.join(", ")}` : "";
  throw new UsageError(
    `--template ${name}: no template "${name}" in ${folder ?? "(no config folder)"}${didYouMean(name, names, "")}${known}`,
  );
}

/**
 * Reads the template `name`; a missing file or a bad field is a UsageError naming the file and the field.
 *
 * @example
 * const template = loadTemplate("summarize", io); // ~/.config/geppetto/templates/summarize.yaml
 */
export function loadTemplate(name: string, io: CliIO): PromptTemplate {
  const path = locate(name, io);
  let document: unknown;
  try {
    document = loadYaml().parse(readFileSync(path, "utf8"));
  } catch (error) {
    throw new UsageError(`template ${path}: not valid YAML: ${(error as Error).message.split("\n")[0]}`);
  }
  const parsed = templateFile().safeParse(document ?? {});
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => {
      const where = issue.path.length > 0 ? issue.path.join(".") : "the file";
      if (issue.code === "unrecognized_keys") {
        return `unknown field ${issue.keys.join(", ")} (fields: description, system, prompt, model, defaults)`;
      }
      return `${where}: ${issue.code === "invalid_type" ? `expected ${issue.expected}` : issue.message}`;
    });
    throw new UsageError(`template ${path}: ${problems.join("; ")}`);
  }
  const { defaults = {}, ...fields } = parsed.data;
  const template: PromptTemplate = { path, defaults: {} };
  for (const [key, value] of Object.entries(defaults)) template.defaults[key] = String(value);
  if (fields.description !== undefined) template.description = fields.description;
  if (fields.system !== undefined) template.system = fields.system;
  if (fields.prompt !== undefined) template.prompt = fields.prompt;
  if (fields.model !== undefined) template.model = fields.model;
  return template;
}

/**
 * `-v key=value` flags as variables; a flag without `=` or with an empty key is a UsageError.
 *
 * @example
 * parseVariables(["words=20", "tone=dry"]) // { words: "20", tone: "dry" }
 */
export function parseVariables(flags: readonly string[]): Record<string, string> {
  const variables: Record<string, string> = {};
  for (const flag of flags) {
    const equals = flag.indexOf("=");
    if (equals <= 0) throw new UsageError(`-v ${flag}: expected key=value (for example -v words=50)`);
    variables[flag.slice(0, equals).trim()] = flag.slice(equals + 1);
  }
  return variables;
}

const PLACEHOLDER = /\{\{\s*([\w.-]+)\s*\}\}/g;

function placeholders(text: string | undefined): string[] {
  return text === undefined ? [] : Array.from(text.matchAll(PLACEHOLDER), (match) => match[1]!);
}

/**
 * The prompt and system prompt of `template` with `input` (the prompt given) and `variables` filled in. A
 * prompt without `{{input}}` gets the input after it. A placeholder with no value, or a `-v` the template
 * does not use, is a UsageError naming it and the template.
 *
 * @example
 * applyTemplate(template, "Long text…", { words: "20" }) // { prompt: "Summarize in at most 20 words:\n\nLong text…", system: … }
 */
export function applyTemplate(
  template: PromptTemplate,
  input: string,
  variables: Record<string, string>,
): { prompt: string; system?: string } {
  const used = new Set([...placeholders(template.prompt), ...placeholders(template.system)]);
  const values: Record<string, string> = { ...template.defaults, ...variables, input: input.trim() };
  for (const name of Object.keys(variables)) {
    if (!used.has(name)) {
      const names = [...used].filter((known) => known !== "input");
      throw new UsageError(
        `-v ${name}: template ${template.path} has no {{${name}}}${didYouMean(name, names, "")} (its variables: ${names.join(", ") || "none"})`,
      );
    }
  }
  const missing = [...used].filter((name) => values[name] === undefined);
  if (missing.length > 0) {
    throw new UsageError(
      `template ${template.path} needs ${missing.map((name) => `-v ${name}=…`).join(" ")} (no value and no default)`,
    );
  }
  let prompt = template.prompt === undefined ? input : renderTemplate(template.prompt, values);
  if (template.prompt !== undefined && !used.has("input") && input.trim() !== "") {
    prompt = `${prompt.trim()}\n\n${input.trim()}`;
  }
  if (prompt.trim() === "") {
    throw new UsageError(
      `template ${template.path} has no prompt: give one as arguments or on standard input`,
    );
  }
  return {
    prompt,
    ...(template.system === undefined ? {} : { system: renderTemplate(template.system, values) }),
  };
}
