import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { setDefaultLogger, silentLogger } from "../observability/logger.ts";
import { main } from "./main.ts";
import { createTestIO } from "./test-io.ts";

/** An environment with no provider configured and no config files of the developer's. */
function cleanEnv(extra: Record<string, string> = {}): Record<string, string> {
  const home = mkdtempSync(join(tmpdir(), "geppetto-log-"));
  return {
    HOME: home,
    XDG_CONFIG_HOME: join(home, ".config"),
    XDG_DATA_HOME: join(home, ".local/share"),
    ...extra,
  };
}

afterEach(() => setDefaultLogger(silentLogger));

describe("logging options of every command", () => {
  it("--log-level debug: a line per request and per response on stderr, the answer unchanged on stdout", async () => {
    const io = createTestIO({ env: cleanEnv() });
    expect(await main(["run", "--log-level", "debug", "Hello"], io)).toBe(0);
    expect(io.out).toContain("You said");
    expect(io.err).toMatch(
      /^geppetto debug request provider=openai method=POST url=http:\/\/in-process\.invalid\/v1\/chat\/completions /m,
    );
    expect(io.err).toMatch(/^geppetto debug response provider=openai status=200 finish=completed /m);
    expect(io.err).not.toContain("request body");
  });

  it("GEPPETTO_LOG=trace dumps the request body as YAML", async () => {
    const io = createTestIO({ env: cleanEnv({ GEPPETTO_LOG: "trace" }) });
    expect(await main(["run", "Hello there"], io)).toBe(0);
    expect(io.err).toContain("geppetto trace request body provider=openai");
    expect(io.err).toMatch(/^\s+- role: user\n\s+content: Hello there$/m);
  });

  it("no option and no GEPPETTO_LOG: nothing logged", async () => {
    const io = createTestIO({ env: cleanEnv() });
    expect(await main(["run", "Hello"], io)).toBe(0);
    expect(io.err).not.toContain("geppetto debug");
  });

  it("a bad level is a usage error naming where it came from", async () => {
    const flag = createTestIO({ env: cleanEnv() });
    expect(await main(["run", "--log-level", "loud", "Hello"], flag)).toBe(2);
    expect(flag.err).toContain('--log-level: unknown log level "loud"');
    const env = createTestIO({ env: cleanEnv({ GEPPETTO_LOG: "chatty" }) });
    expect(await main(["sessions", "list"], env)).toBe(2);
    expect(env.err).toContain('GEPPETTO_LOG: unknown log level "chatty"');
  });

  it("run --record FILE writes a replayable fixture and its request", async () => {
    const env = cleanEnv();
    const file = join(env.HOME!, "bug.sse");
    const io = createTestIO({ env });
    expect(await main(["run", "--record", file, "Hello"], io)).toBe(0);
    expect(io.err).toContain(
      `geppetto: recorded 1 exchange(s): ${file}, ${join(env.HOME!, "bug.request.json")}`,
    );
    expect(readFileSync(file, "utf8")).toContain("data: [DONE]");
    expect(existsSync(join(env.HOME!, "bug.request.json"))).toBe(true);
  });
});
