/**
 * The one shape every validation in geppetto answers with — tool input, structured output, typed keys,
 * serialized Turns — and small field checkers for the configs the core validates without loading zod.
 */

/**
 * One problem: where (`temperature`, `blocks[3].payload.args`, `$.items[0]`), what, and a code when known.
 *
 * @example
 * const issue: ValidationIssue = { path: "$.city", message: "expected string, got number" };
 */
export interface ValidationIssue {
  path: string;
  message: string;
  code?: string;
}

/**
 * The outcome of a validation: the accepted value, or every issue found.
 *
 * @example
 * const outcome: ValidationOutcome<number> = { ok: false, issues: [{ path: "n", message: "must be a number" }] };
 * if (!outcome.ok) console.log(formatIssues(outcome.issues));
 */
export type ValidationOutcome<T> = { ok: true; value: T } | { ok: false; issues: ValidationIssue[] };

/**
 * Something that validates a value into a `T`. Typed keys accept one (as they accept a zod schema).
 *
 * @example
 * const KeyRetries = turnDataKey<number>("app", "retries", 1, validatorOf(check.number({ integer: true, min: 0 })));
 */
export interface Validator<T> {
  validate(value: unknown): ValidationOutcome<T>;
}

/**
 * The issues as one line, for error messages and tool results (`path: message; …`, at most `limit`).
 *
 * @example
 * formatIssues([{ path: "temperature", message: "must be at most 2" }]) // "temperature: must be at most 2"
 */
export function formatIssues(issues: readonly ValidationIssue[], limit = 5): string {
  const shown = issues
    .slice(0, limit)
    .map((issue) => (issue.path ? `${issue.path}: ${issue.message}` : issue.message));
  const more = issues.length > limit ? ` (and ${issues.length - limit} more)` : "";
  return `${shown.join("; ")}${more}`;
}

/**
 * A field check: records what is wrong in `issues` (under `path`) and returns the accepted value.
 *
 * @example
 * const percent: FieldCheck = check.number({ min: 0, max: 100 });
 */
export type FieldCheck = (value: unknown, path: string, issues: ValidationIssue[]) => unknown;

const fail = (issues: ValidationIssue[], path: string, message: string): undefined => {
  issues.push({ path, message, code: "invalid_value" });
  return undefined;
};

/**
 * Field checkers: each returns the accepted value (objects copied with only their known fields).
 *
 * @example
 * const config = check.object({ temperature: check.number({ min: 0, max: 2 }), stop: check.arrayOf(check.string()) });
 */
export const check = {
  number(options: { min?: number; max?: number; integer?: boolean; positive?: boolean } = {}): FieldCheck {
    return (value, path, issues) => {
      if (typeof value !== "number" || !Number.isFinite(value)) return fail(issues, path, "must be a number");
      if (options.integer && !Number.isInteger(value)) return fail(issues, path, "must be an integer");
      if (options.positive && value <= 0) return fail(issues, path, "must be greater than 0");
      if (options.min !== undefined && value < options.min)
        return fail(issues, path, `must be at least ${options.min}`);
      if (options.max !== undefined && value > options.max)
        return fail(issues, path, `must be at most ${options.max}`);
      return value;
    };
  },
  boolean(): FieldCheck {
    return (value, path, issues) =>
      typeof value === "boolean" ? value : fail(issues, path, "must be a boolean");
  },
  string(): FieldCheck {
    return (value, path, issues) =>
      typeof value === "string" ? value : fail(issues, path, "must be a string");
  },
  oneOf(values: readonly string[]): FieldCheck {
    return (value, path, issues) =>
      typeof value === "string" && values.includes(value)
        ? value
        : fail(issues, path, `must be one of ${values.map((each) => JSON.stringify(each)).join(", ")}`);
  },
  arrayOf(item: FieldCheck): FieldCheck {
    return (value, path, issues) => {
      if (!Array.isArray(value)) return fail(issues, path, "must be an array");
      return value.map((each, index) => item(each, `${path}[${index}]`, issues));
    };
  },
  /** A record: every key matches `key`, every value passes `item` (a plain object; arrays are refused). */
  recordOf(key: RegExp, keyRule: string, item: FieldCheck): FieldCheck {
    return (value, path, issues) => {
      if (typeof value !== "object" || value === null || Array.isArray(value)) {
        return fail(issues, path, "must be an object");
      }
      const out: Record<string, unknown> = {};
      for (const [name, raw] of Object.entries(value)) {
        const where = path ? `${path}.${name}` : name;
        if (!key.test(name)) fail(issues, where, `key must be ${keyRule}`);
        else out[name] = item(raw, where, issues);
      }
      return out;
    };
  },
  /** An object with optional fields (but the `required` ones); unknown fields are dropped. */
  object(fields: Record<string, FieldCheck>, required: readonly string[] = []): FieldCheck {
    return (value, path, issues) => {
      if (typeof value !== "object" || value === null || Array.isArray(value)) {
        return fail(issues, path, "must be an object");
      }
      const out: Record<string, unknown> = {};
      for (const [name, field] of Object.entries(fields)) {
        const raw = (value as Record<string, unknown>)[name];
        if (raw === undefined) {
          if (required.includes(name)) fail(issues, path ? `${path}.${name}` : name, "is required");
          continue;
        }
        const checked = field(raw, path ? `${path}.${name}` : name, issues);
        if (checked !== undefined) out[name] = checked;
      }
      return out;
    };
  },
  /** The first alternative that accepts the value; the last one's issues otherwise. */
  either(...alternatives: FieldCheck[]): FieldCheck {
    return (value, path, issues) => {
      let last: ValidationIssue[] = [];
      for (const alternative of alternatives) {
        last = [];
        const checked = alternative(value, path, last);
        if (last.length === 0) return checked;
      }
      issues.push(...last);
      return undefined;
    };
  },
};

/**
 * A Validator from a field check.
 *
 * @example
 * const validator = validatorOf<{ n?: number }>(check.object({ n: check.number() }));
 * validator.validate({ n: "x" }) // { ok: false, issues: [{ path: "n", message: "must be a number", … }] }
 */
export function validatorOf<T>(field: FieldCheck): Validator<T> {
  return {
    validate(value) {
      const issues: ValidationIssue[] = [];
      const checked = field(value, "", issues);
      return issues.length > 0 ? { ok: false, issues } : { ok: true, value: checked as T };
    },
  };
}
