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
import { OLLAMA_PROVIDER } from "./metadata.ts";
import { buildOllamaRequest } from "./request.ts";

const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

/** A conversation of the block kinds Ollama's builder maps, frozen as a Session leaves it. */
function conversation(rounds: number): Block[] {
  const blocks: Block[] = [newSystemTextBlock("Be brief. ünïcødé ✓ 😀")];
  for (let round = 0; round < rounds; round++) {
    blocks.push(newUserTextBlock(`question ${round} "quoted" \\ back\nslash`));
    if (round % 3 === 1) {
      blocks.push({
        ...newReasoningBlock({ text: "thinking" }),
        metadata: { [KeyBlockMetaProvider.id]: OLLAMA_PROVIDER },
      });
      blocks.push(newToolCallBlock({ id: `call_${round}`, name: "echo", args: { text: `x${round}` } }));
      // No name on the result: it is sent with its call's.
      blocks.push(newToolUseBlock(`call_${round}`, { echoed: round }));
    }
    blocks.push(newAssistantTextBlock(`answer ${round}`));
  }
  return blocks.map((block) => deepFreeze(block));
}

const options = { model: "llama3.2", stream: true };

describe("Ollama messages from cached pieces", () => {
  it("the body is byte for byte the plain one, request after request", () => {
    const blocks = conversation(40);
    for (const length of [1, 2, 5, 17, 60, blocks.length]) {
      const turn: Turn = newTurn(blocks.slice(0, length));
      const plain = JSON.stringify(buildOllamaRequest(prepareTurn(turn, []), options).body);
      for (let request = 0; request < 2; request++) {
        const cached = buildOllamaRequest(prepareTurn(turn, []), { ...options, cacheMessages: true }).body;
        expect(hasJsonPieces(cached)).toBe(true);
        expect(decode(encodeJsonBody(cached))).toBe(plain);
        expect(JSON.stringify(cached)).toBe(plain);
      }
    }
  });

  it("falls back to the whole-turn build when a block is dropped, so its warning is still given", () => {
    const turn = newTurn([
      deepFreeze(newUserTextBlock("q")),
      deepFreeze(newOtherBlock("refusal", { text: "no" })),
      deepFreeze(newAssistantTextBlock("a")),
    ]);
    for (let request = 0; request < 2; request++) {
      const { body, warnings } = buildOllamaRequest(prepareTurn(turn, []), {
        ...options,
        cacheMessages: true,
      });
      expect(hasJsonPieces(body)).toBe(false);
      expect(warnings).toEqual(["turn.blocks[1]: refusal block has no Ollama form; dropped"]);
    }
  });
});
