/** Spawning the bench server and the measured child processes (always the running Node: `process.execPath`). */
import { type ChildProcess, spawn } from "node:child_process";
import { performance } from "node:perf_hooks";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";

/** The repository root. */
export const ROOT = fileURLToPath(new URL("..", import.meta.url));

/** A running bench server. */
export interface BenchServer {
  port: number;
  stop(): Promise<void>;
}

/** Starts bench/server.ts in its own process and waits for it to report its port. */
export async function startServer(): Promise<BenchServer> {
  const child = spawn(process.execPath, [fileURLToPath(new URL("server.ts", import.meta.url))], {
    stdio: ["pipe", "pipe", "inherit"],
  });
  const lines = createInterface({ input: child.stdout! });
  const port = await new Promise<number>((resolve, reject) => {
    child.once("exit", (code) =>
      reject(new Error(`bench server exited (${code}) before reporting its port`)),
    );
    lines.once("line", (line) => resolve((JSON.parse(line) as { port: number }).port));
  });
  return {
    port,
    stop: () => stopChild(child),
  };
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once("exit", () => resolve());
    child.stdin?.end();
    child.kill("SIGTERM");
  });
}

/** What a finished process produced. */
export interface ProcessOutcome {
  code: number | null;
  stdout: string;
  stderr: string;
  /** From spawn to exit, in milliseconds. */
  wallMs: number;
}

/** Runs `node <args>` in the repository root and collects its output. */
export function runNode(args: readonly string[], timeoutMs = 300_000): Promise<ProcessOutcome> {
  return new Promise((resolve, reject) => {
    const start = performance.now();
    const child = spawn(process.execPath, args, { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (text: string) => {
      stdout += text;
    });
    child.stderr.setEncoding("utf8").on("data", (text: string) => {
      stderr += text;
    });
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.once("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, wallMs: performance.now() - start });
    });
  });
}

/** Runs a child that prints one JSON line last; throws with its stderr when it fails. */
export async function runJsonChild<T>(args: readonly string[]): Promise<T> {
  const outcome = await runNode(args);
  const lastLine = outcome.stdout.trim().split("\n").pop() ?? "";
  if (outcome.code !== 0 || lastLine === "") {
    const reason = outcome.stderr.trim().split("\n").slice(0, 3).join(" / ") || `exit code ${outcome.code}`;
    throw new Error(reason);
  }
  return JSON.parse(lastLine) as T;
}
