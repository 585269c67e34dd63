/**
 * Heavy libraries the core needs only now and then (zod to validate a loaded document, yaml to read or write one,
 * `node:crypto` for random ids), loaded on first use instead of at import, so that importing geppetto stays fast (zod alone costs more than the
 * whole 40 ms import budget). Loading is synchronous (`require` of the packages' CommonJS builds) and cached.
 * zod 4 recognises its schemas across module instances, so these schemas compose with a caller's own `zod` import.
 */
import type * as Yaml from "yaml";
import type * as Zod from "zod";

let load: NodeJS.Require | undefined;
let zod: typeof Zod | undefined;
let yaml: typeof Yaml | undefined;
let uuid: (() => string) | undefined;

/** `require` from this module; `node:module` itself is loaded on first use too. */
function requireHere(specifier: string): unknown {
  load ??= process.getBuiltinModule("node:module").createRequire(import.meta.url);
  return load(specifier);
}

/** The zod module, loaded on first call. */
export function loadZod(): typeof Zod {
  zod ??= requireHere("zod") as typeof Zod;
  return zod;
}

/** The yaml module, loaded on first call. */
export function loadYaml(): typeof Yaml {
  yaml ??= requireHere("yaml") as typeof Yaml;
  return yaml;
}

/**
 * `randomUUID` of `node:crypto`, which is loaded on the first call: importing `node:crypto` loads about 40 of
 * Node's internal modules (streams, ciphers, keys), the largest single share of the core's import time.
 *
 * @example
 * const id = randomUUID(); // "1b9d6bcd-bbfd-4b2d-9b5d-ab8dfbbd4bed"
 */
export function randomUUID(): string {
  uuid ??= process.getBuiltinModule("node:crypto").randomUUID;
  return uuid();
}

/**
 * A value built on first use: `lazy(() => build())()` calls `build` once and caches the result.
 *
 * @example
 * const schema = lazy(() => loadZod().object({ name: loadZod().string() }));
 * schema().parse(value);
 */
export function lazy<T>(build: () => T): () => T {
  let value: T | undefined;
  let built = false;
  return () => {
    if (!built) {
      value = build();
      built = true;
    }
    return value as T;
  };
}
