/**
 * The embedded default: what geppetto runs when no provider is configured. A scripted model that needs no API
 * key and no network, so `geppetto run "Hello"` works on a fresh machine.
 */

import type { Turn } from "../turns/types.ts";
import { ScriptedEngine, type ScriptStep, script } from "./scripted-engine.ts";

function lastUserText(turn: Turn): string {
  for (let index = turn.blocks.length - 1; index >= 0; index--) {
    const block = turn.blocks[index]!;
    if (block.kind === "user") return block.payload.text;
  }
  return "";
}

/**
 * The embedded default's answer text to a prompt (also what the default local provider server answers).
 *
 * @example
 * embeddedDefaultText("Hello") // 'Hello! You said: "Hello". I am geppetto's embedded default, …'
 */
export function embeddedDefaultText(prompt: string): string {
  const trimmed = prompt.trim();
  const quoted = trimmed.length > 80 ? `${trimmed.slice(0, 77)}...` : trimmed;
  return (
    `Hello! You said: "${quoted}". I am geppetto's embedded default, a scripted model that runs with no API key ` +
    "and no network. Configure a provider (for example --ai-api-type openai with OPENAI_API_KEY set) to talk to a real model."
  );
}

/** The embedded default's answer to a turn. */
export function embeddedDefaultAnswer(turn: Turn): ScriptStep[] {
  const prompt = lastUserText(turn).trim();
  const answer = embeddedDefaultText(prompt);
  const words = answer.split(/\s+/).length;
  return [
    ...script.text(answer),
    script.usage({ inputTokens: Math.max(1, Math.ceil(prompt.length / 4)), outputTokens: words }),
    script.stop("stop"),
  ];
}

/** Creates the embedded default engine. `pacingMs` spaces the streamed words (default 0). */
export function createEmbeddedDefaultEngine(options: { pacingMs?: number } = {}): ScriptedEngine {
  return new ScriptedEngine(embeddedDefaultAnswer, {
    model: "geppetto-embedded-default",
    provider: "embedded",
    repeatLast: true,
    pacingMs: options.pacingMs ?? 0,
  });
}
