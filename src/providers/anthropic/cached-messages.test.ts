import { describe, expect, it } from "vitest";
import { KeyClaudeInferenceConfig } from "../../engine/inference-config.ts";
import { prepareTurn } from "../../provider-kit/prepare.ts";
import {
  newAssistantTextBlock,
  newOtherBlock,
  newReasoningBlock,
  newSystemTextBlock,
  newToolCallBlock,
  newToolUseBlock,
  newTurn,
  newUserTextBlock,
} from "../../turns/builders.ts";
import { deepFreeze } from "../../turns/immutable.ts";
import { KeyBlockMetaProvider } from "../../turns/keys.ts";
import type { Block, Turn } from "../../turns/types.ts";
import { cachedConversation, expectCachedBodiesPlain, expectCachedFallback } from "../test-support.ts";
import { encodeJsonBody } from "../transport/json-pieces.ts";
import { ANTHROPIC_PROVIDER } from "./descriptor.ts";
import { buildClaudeRequest } from "./request.ts";

const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

/** A conversation of the block kinds Anthropic's builder maps. */
const conversation = (rounds: number): Block[] =>
  cachedConversation(rounds, {
    // A system block between user blocks, and an empty text: both add no message of their own.
    afterQuestion: (round) =>
      round % 5 === 2 ? [newSystemTextBlock(`note ${round}`), newUserTextBlock("more")] : [],
    toolRound: (round) => [
      {
        ...newReasoningBlock({ text: "thinking", signature: `sig${round}` }),
        metadata: { [KeyBlockMetaProvider.id]: ANTHROPIC_PROVIDER },
      },
      newAssistantTextBlock(""),
      newToolCallBlock({ id: `toolu_${round}`, name: "echo", args: { text: `x${round}` } }),
      newToolUseBlock(`toolu_${round}`, { echoed: round }),
    ],
  });

const options = { model: "claude-sonnet-4-5", stream: true };
const build = (turn: Turn, cacheMessages: boolean) =>
  buildClaudeRequest(prepareTurn(turn, []), { ...options, cacheMessages });

describe("Anthropic messages from cached pieces", () => {
  for (const promptCaching of [false, true]) {
    it(`the body is byte for byte the plain one, request after request (promptCaching ${promptCaching})`, () => {
      expectCachedBodiesPlain(conversation(40), build, (blocks) =>
        KeyClaudeInferenceConfig.set(newTurn(blocks), { promptCaching }),
      );
    });
  }

  it("never caches the prompt-caching breakpoint: the marked message is plain again once it is not last", () => {
    const blocks = conversation(3);
    const marked = KeyClaudeInferenceConfig.set(newTurn(blocks.slice(0, -1)), { promptCaching: true });
    build(marked, true);
    const longer = newTurn([...blocks, deepFreeze(newUserTextBlock("next"))]);
    const plain = JSON.stringify(build(longer, false).body);
    expect(decode(encodeJsonBody(build(longer, true).body))).toBe(plain);
    expect(plain.match(/cache_control/g)).toBeNull();
  });

  it("falls back to the whole-turn build when a block is dropped, so its warning is still given", () => {
    expectCachedFallback(
      [
        newUserTextBlock("q"),
        newOtherBlock("refusal", { text: "no" }),
        newAssistantTextBlock("a"),
        newReasoningBlock({ text: "unsigned" }),
      ],
      build,
      [
        'turn.blocks[1] (other): block of type "refusal" is not sent to Anthropic',
        "turn.blocks[3] (reasoning): reasoning without an Anthropic signature was dropped",
      ],
    );
  });
});
