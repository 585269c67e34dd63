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
import { encodeJsonBody, hasJsonPieces } from "../transport/json-pieces.ts";
import { ANTHROPIC_PROVIDER } from "./metadata.ts";
import { buildClaudeRequest } from "./request.ts";

const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

/** A conversation of the block kinds Anthropic's builder maps, frozen as a Session leaves it. */
function conversation(rounds: number): Block[] {
  const blocks: Block[] = [newSystemTextBlock("Be brief. ünïcødé ✓ 😀")];
  for (let round = 0; round < rounds; round++) {
    blocks.push(newUserTextBlock(`question ${round} "quoted" \\ back\nslash`));
    // A system block between user blocks, and an empty text: both add no message of their own.
    if (round % 5 === 2) blocks.push(newSystemTextBlock(`note ${round}`), newUserTextBlock("more"));
    if (round % 3 === 1) {
      blocks.push({
        ...newReasoningBlock({ text: "thinking", signature: `sig${round}` }),
        metadata: { [KeyBlockMetaProvider.id]: ANTHROPIC_PROVIDER },
      });
      blocks.push(newAssistantTextBlock(""));
      blocks.push(newToolCallBlock({ id: `toolu_${round}`, name: "echo", args: { text: `x${round}` } }));
      blocks.push(newToolUseBlock(`toolu_${round}`, { echoed: round }));
    }
    blocks.push(newAssistantTextBlock(`answer ${round}`));
  }
  return blocks.map((block) => deepFreeze(block));
}

const options = { model: "claude-sonnet-4-5", stream: true };

describe("Anthropic messages from cached pieces", () => {
  for (const promptCaching of [false, true]) {
    it(`the body is byte for byte the plain one, request after request (promptCaching ${promptCaching})`, () => {
      const blocks = conversation(40);
      for (const length of [1, 2, 3, 5, 8, 17, 60, blocks.length - 1, blocks.length]) {
        const turn: Turn = KeyClaudeInferenceConfig.set(newTurn(blocks.slice(0, length)), { promptCaching });
        const plain = JSON.stringify(buildClaudeRequest(prepareTurn(turn, []), options).body);
        for (let request = 0; request < 2; request++) {
          const cached = buildClaudeRequest(prepareTurn(turn, []), { ...options, cacheMessages: true }).body;
          expect(hasJsonPieces(cached)).toBe(true);
          expect(decode(encodeJsonBody(cached))).toBe(plain);
          expect(JSON.stringify(cached)).toBe(plain);
        }
      }
    });
  }

  it("never caches the prompt-caching breakpoint: the marked message is plain again once it is not last", () => {
    const blocks = conversation(3);
    const marked = KeyClaudeInferenceConfig.set(newTurn(blocks.slice(0, -1)), { promptCaching: true });
    buildClaudeRequest(prepareTurn(marked, []), { ...options, cacheMessages: true });
    const longer = newTurn([...blocks, deepFreeze(newUserTextBlock("next"))]);
    const plain = JSON.stringify(buildClaudeRequest(prepareTurn(longer, []), options).body);
    const cached = buildClaudeRequest(prepareTurn(longer, []), { ...options, cacheMessages: true }).body;
    expect(decode(encodeJsonBody(cached))).toBe(plain);
    expect(plain.match(/cache_control/g)).toBeNull();
  });

  it("falls back to the whole-turn build when a block is dropped, so its warning is still given", () => {
    const turn = newTurn([
      deepFreeze(newUserTextBlock("q")),
      deepFreeze(newOtherBlock("refusal", { text: "no" })),
      deepFreeze(newAssistantTextBlock("a")),
      deepFreeze(newReasoningBlock({ text: "unsigned" })),
    ]);
    for (let request = 0; request < 2; request++) {
      const { body, warnings } = buildClaudeRequest(prepareTurn(turn, []), {
        ...options,
        cacheMessages: true,
      });
      expect(hasJsonPieces(body)).toBe(false);
      expect(warnings).toEqual([
        'turn.blocks[1] (other): block of type "refusal" is not sent to Anthropic',
        "turn.blocks[3] (reasoning): reasoning without an Anthropic signature was dropped",
      ]);
    }
  });
});
