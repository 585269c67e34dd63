/**
 * `chat --resume` continues on the session's provider and model; a model flag given now wins and says so.
 * Piped input (line mode) against the local provider server, over real HTTP.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ProviderServer, startProviderServer } from "../../testing/provider-server/server.ts";
import { main } from "../main.ts";
import { createTestIO } from "../test-io.ts";

describe("chat --resume and the session's model", () => {
  let server: ProviderServer;
  const home = mkdtempSync(join(tmpdir(), "geppetto-resume-engine-"));
  const db = join(home, "sessions.db");
  beforeAll(async () => {
    server = await startProviderServer();
  });
  afterAll(() => server.close());

  const env = () => ({
    HOME: home,
    XDG_CONFIG_HOME: join(home, "config"),
    OPENAI_API_KEY: "local",
    OPENAI_BASE_URL: server.baseURL("openai-chat"),
  });
  const lastModel = () => (server.requests.at(-1)?.body as { model?: string } | undefined)?.model;

  it("restores the provider and model, and a flag given now wins", async () => {
    const first = createTestIO({ env: env(), stdin: "Hello\n" });
    expect(await main(["chat", "--db", db, "--ai-api-type", "openai", "--ai-engine", "model-a"], first)).toBe(
      0,
    );
    expect(lastModel()).toBe("model-a");

    const resumed = createTestIO({ env: env(), stdin: "Again\n" });
    expect(await main(["chat", "--db", db, "--resume"], resumed)).toBe(0);
    expect(resumed.err).toContain("Continuing on the session's openai model-a");
    expect(lastModel()).toBe("model-a");

    const overridden = createTestIO({ env: env(), stdin: "Once more\n" });
    expect(await main(["chat", "--db", db, "--resume", "--ai-engine", "model-b"], overridden)).toBe(0);
    expect(overridden.err).toContain("--ai-engine model-b wins over the session's openai model-a");
    expect(lastModel()).toBe("model-b");
  });
});
