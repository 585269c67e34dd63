/**
 * A fake terminal for CLI tests: buffered stdout/stderr, a scripted stdin, an environment, and a Ctrl-C trigger.
 */
import { Readable } from "node:stream";
import type { CliIO } from "./main.ts";

/** A CliIO that records output; `interrupt()` simulates Ctrl-C; `onStdout` watches writes as they happen. */
export interface TestIO extends CliIO {
  readonly out: string;
  readonly err: string;
  interrupt(): void;
  onStdout(watch: (chunk: string) => void): void;
}

/** Creates a TestIO. `stdin` given means piped input; otherwise stdin is a TTY with nothing typed. */
export function createTestIO(
  options: { env?: Record<string, string>; stdin?: string | Uint8Array; cwd?: string } = {},
): TestIO {
  let out = "";
  let err = "";
  const handlers = new Set<() => void>();
  const watchers: ((chunk: string) => void)[] = [];
  const stdin = Readable.from(options.stdin === undefined ? [] : [options.stdin]) as Readable & {
    isTTY?: boolean;
  };
  stdin.isTTY = options.stdin === undefined;
  return {
    stdout: {
      write(chunk: string) {
        out += chunk;
        for (const watch of watchers) watch(chunk);
        return true;
      },
    },
    stderr: {
      write(chunk: string) {
        err += chunk;
        return true;
      },
    },
    stdin,
    env: { GEPPETTO_EMBEDDED_PACING_MS: "0", ...options.env },
    ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
    onInterrupt(handler) {
      handlers.add(handler);
      return () => handlers.delete(handler);
    },
    get out() {
      return out;
    },
    get err() {
      return err;
    },
    interrupt() {
      for (const handler of handlers) handler();
    },
    onStdout(watch) {
      watchers.push(watch);
    },
  };
}
