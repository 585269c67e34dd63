/**
 * Template variables of a session: `{{name}}` placeholders rendered strictly (an unknown name is an error
 * naming it and the template it is in, never an empty string).
 */
import { GeppettoError } from "../engine/errors.ts";

/**
 * A template names a variable the session does not have.
 *
 * @example
 * catch (error) { if (error instanceof UnknownVariableError) console.error(error.variable, error.where) }
 */
export class UnknownVariableError extends GeppettoError {
  override name = "UnknownVariableError";
  constructor(
    readonly variable: string,
    readonly where: string,
    known: string[],
  ) {
    const choices =
      known.length > 0 ? `known variables: ${known.sort().join(", ")}` : "the session has no variables";
    super(
      `unknown variable {{${variable}}} in ${where} (${choices}); set it with setVar("${variable}", value)`,
      {
        code: "unknown_variable",
        fault: "caller",
      },
    );
  }
}

const PLACEHOLDER = /\{\{\s*([\w.-]+)\s*\}\}/g;

/**
 * Renders `{{name}}` placeholders from `variables`; throws {@link UnknownVariableError} for a missing one.
 *
 * @example
 * renderVariables("Hello {{user}}", { user: "Ada" }, "the system prompt") // "Hello Ada"
 */
export function renderVariables(
  template: string,
  variables: Readonly<Record<string, string>>,
  where: string,
): string {
  return template.replace(PLACEHOLDER, (_match, name: string) => {
    const value = Object.hasOwn(variables, name) ? variables[name] : undefined;
    if (value === undefined) throw new UnknownVariableError(name, where, Object.keys(variables));
    return value;
  });
}
