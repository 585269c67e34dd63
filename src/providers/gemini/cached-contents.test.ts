import { describe, expect, it } from "vitest";
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
import {
  GEMINI_PROVIDER,
  KeyGeminiCallId,
  KeyGeminiThoughtSignature,
  KeyGeminiTrailingSignature,
} from "./metadata.ts";
import { buildGeminiRequest } from "./request.ts";

const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
const own = { [KeyBlockMetaProvider.id]: GEMINI_PROVIDER };

/**
 * A conversation of the block kinds Gemini's builder maps, frozen as a Session leaves it: consecutive blocks of
 * one role (merged into one content), blocks that send nothing between them, signatures, calls of other providers.
 */
function conversation(rounds: number): Block[] {
  const blocks: Block[] = [newSystemTextBlock("Be brief. ünïcødé ✓ 😀")];
  for (let round = 0; round < rounds; round++) {
    blocks.push(newUserTextBlock(`question ${round} "quoted" \\ back\nslash`));
    if (round % 5 === 2) blocks.push(newSystemTextBlock(`note ${round}`), newUserTextBlock("more"));
    if (round % 3 === 1) {
      blocks.push({ ...newReasoningBlock({ text: "thinking", signature: `sig${round}` }), metadata: own });
      blocks.push({ ...newAssistantTextBlock(""), metadata: own });
      const call = newToolCallBlock({ id: `call_${round}`, name: "echo", args: { text: `x${round}` } });
      blocks.push(
        round % 2 === 0
          ? call
          : {
              ...call,
              metadata: {
                ...own,
                [KeyGeminiCallId.id]: `g${round}`,
                [KeyGeminiThoughtSignature.id]: "callsig",
              },
            },
      );
      blocks.push(newToolCallBlock({ id: `call_b${round}`, name: "echo", args: {} }));
      blocks.push(newToolUseBlock(`call_${round}`, { echoed: round }));
      blocks.push(newToolUseBlock(`call_b${round}`, "second"));
    }
    const answer = newAssistantTextBlock(round % 4 === 3 ? "" : `answer ${round}`);
    blocks.push(
      round % 4 === 3
        ? { ...answer, metadata: { ...own, [KeyGeminiTrailingSignature.id]: "trail" } }
        : answer,
    );
  }
  return blocks.map((block) => deepFreeze(block));
}

describe("Gemini contents from cached pieces", () => {
  // gemini-3 models get placeholder signatures on unsigned first calls: a way of writing of its own.
  for (const model of ["gemini-2.5-flash", "gemini-3-pro-preview", "gemini-2.5-flash"]) {
    it(`the body is byte for byte the plain one, request after request (${model})`, () => {
      const blocks = conversation(40);
      for (const length of [1, 2, 3, 5, 8, 17, 60, blocks.length - 1, blocks.length]) {
        const turn: Turn = newTurn(blocks.slice(0, length));
        const plain = JSON.stringify(buildGeminiRequest(prepareTurn(turn, []), { model }).body);
        for (let request = 0; request < 2; request++) {
          const cached = buildGeminiRequest(prepareTurn(turn, []), { model, cacheMessages: true }).body;
          expect(hasJsonPieces(cached)).toBe(true);
          expect(decode(encodeJsonBody(cached))).toBe(plain);
          expect(JSON.stringify(cached)).toBe(plain);
        }
      }
    });
  }

  it("falls back to the whole-turn build when a block is dropped, so its warning is still given", () => {
    const turn = newTurn([
      deepFreeze(newUserTextBlock("q")),
      deepFreeze(newOtherBlock("refusal", { text: "no" })),
      deepFreeze(newAssistantTextBlock("a")),
    ]);
    for (let request = 0; request < 2; request++) {
      const { body, warnings } = buildGeminiRequest(prepareTurn(turn, []), { cacheMessages: true });
      expect(hasJsonPieces(body)).toBe(false);
      expect(warnings).toEqual(["turn.blocks[1]: refusal block has no Gemini form; dropped"]);
    }
  });
});
