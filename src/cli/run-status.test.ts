/**
 * Retries are visible: `geppetto run` prints each `status` event (a retry after a rate limit) on stderr, in
 * every output format, and `--output jsonl` also has it as an event; against the local provider server.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { type ProviderServer, startProviderServer } from "../testing/provider-server/index.ts";
import { main } from "./main.ts";
import { createTestIO } from "./test-io.ts";

function env(server: ProviderServer): Record<string, string> {
  const home = mkdtempSync(join(tmpdir(), "geppetto-run-status-"));
  return {
    HOME: home,
    XDG_CONFIG_HOME: join(home, ".config"),
    XDG_DATA_HOME: join(home, ".local/share"),
    OPENAI_API_KEY: "sk-status-test",
    OPENAI_BASE_URL: server.baseURL("openai-chat"),
  };
}

const RATE_LIMITED = {
  error: {
    status: 429,
    headers: { "retry-after-ms": "10" },
    body: { error: { message: "Rate limit reached", type: "rate_limit_error" } },
  },
};

describe("geppetto run: retries are visible", () => {
  let server: ProviderServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it("prints 'retrying in … (attempt 2 of N)' on stderr, then the answer", async () => {
    server = await startProviderServer({ queue: [RATE_LIMITED], response: { script: { text: "Finally." } } });
    const io = createTestIO({ env: env(server) });
    expect(await main(["run", "--ai-api-type", "openai", "--ai-engine", "gpt-test", "Hello"], io)).toBe(0);
    expect(io.out).toBe("Finally.\n");
    expect(io.err).toMatch(
      /^geppetto: openai: rate limited \(HTTP 429\), retrying in 10 ms \(attempt 2 of 3\)$/m,
    );
    expect(io.err).not.toContain("sk-status-test");
  });

  it("--output jsonl has the status event and the stderr line", async () => {
    server = await startProviderServer({ queue: [RATE_LIMITED], response: { script: { text: "Finally." } } });
    const io = createTestIO({ env: env(server) });
    const argv = ["run", "--ai-api-type", "openai", "--ai-engine", "gpt-test", "-o", "jsonl", "Hello"];
    expect(await main(argv, io)).toBe(0);
    const events = io.out
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line));
    const status = events.find((event) => event.type === "status");
    expect(status?.text).toMatch(/retrying in 0\.0 s \(attempt 2 of \d+\)/);
    expect(status?.meta.extra.retry).toMatchObject({ attempt: 2, status: 429 });
    expect(io.err).toContain("geppetto: openai: rate limited (HTTP 429), retrying in 10 ms (attempt 2 of 3)");
  });
});
