import { describe, it } from "vitest";
import { prepareTurn } from "../../provider-kit/prepare.ts";
import {
  newAssistantTextBlock,
  newOtherBlock,
  newReasoningBlock,
  newSystemTextBlock,
  newToolCallBlock,
  newToolUseBlock,
  newUserTextBlock,
} from "../../turns/builders.ts";
import { KeyBlockMetaProvider } from "../../turns/keys.ts";
import type { Block, Turn } from "../../turns/types.ts";
import { cachedConversation, expectCachedBodiesPlain, expectCachedFallback } from "../test-support.ts";
import {
  GEMINI_PROVIDER,
  KeyGeminiCallId,
  KeyGeminiThoughtSignature,
  KeyGeminiTrailingSignature,
} from "./descriptor.ts";
import { buildGeminiRequest } from "./request.ts";

const own = { [KeyBlockMetaProvider.id]: GEMINI_PROVIDER };

/** A call of round `round`: every other one Gemini's own, with its call id and thought signature. */
function call(round: number): Block {
  const block = newToolCallBlock({ id: `call_${round}`, name: "echo", args: { text: `x${round}` } });
  if (round % 2 === 0) return block;
  const metadata = { ...own, [KeyGeminiCallId.id]: `g${round}`, [KeyGeminiThoughtSignature.id]: "callsig" };
  return { ...block, metadata };
}

/**
 * A conversation of the block kinds Gemini's builder maps: consecutive blocks of one role (merged into one
 * content), blocks that send nothing between them, signatures, calls of other providers.
 */
const blocks = (): Block[] =>
  cachedConversation(40, {
    afterQuestion: (round) =>
      round % 5 === 2 ? [newSystemTextBlock(`note ${round}`), newUserTextBlock("more")] : [],
    toolRound: (round) => [
      { ...newReasoningBlock({ text: "thinking", signature: `sig${round}` }), metadata: own },
      { ...newAssistantTextBlock(""), metadata: own },
      call(round),
      newToolCallBlock({ id: `call_b${round}`, name: "echo", args: {} }),
      newToolUseBlock(`call_${round}`, { echoed: round }),
      newToolUseBlock(`call_b${round}`, "second"),
    ],
    answer: (round) =>
      round % 4 === 3
        ? { ...newAssistantTextBlock(""), metadata: { ...own, [KeyGeminiTrailingSignature.id]: "trail" } }
        : newAssistantTextBlock(`answer ${round}`),
  });

describe("Gemini contents from cached pieces", () => {
  // gemini-3 models get placeholder signatures on unsigned first calls: a way of writing of its own.
  for (const model of ["gemini-2.5-flash", "gemini-3-pro-preview", "gemini-2.5-flash"]) {
    it(`the body is byte for byte the plain one, request after request (${model})`, () => {
      expectCachedBodiesPlain(blocks(), (turn: Turn, cacheMessages) =>
        buildGeminiRequest(prepareTurn(turn, []), { model, cacheMessages }),
      );
    });
  }

  it("falls back to the whole-turn build when a block is dropped, so its warning is still given", () => {
    expectCachedFallback(
      [newUserTextBlock("q"), newOtherBlock("refusal", { text: "no" }), newAssistantTextBlock("a")],
      (turn, cacheMessages) => buildGeminiRequest(prepareTurn(turn, []), { cacheMessages }),
      ["turn.blocks[1]: refusal block has no Gemini form; dropped"],
    );
  });
});
