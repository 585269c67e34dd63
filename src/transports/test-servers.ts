/**
 * Test support (not exported): real `redis-server` and `nats-server -js` processes on free 127.0.0.1 ports with
 * temporary data directories, which a test can stop and start again on the same port and data.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** A server process a test owns. */
export interface TestServer {
  readonly port: number;
  /** `redis://127.0.0.1:port` or `nats://127.0.0.1:port`. */
  readonly url: string;
  /** The process id while it runs (to read its CPU time). */
  readonly pid: number | undefined;
  /** Stops the process (SIGTERM: Redis writes its append-only file, NATS its JetStream store) and waits. */
  stop(): Promise<void>;
  /** Starts it again on the same port and data directory. */
  start(): Promise<void>;
  /** Stops it and removes its data directory. */
  dispose(): Promise<void>;
}

/** A port nobody listens on now. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === "string") throw new Error("no port");
  return address.port;
}

function findBinary(name: string): string {
  for (const directory of ["/usr/bin", "/usr/sbin", "/usr/local/bin", "/usr/local/sbin"]) {
    const path = join(directory, name);
    if (existsSync(path)) return path;
  }
  return name;
}

async function startProcess(command: string, args: string[], ready: RegExp): Promise<ChildProcess> {
  const child = spawn(command, args, { stdio: ["ignore", "pipe", "pipe"] });
  await new Promise<void>((resolve, reject) => {
    let output = "";
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (ready.test(output)) {
        child.stdout?.off("data", onData);
        child.stderr?.off("data", onData);
        child.stdout?.resume();
        child.stderr?.resume();
        resolve();
      }
    };
    child.stdout?.on("data", onData);
    child.stderr?.on("data", onData);
    child.once("error", reject);
    child.once("exit", (code) =>
      reject(new Error(`${command} exited (${code}) before it was ready:\n${output}`)),
    );
  });
  return child;
}

async function ownServer(
  scheme: string,
  launch: (port: number, directory: string) => Promise<ChildProcess>,
): Promise<TestServer> {
  const port = await freePort();
  const directory = await mkdtemp(join(tmpdir(), `geppetto-${scheme}-`));
  let child: ChildProcess | undefined = await launch(port, directory);
  const stop = async () => {
    const running = child;
    child = undefined;
    if (!running || running.exitCode !== null) return;
    const exited = new Promise<void>((resolve) => running.once("exit", () => resolve()));
    running.kill("SIGTERM");
    await exited;
  };
  return {
    port,
    url: `${scheme}://127.0.0.1:${port}`,
    get pid() {
      return child?.pid;
    },
    stop,
    async start() {
      if (!child) child = await launch(port, directory);
    },
    async dispose() {
      await stop();
      await rm(directory, { recursive: true, force: true });
    },
  };
}

/**
 * Starts `redis-server` with an append-only file (fsync every second, Redis's default; a SIGTERM stop writes it
 * out) in a temporary directory.
 */
export function startRedisServer(): Promise<TestServer> {
  return ownServer("redis", (port, directory) =>
    startProcess(
      findBinary("redis-server"),
      [
        "--port",
        String(port),
        "--bind",
        "127.0.0.1",
        "--dir",
        directory,
        "--appendonly",
        "yes",
        "--appendfsync",
        "everysec",
        "--save",
        "",
      ],
      /Ready to accept connections/,
    ),
  );
}

/** Starts `nats-server -js` with its JetStream store in a temporary directory. */
export function startNatsServer(): Promise<TestServer> {
  return ownServer("nats", (port, directory) =>
    startProcess(
      findBinary("nats-server"),
      ["-js", "-a", "127.0.0.1", "-p", String(port), "-sd", directory],
      /Server is ready/,
    ),
  );
}
