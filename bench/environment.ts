/** The machine, Node and library versions a run is recorded with. */
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import os from "node:os";
import { ROOT } from "./processes.ts";

/** The packages whose versions RESULTS.md records. */
export const MEASURED_PACKAGES = [
  "openai",
  "@anthropic-ai/sdk",
  "ai",
  "@ai-sdk/openai",
  "@langchain/openai",
  "@langchain/core",
  "zod",
  "yaml",
  "eventsource-parser",
];

function packageVersion(name: string): string {
  try {
    const path = `${ROOT}node_modules/${name}/package.json`;
    return (JSON.parse(readFileSync(path, "utf8")) as { version: string }).version;
  } catch {
    return "not installed";
  }
}

function gitRevision(): string {
  try {
    const head = execFileSync("git", ["rev-parse", "--short", "HEAD"], {
      cwd: ROOT,
      encoding: "utf8",
    }).trim();
    const dirty =
      execFileSync("git", ["status", "--porcelain"], { cwd: ROOT, encoding: "utf8" }).trim() !== "";
    return dirty ? `${head} + uncommitted changes` : head;
  } catch {
    return "unknown";
  }
}

/** Lines describing where and with what the run happened. */
export function environmentLines(): string[] {
  const cpus = os.cpus();
  const geppetto = (JSON.parse(readFileSync(`${ROOT}package.json`, "utf8")) as { version: string }).version;
  return [
    `- geppetto ${geppetto} (git ${gitRevision()}), engines imported from dist/`,
    `- Node ${process.version} (${process.platform} ${process.arch}), ${os.type()} ${os.release()}`,
    `- CPU: ${cpus[0]?.model ?? "unknown"}, ${cpus.length} cores; memory ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB`,
    `- Peers: ${MEASURED_PACKAGES.map((name) => `${name} ${packageVersion(name)}`).join(", ")}`,
  ];
}
