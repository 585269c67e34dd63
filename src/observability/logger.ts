/**
 * The logger on the run context: five levels (error, warn, info, debug, trace) with structured fields. The
 * default writes nothing and costs one comparison per call site; `createConsoleLogger` writes one line per entry
 * to stderr; `pinoLogger` forwards to a pino (or pino-like) logger the application already has.
 */
import { CallerError } from "../engine/errors.ts";

/** Log levels, most severe first. */
export type LogLevel = "error" | "warn" | "info" | "debug" | "trace";

/** A level, or `silent` for a logger that writes nothing. */
export type LogThreshold = LogLevel | "silent";

/** Structured fields of an entry: JSON-like values. */
export type LogFields = Record<string, unknown>;

/**
 * What geppetto logs to. `level` is the most verbose level written; callers skip building an entry above it
 * (use {@link logEnabled}).
 *
 * @example
 * const logger: Logger = { level: "debug", log: (level, message, fields) => console.error(level, message, fields) };
 * const ctx = RunContext.background().withLogger(logger);
 */
export interface Logger {
  readonly level: LogThreshold;
  /**
   * Trace-level request dumps keep provider ids, encrypted reasoning and signatures (`--log-unredacted`).
   * API keys are removed regardless.
   */
  readonly unredacted?: boolean;
  log(level: LogLevel, message: string, fields?: LogFields): void;
}

const RANK: Record<LogThreshold, number> = { silent: 0, error: 1, warn: 2, info: 3, debug: 4, trace: 5 };

/**
 * True when `logger` writes entries of `level`.
 *
 * @example
 * if (logEnabled(ctx.logger, "trace")) ctx.logger.log("trace", "request body", { body: dump(body) });
 */
export function logEnabled(logger: Logger, level: LogLevel): boolean {
  return RANK[logger.level] >= RANK[level];
}

/**
 * The default logger: writes nothing.
 *
 * @example
 * RunContext.background().logger === silentLogger // true
 */
export const silentLogger: Logger = Object.freeze({ level: "silent" as const, log: () => {} });

let processDefault: Logger = silentLogger;

/**
 * Sets the logger of every context made by `RunContext.background()` from now on (an application's global
 * default; the CLI sets it from `--log-level` and `GEPPETTO_LOG`). A context's own `withLogger` wins.
 *
 * @example
 * setDefaultLogger(createConsoleLogger({ level: "debug" }));
 */
export function setDefaultLogger(logger: Logger): void {
  processDefault = logger;
}

/** The logger `RunContext.background()` starts with ({@link silentLogger} unless {@link setDefaultLogger} was called). */
export function defaultLogger(): Logger {
  return processDefault;
}

/**
 * Reads a level name (`GEPPETTO_LOG`, `--log-level`), case-insensitively; throws naming the bad value and
 * `where` it came from.
 *
 * @example
 * parseLogLevel("DEBUG", "GEPPETTO_LOG") // "debug"
 */
export function parseLogLevel(value: string, where = "log level"): LogThreshold {
  const level = value.trim().toLowerCase();
  if (level === "" || level === "off" || level === "none") return "silent";
  if (level in RANK) return level as LogThreshold;
  throw new CallerError(
    `${where}: unknown log level "${value}" (expected error, warn, info, debug, trace or silent)`,
    { code: "invalid_settings" },
  );
}

/** Where {@link createConsoleLogger} writes. */
export interface LogStream {
  write(text: string): unknown;
}

/** Options of {@link createConsoleLogger}. */
export interface ConsoleLoggerOptions {
  /** Most verbose level written (default `info`). */
  level?: LogThreshold;
  /** Default `process.stderr`. */
  stream?: LogStream;
  /** `text` (default): `geppetto debug message key=value…`, multi-line values indented; `json`: one object per line. */
  format?: "text" | "json";
  /** Keep provider ids, encrypted reasoning and signatures in trace dumps (never API keys). */
  unredacted?: boolean;
  /** Clock for the `time` field of JSON lines (tests). */
  now?: () => Date;
}

function formatValue(value: unknown): string {
  if (typeof value === "string") return /[\s"=]/.test(value) ? JSON.stringify(value) : value;
  return JSON.stringify(value) ?? String(value);
}

/**
 * A logger writing one line per entry (stderr by default). A string field holding several lines (a YAML request
 * dump) is written below the line, indented.
 *
 * @example
 * const ctx = RunContext.background().withLogger(createConsoleLogger({ level: "debug" }));
 * // geppetto debug request provider=openai model=gpt-4o-mini url=https://api.openai.com/v1/chat/completions …
 */
export function createConsoleLogger(options: ConsoleLoggerOptions = {}): Logger {
  const stream = options.stream ?? process.stderr;
  const level = options.level ?? "info";
  if (options.format === "json") {
    const now = options.now ?? (() => new Date());
    return {
      level,
      unredacted: options.unredacted === true,
      log(entryLevel, message, fields) {
        if (RANK[level] < RANK[entryLevel]) return;
        stream.write(
          `${JSON.stringify({ time: now().toISOString(), level: entryLevel, message, ...fields })}\n`,
        );
      },
    };
  }
  return {
    level,
    unredacted: options.unredacted === true,
    log(entryLevel, message, fields) {
      if (RANK[level] < RANK[entryLevel]) return;
      let line = `geppetto ${entryLevel} ${message}`;
      let blocks = "";
      for (const [name, value] of Object.entries(fields ?? {})) {
        if (value === undefined) continue;
        if (typeof value === "string" && value.includes("\n")) {
          blocks += `  ${name}:\n${value.replace(/^/gm, "    ").trimEnd()}\n`;
        } else line += ` ${name}=${formatValue(value)}`;
      }
      stream.write(`${line}\n${blocks}`);
    },
  };
}

/** The part of a pino logger {@link pinoLogger} uses (pino, or any logger with the same methods). */
export interface PinoLike {
  level: string;
  error(fields: object, message: string): void;
  warn(fields: object, message: string): void;
  info(fields: object, message: string): void;
  debug(fields: object, message: string): void;
  trace(fields: object, message: string): void;
}

/**
 * Forwards to a pino logger (no dependency: anything with pino's methods works). Its level is read on each
 * check, so changing `pino.level` later applies.
 *
 * @example
 * import pino from "pino";
 * const ctx = RunContext.background().withLogger(pinoLogger(pino({ level: "debug" })));
 */
export function pinoLogger(pino: PinoLike): Logger {
  return {
    get level(): LogThreshold {
      const level = pino.level;
      if (level === "fatal") return "error";
      return level in RANK ? (level as LogThreshold) : "silent";
    },
    log(level, message, fields) {
      pino[level](fields ?? {}, message);
    },
  };
}
