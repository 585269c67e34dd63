/**
 * Same-run ratios for a few clients on one scenario: starts the bench server, runs each client in a fresh
 * process per repetition (rotated), and prints each client's median figure and median ratio to the first
 * client (each repetition's ratio is taken within that repetition). For checking one change quickly. Each
 * child warms up (`--steady` units, default 20,000) and reports the median of `--samples` measured samples
 * (default 9, each about 10,000 units), so one repetition's figure is already a median.
 *
 *   npx node bench/compare.ts --clients floor-anthropic,geppetto-claude --scenario stream:10000 --repetitions 7
 */
import os from "node:os";
import type { ChildResult } from "./child.ts";
import { runJsonChild, startServer } from "./processes.ts";
import { median, rotate } from "./stats.ts";

function flag(name: string, fallback: string): string {
  const index = process.argv.indexOf(`--${name}`);
  return index >= 0 ? (process.argv[index + 1] ?? fallback) : fallback;
}

const clients = flag("clients", "floor-anthropic,geppetto-claude,geppetto-claude-stream").split(",");
const scenario = flag("scenario", "stream:10000");
const repetitions = Number(flag("repetitions", "5"));
const field = flag("field", "cpuUs") as keyof ChildResult;
const steadyUnits = flag("steady", "20000");
const samples = flag("samples", "9");

const server = await startServer();
const load = os.loadavg()[0];
const figures = new Map<string, number[]>(clients.map((client) => [client, []]));
const ratios = new Map<string, number[]>(clients.map((client) => [client, []]));
try {
  for (let repetition = 0; repetition < repetitions; repetition++) {
    const round = new Map<string, number>();
    for (const client of rotate(clients, repetition)) {
      const args = ["bench/child.ts", "--client", client, "--scenarios", scenario, "--steady", steadyUnits];
      args.push("--samples", samples);
      const result = await runJsonChild<Record<string, ChildResult>>([...args, "--port", `${server.port}`]);
      const value = Number(result[scenario]?.[field]);
      round.set(client, value);
      figures.get(client)?.push(value);
    }
    const base = round.get(clients[0]!) ?? Number.NaN;
    for (const client of clients) ratios.get(client)?.push((round.get(client) ?? Number.NaN) / base);
  }
} finally {
  await server.stop();
}
const lines = [
  `${scenario} ${field}, ${repetitions} repetitions, load ${load?.toFixed(2)} → ${os.loadavg()[0]?.toFixed(2)}`,
];
for (const client of clients) {
  const ratioList = ratios.get(client) ?? [];
  lines.push(
    `${client.padEnd(24)} median ${median(figures.get(client) ?? []).toFixed(3)}  ratio ${median(ratioList).toFixed(3)}  [${ratioList.map((ratio) => ratio.toFixed(2)).join(" ")}]`,
  );
}
process.stdout.write(`${lines.join("\n")}\n`);
