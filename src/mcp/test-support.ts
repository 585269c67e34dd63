/**
 * Test-only helpers of the MCP tests (not part of the build): the stdio test server's command, and a sink that
 * waits for an event.
 */
import { fileURLToPath } from "node:url";
import { CollectingSink } from "../events/context.ts";
import type { GeppettoEvent } from "../events/types.ts";

/** The stdio test server, as MCP server settings. */
export const STDIO_TEST_SERVER = {
  command: process.execPath,
  args: [fileURLToPath(new URL("./__fixtures__/test-server.ts", import.meta.url))],
};

/** A collecting sink whose `waitFor` resolves at the first event (already seen or to come) matching `matches`. */
export class WaitingSink extends CollectingSink {
  readonly #waiters: {
    matches: (event: GeppettoEvent) => boolean;
    resolve: (event: GeppettoEvent) => void;
  }[] = [];

  override publish(event: GeppettoEvent): void {
    super.publish(event);
    for (const waiter of [...this.#waiters]) {
      if (!waiter.matches(event)) continue;
      this.#waiters.splice(this.#waiters.indexOf(waiter), 1);
      waiter.resolve(event);
    }
  }

  /** The first matching event; with `later`, the first one published from now on. */
  waitFor(matches: (event: GeppettoEvent) => boolean, later = false): Promise<GeppettoEvent> {
    const seen = later ? undefined : this.events.find(matches);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve) => this.#waiters.push({ matches, resolve }));
  }

  /** The first matching custom event of that name; with `later`, the first one published from now on. */
  waitForCustom(
    name: string,
    matches: (payload: never) => boolean = () => true,
    later = false,
  ): Promise<GeppettoEvent> {
    return this.waitFor(
      (event) => event.type === "custom" && event.name === name && matches(event.payload as never),
      later,
    );
  }
}
