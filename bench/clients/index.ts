/** Every benchmark client, in table order: floors first, then geppetto, then the peers. */
import { floorAnthropic, floorOpenAI } from "./floor.ts";
import { geppettoClaude, geppettoClaudeStream, geppettoOpenAI, geppettoOpenAIStream } from "./geppetto.ts";
import { anthropicSdk, langchain, openaiSdk, vercelAi } from "./peers.ts";
import type { ClientDefinition } from "./types.ts";

export const CLIENTS: ClientDefinition[] = [
  floorOpenAI,
  geppettoOpenAI,
  geppettoOpenAIStream,
  openaiSdk,
  vercelAi,
  langchain,
  floorAnthropic,
  geppettoClaude,
  geppettoClaudeStream,
  anthropicSdk,
];

/** The client with this name; throws naming the known ones otherwise. */
export function clientNamed(name: string): ClientDefinition {
  const client = CLIENTS.find((candidate) => candidate.name === name);
  if (!client) throw new Error(`unknown client "${name}"; known: ${CLIENTS.map((c) => c.name).join(", ")}`);
  return client;
}
