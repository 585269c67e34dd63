/**
 * Usage errors (exit code 2) and argument parsing on top of node:util's parseArgs.
 */
import { type ParseArgsConfig, parseArgs } from "node:util";
import { GeppettoError } from "../engine/errors.ts";
import { didYouMean } from "./suggest.ts";

/** Bad command-line usage: the CLI prints the message and exits 2. */
export class UsageError extends GeppettoError {
  override name = "UsageError";
  constructor(message: string) {
    super(message, { code: "usage", fault: "caller" });
  }
}

type Options = NonNullable<ParseArgsConfig["options"]>;

/**
 * Parses `argv` against `options`; unknown flags and missing values become UsageErrors in our words, with the
 * closest known flag for a typo (`unknown option --sytem (did you mean --system?)`).
 */
export function parseCommandLine<O extends Options>(argv: string[], options: O) {
  try {
    return parseArgs({ args: argv, options, allowPositionals: true, strict: true });
  } catch (error) {
    throw new UsageError(parseProblem(error as Error & { code?: string }, options));
  }
}

function parseProblem(error: Error & { code?: string }, options: Options): string {
  const flag = /'(-[^' ]*)/.exec(error.message)?.[1];
  if (error.code === "ERR_PARSE_ARGS_UNKNOWN_OPTION" && flag !== undefined) {
    const typed = flag.replace(/^-+/, "").replace(/=.*$/, "");
    const hint = flag.startsWith("--") ? didYouMean(typed, Object.keys(options), "--") : "";
    return `unknown option ${flag}${hint} (see --help)`;
  }
  if (error.code === "ERR_PARSE_ARGS_INVALID_OPTION_VALUE") {
    const name = /--[a-z0-9-]+/.exec(error.message)?.[0] ?? flag;
    if (/argument missing/.test(error.message)) return `${name} needs a value`;
    if (/does not take an argument/.test(error.message)) return `${name} takes no value`;
  }
  return error.message.replace(/\. To specify a positional argument.*$/s, "");
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
