/**
 * Demo tools for `geppetto run --tools demo` and examples: the current time, and a calculator built on a small
 * recursive-descent parser (no `eval`, no `Function`).
 */
import { defineTool } from "./define-tool.ts";
import { ToolRegistry } from "./registry.ts";

const FUNCTIONS: Record<string, (value: number) => number> = {
  sqrt: Math.sqrt,
  abs: Math.abs,
  round: Math.round,
  floor: Math.floor,
  ceil: Math.ceil,
  ln: Math.log,
  log10: Math.log10,
  sin: Math.sin,
  cos: Math.cos,
  tan: Math.tan,
};
const CONSTANTS: Record<string, number> = { pi: Math.PI, e: Math.E };

/**
 * Evaluates an arithmetic expression: numbers, `+ - * / % ^`, parentheses, unary minus, the constants `pi`
 * and `e`, and the functions sqrt, abs, round, floor, ceil, ln, log10, sin, cos, tan. Throws a clear error
 * naming the position of anything else.
 *
 * @example
 * evaluateExpression("2 * (3 + 4) ^ 2") // 98
 */
export function evaluateExpression(expression: string): number {
  const tokens =
    expression.match(/\d+(?:\.\d+)?(?:e[+-]?\d+)?|\.\d+|[a-z_][a-z0-9_]*|\*\*|[-+*/%^()]|\S/gi) ?? [];
  let position = 0;
  const peek = () => tokens[position];
  const take = () => tokens[position++];
  const fail = (what: string): never => {
    throw new Error(`${what} at token ${position + 1} of "${expression}"`);
  };
  const expect = (token: string) => {
    if (take() !== token) fail(`expected "${token}"`);
  };
  const primary = (): number => {
    const token = take();
    if (token === undefined) return fail("unexpected end");
    if (token === "(") {
      const value = sum();
      expect(")");
      return value;
    }
    if (token === "-") return -power();
    if (token === "+") return power();
    if (/^[\d.]/.test(token)) return Number(token);
    const name = token.toLowerCase();
    if (name in CONSTANTS) return CONSTANTS[name]!;
    const fn = FUNCTIONS[name];
    if (fn) {
      expect("(");
      const value = sum();
      expect(")");
      return fn(value);
    }
    return fail(`unexpected "${token}"`);
  };
  const power = (): number => {
    const base = primary();
    if (peek() === "^" || peek() === "**") {
      take();
      return base ** power();
    }
    return base;
  };
  const product = (): number => {
    let value = power();
    for (let op = peek(); op === "*" || op === "/" || op === "%"; op = peek()) {
      take();
      const right = power();
      value = op === "*" ? value * right : op === "/" ? value / right : value % right;
    }
    return value;
  };
  const sum = (): number => {
    let value = product();
    for (let op = peek(); op === "+" || op === "-"; op = peek()) {
      take();
      const right = product();
      value = op === "+" ? value + right : value - right;
    }
    return value;
  };
  const value = sum();
  if (position < tokens.length) fail(`unexpected "${peek()}"`);
  if (!Number.isFinite(value)) throw new Error(`"${expression}" has no finite value`);
  return value;
}

/**
 * A calculator tool.
 *
 * @example
 * await calculatorTool.execute({ expression: "6*7" }, context) // { expression: "6*7", result: 42 }
 */
export const calculatorTool = defineTool({
  name: "calculator",
  description: "Evaluates an arithmetic expression (+ - * / % ^, parentheses, sqrt, abs, round, pi, e).",
  // A JSON schema rather than zod, so that importing `geppetto/tools` does not load zod.
  input: {
    type: "object",
    properties: {
      expression: { type: "string", minLength: 1, description: "The expression, e.g. 2 * (3 + 4)" },
    },
    required: ["expression"],
  },
  execute: (input) => {
    const expression = input.expression as string;
    return { expression, result: evaluateExpression(expression) };
  },
});

/**
 * A tool that tells the current time, optionally in an IANA time zone. `now` is injectable for tests.
 *
 * @example
 * const time = createTimeTool(() => new Date("2026-01-01T12:00:00Z"));
 */
export function createTimeTool(now: () => Date = () => new Date()) {
  return defineTool({
    name: "time",
    description: "The current date and time, in UTC or in an IANA time zone such as Europe/Paris.",
    input: {
      type: "object",
      properties: { timeZone: { type: "string", description: "IANA time zone; UTC when omitted" } },
    },
    execute: (input) => {
      const timeZone = input.timeZone as string | undefined;
      const date = now();
      const zone = timeZone ?? "UTC";
      const local = new Intl.DateTimeFormat("en-GB", {
        dateStyle: "full",
        timeStyle: "long",
        timeZone: zone,
      }).format(date);
      return { iso: date.toISOString(), timeZone: zone, local };
    },
  });
}

/**
 * The current-time tool.
 *
 * @example
 * new ToolRegistry([timeTool]);
 */
export const timeTool = createTimeTool();

/**
 * A registry with the demo tools (`time`, `calculator`).
 *
 * @example
 * const ctx = withToolRegistry(RunContext.background(), demoToolRegistry());
 */
export function demoToolRegistry(): ToolRegistry {
  return new ToolRegistry([timeTool, calculatorTool]);
}
