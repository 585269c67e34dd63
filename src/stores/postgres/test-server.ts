/**
 * Test support (not exported): a real PostgreSQL cluster (`initdb` + `pg_ctl`) in a temporary directory on a free
 * 127.0.0.1 port, which a test starts and stops itself. Debian puts the server binaries in
 * `/usr/lib/postgresql/<version>/bin`; `initdb` refuses to run as root, so as root the cluster runs as the
 * `postgres` user (created by Debian's package) through `runuser`.
 */
import { execFile } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { chown, mkdtemp, rm } from "node:fs/promises";
import { tmpdir, userInfo } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { freePort } from "../../transports/test-servers.ts";

const run = promisify(execFile);

/** A PostgreSQL cluster a test owns. */
export interface TestPostgres {
  readonly port: number;
  /** `postgres://geppetto:secret-pw@127.0.0.1:port/postgres` (the cluster trusts local connections). */
  readonly url: string;
  /** Stops the server (fast shutdown) and removes its directory. */
  dispose(): Promise<void>;
}

/** The folder holding `initdb` and `pg_ctl`: on PATH, or Debian's newest `/usr/lib/postgresql/<version>/bin`. */
export function postgresBinDir(): string {
  for (const directory of (process.env.PATH ?? "").split(":")) {
    if (directory && existsSync(join(directory, "initdb")) && existsSync(join(directory, "pg_ctl"))) {
      return directory;
    }
  }
  const root = "/usr/lib/postgresql";
  const versions = existsSync(root)
    ? readdirSync(root)
        .filter((name) => existsSync(join(root, name, "bin", "initdb")))
        .sort((left, right) => Number(right) - Number(left))
    : [];
  if (versions[0] === undefined) {
    throw new Error("PostgreSQL is not installed (no initdb): apt-get install postgresql");
  }
  return join(root, versions[0], "bin");
}

/** Runs a server binary, as the `postgres` user when we are root (initdb and postgres refuse root). */
async function runServerTool(binary: string, args: string[]): Promise<void> {
  const asRoot = userInfo().uid === 0;
  const [command, commandArgs] = asRoot
    ? ["runuser", ["-u", "postgres", "--", binary, ...args]]
    : [binary, args];
  try {
    await run(command, commandArgs, { timeout: 60_000 });
  } catch (error) {
    const output = error as { stdout?: string; stderr?: string };
    throw new Error(`${binary} ${args.join(" ")} failed: ${output.stderr ?? ""}${output.stdout ?? ""}`, {
      cause: error,
    });
  }
}

/**
 * Starts a fresh cluster: `initdb` (trust authentication, user `geppetto`) and `pg_ctl start` listening on
 * 127.0.0.1 only, its socket in the temporary directory. `fsync` is off: the tests kill clients, never the machine.
 *
 * @example
 * const postgres = await startTestPostgres();
 * afterAll(() => postgres.dispose());
 */
export async function startTestPostgres(): Promise<TestPostgres> {
  const bin = postgresBinDir();
  const directory = await mkdtemp(join(tmpdir(), "geppetto-postgres-"));
  if (userInfo().uid === 0) {
    const { stdout } = await run("id", ["-u", "postgres"]);
    const { stdout: group } = await run("id", ["-g", "postgres"]);
    await chown(directory, Number(stdout.trim()), Number(group.trim()));
  }
  const data = join(directory, "data");
  const port = await freePort();
  await runServerTool(join(bin, "initdb"), [
    "-D",
    data,
    "-U",
    "geppetto",
    "--auth=trust",
    "-E",
    "UTF8",
    "--no-sync",
    "--no-instructions",
  ]);
  const serverOptions = [
    `-p ${port}`,
    "-c listen_addresses=127.0.0.1",
    `-c unix_socket_directories=${directory}`,
    "-c fsync=off",
    "-c full_page_writes=off",
    "-c max_connections=300",
  ].join(" ");
  await runServerTool(join(bin, "pg_ctl"), [
    "-D",
    data,
    "-l",
    join(directory, "server.log"),
    "-o",
    serverOptions,
    "-w",
    "start",
  ]);
  return {
    port,
    url: `postgres://geppetto:secret-pw@127.0.0.1:${port}/postgres`,
    async dispose() {
      await runServerTool(join(bin, "pg_ctl"), ["-D", data, "-m", "fast", "-w", "stop"]).catch(() => {});
      await rm(directory, { recursive: true, force: true });
    },
  };
}
