/**
 * Heavy libraries the core needs only now and then (zod to validate a loaded document, yaml to read or write one),
 * loaded on first use instead of at import, so that importing geppetto stays fast (zod alone costs more than the
 * whole 40 ms import budget). Loading is synchronous (`require` of the packages' CommonJS builds) and cached.
 * zod 4 recognises its schemas across module instances, so these schemas compose with a caller's own `zod` import.
 */
import type * as Yaml from "yaml";
import type * as Zod from "zod";
import { requireFromGeppetto } from "./lazy-require.ts";

let zod: typeof Zod | undefined;
let yaml: typeof Yaml | undefined;

/** The zod module, loaded on first call. */
export function loadZod(): typeof Zod {
  zod ??= requireFromGeppetto("zod") as typeof Zod;
  return zod;
}

/** The yaml module, loaded on first call. */
export function loadYaml(): typeof Yaml {
  yaml ??= requireFromGeppetto("yaml") as typeof Yaml;
  return yaml;
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
