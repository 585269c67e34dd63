/**
 * The transcript of stored turns (a resumed conversation) as chat messages, and how a turn's inference result
 * shows on an answer (usage, cost, model, outcome).
 */
import type { InferenceResult } from "../../engine/engine.ts";
import { KeyInferenceResult } from "../../engine/engine.ts";
import type { Block, Turn } from "../../turns/types.ts";
import type { AnswerMessage, AnswerOutcome, AnswerPart, ChatMessage } from "./view-model.ts";

/** The answer with the usage, cost and model of its inference result. */
export function withResult(answer: AnswerMessage, result: InferenceResult | undefined): AnswerMessage {
  if (!result) return answer;
  const next = { ...answer };
  if (result.usage) next.usage = result.usage;
  if (result.cost) next.cost = result.cost;
  if (result.model) next.model = result.model;
  return next;
}

/** How an answer ended, from its inference result (or the user's cancel). */
export function outcomeOf(result: InferenceResult | undefined, cancelling: boolean): AnswerOutcome {
  if (result?.finishClass === "interrupted") return "interrupted";
  if (result?.finishClass === "error") return "error";
  return cancelling ? "interrupted" : "completed";
}

function answerPartOf(block: Block): AnswerPart | undefined {
  switch (block.kind) {
    case "llm_text":
      return { kind: "text", text: block.payload.text };
    case "reasoning":
      return block.payload.text ? { kind: "thinking", text: block.payload.text } : undefined;
    case "tool_call":
      return { kind: "tool-call", id: block.payload.id, name: block.payload.name, input: block.payload.args };
    case "tool_use": {
      const part: AnswerPart = { kind: "tool-result", id: block.payload.id, result: block.payload.result };
      if (block.payload.name !== undefined) part.name = block.payload.name;
      if (block.payload.error !== undefined) part.error = block.payload.error;
      return part;
    }
    default:
      return undefined;
  }
}

/**
 * The transcript of a stored turn (a whole conversation): user prompts and the answers between them.
 * `results` gives the inference result of the answer after the n-th prompt (1-based); by default the last
 * answer gets the turn's own result.
 *
 * @example
 * const { messages } = messagesFromTurn(session.latest(), 1);
 */
export function messagesFromTurn(
  turn: Turn,
  firstId: number,
  results?: ReadonlyMap<number, InferenceResult>,
): { messages: ChatMessage[]; nextId: number } {
  const messages: ChatMessage[] = [];
  const prompts = turn.blocks.filter((block) => block.kind === "user").length;
  const resultOf = (prompt: number) =>
    results ? results.get(prompt) : prompt === prompts ? KeyInferenceResult.get(turn) : undefined;
  let nextId = firstId;
  let prompt = 0;
  let answer: AnswerMessage | undefined;
  const close = () => {
    if (answer && answer.parts.length > 0) {
      const result = resultOf(prompt);
      messages.push(withResult({ ...answer, outcome: outcomeOf(result, false) }, result));
    }
    answer = undefined;
  };
  for (const block of turn.blocks) {
    if (block.kind === "user") {
      close();
      prompt++;
      messages.push({ kind: "user", id: `m${nextId++}`, text: block.payload.text });
      continue;
    }
    const part = answerPartOf(block);
    if (!part) continue;
    answer ??= { kind: "answer", id: `m${nextId++}`, parts: [], outcome: "completed" };
    answer.parts.push(part);
  }
  close();
  return { messages, nextId };
}
