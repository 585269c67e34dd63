/**
 * Usage errors (exit code 2) and argument parsing on top of node:util's parseArgs.
 */
import { type ParseArgsConfig, parseArgs } from "node:util";
import { GeppettoError } from "../engine/errors.ts";

/** Bad command-line usage: the CLI prints the message and exits 2. */
export class UsageError extends GeppettoError {
  override name = "UsageError";
  constructor(message: string) {
    super(message, { code: "usage", fault: "caller" });
  }
}

type Options = NonNullable<ParseArgsConfig["options"]>;

/** Parses `argv` against `options`; unknown flags and missing values become UsageErrors. */
export function parseCommandLine<O extends Options>(argv: string[], options: O) {
  try {
    return parseArgs({ args: argv, options, allowPositionals: true, strict: true });
  } catch (error) {
    throw new UsageError((error as Error).message.replace(/\. To specify a positional argument.*$/s, ""));
  }
}

/** Checks that a flag's value is one of `allowed`. */
export function oneOf<T extends string>(
  flag: string,
  value: string | undefined,
  allowed: readonly T[],
  fallback: T,
): T {
  if (value === undefined) return fallback;
  if ((allowed as readonly string[]).includes(value)) return value as T;
  throw new UsageError(`--${flag} must be one of ${allowed.join(", ")} (got "${value}")`);
}
