/**
 * The tool registry: the tools an application offers, carried by the run context as the engines' ToolCatalog.
 */

import { CallerError } from "../engine/errors.ts";
import {
  type SchemaDialect,
  type ToolCatalog,
  ToolCatalogKey,
  type ToolDescription,
} from "../engine/tools.ts";
import type { RunContext } from "../events/context.ts";
import type { Tool } from "./define-tool.ts";

// biome-ignore lint/suspicious/noExplicitAny: a registry holds tools of any argument type
export type AnyTool = Tool<any, any>;

/**
 * Tools by name. Implements {@link ToolCatalog}, so engines read it from the context.
 *
 * @example
 * const registry = new ToolRegistry().register(weather).register(calculator);
 * const ctx = withToolRegistry(RunContext.background(), registry);
 */
export class ToolRegistry implements ToolCatalog {
  readonly #tools = new Map<string, AnyTool>();

  constructor(tools: Iterable<AnyTool> = []) {
    for (const tool of tools) this.register(tool);
  }

  /** Adds a tool; throws when the name is taken (unregister first to replace). Returns the registry. */
  register(tool: AnyTool): this {
    if (this.#tools.has(tool.name))
      throw new CallerError(`tool "${tool.name}" is already registered`, { code: "tool_already_registered" });
    this.#tools.set(tool.name, tool);
    return this;
  }

  /** The tool of that name, if any. */
  get(name: string): AnyTool | undefined {
    return this.#tools.get(name);
  }

  /** Whether a tool of that name is registered. */
  has(name: string): boolean {
    return this.#tools.has(name);
  }

  /** Every tool, in registration order. */
  list(): AnyTool[] {
    return [...this.#tools.values()];
  }

  /** Removes a tool; returns whether it was there. */
  unregister(name: string): boolean {
    return this.#tools.delete(name);
  }

  /** A new registry with the same tools. */
  clone(): ToolRegistry {
    return new ToolRegistry(this.#tools.values());
  }

  /** A new registry with this one's tools and `other`'s (the other's win on a name clash). */
  merge(other: ToolRegistry): ToolRegistry {
    const merged = this.clone();
    for (const tool of other.list()) {
      merged.unregister(tool.name);
      merged.register(tool);
    }
    return merged;
  }

  /** A new registry with only the named tools (unknown names are ignored). */
  only(names: readonly string[]): ToolRegistry {
    const allowed = new Set(names);
    return new ToolRegistry(this.list().filter((tool) => allowed.has(tool.name)));
  }

  /** {@link ToolCatalog}: the tools as a provider dialect sees them (schemas compiled once per tool and dialect). */
  toolsFor(dialect: SchemaDialect): ToolDescription[] {
    return this.list().map((tool) => {
      const description: ToolDescription = {
        name: tool.name,
        description: tool.description,
        parameters: tool.parametersFor(dialect),
      };
      if (dialect === "openai-strict") description.strict = true;
      return description;
    });
  }
}

/**
 * Puts a registry on the context, where engines (as the ToolCatalog) and the tool loop find it.
 *
 * @example
 * const ctx = withToolRegistry(RunContext.background(), new ToolRegistry([calculator]));
 */
export function withToolRegistry(ctx: RunContext, registry: ToolRegistry): RunContext {
  return ctx.with(ToolCatalogKey, registry);
}

/**
 * The registry on the context, when the catalog there is one.
 *
 * @example
 * toolRegistryFromContext(withToolRegistry(ctx, registry)) === registry // true
 */
export function toolRegistryFromContext(ctx: RunContext): ToolRegistry | undefined {
  const catalog = ctx.get(ToolCatalogKey);
  return catalog instanceof ToolRegistry ? catalog : undefined;
}
