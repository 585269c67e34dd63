import { describe, expect, it } from "vitest";
import { KeyOpenAIInferenceConfig } from "../../engine/inference-config.ts";
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
import { OPENAI_RESPONSES_PROVIDER } from "./metadata.ts";
import { buildResponsesRequest } from "./request.ts";

const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
const own = { [KeyBlockMetaProvider.id]: OPENAI_RESPONSES_PROVIDER };

/** A conversation of the block kinds the Responses builder maps (with item ids), frozen as a Session leaves it. */
function conversation(rounds: number): Block[] {
  const blocks: Block[] = [newSystemTextBlock("Be brief. ünïcødé ✓ 😀")];
  for (let round = 0; round < rounds; round++) {
    blocks.push(newUserTextBlock(`question ${round} "quoted" \\ back\nslash`));
    if (round % 3 === 1) {
      blocks.push({
        ...newReasoningBlock({
          itemId: `rs_${round}`,
          text: "thinking",
          summary: ["short"],
          encryptedContent: "opaque",
        }),
        metadata: own,
      });
      // The stream keeps a function call's item id on its payload.
      const call = newToolCallBlock({ id: `call_${round}`, name: "echo", args: { text: `x${round}` } });
      blocks.push({ ...call, payload: { ...call.payload, itemId: `fc_${round}` } as typeof call.payload });
      blocks.push(newToolUseBlock(`call_${round}`, { echoed: round }));
    }
    blocks.push({ ...newAssistantTextBlock(`answer ${round}`), metadata: own });
    if (round % 4 === 0) blocks.push(newSystemTextBlock(`note ${round}`));
  }
  return blocks.map((block) => deepFreeze(block));
}

const options = { model: "gpt-5-mini", stream: true };

describe("OpenAI Responses input items from cached pieces", () => {
  it("the body is byte for byte the plain one, request after request, with and without stored item ids", () => {
    const blocks = conversation(40);
    // Alternating store settings: the two ways of writing items (with ids, without) never share bytes.
    for (const store of [undefined, false, true, false]) {
      for (const length of [1, 2, 5, 17, 60, blocks.length]) {
        let turn: Turn = newTurn(blocks.slice(0, length));
        if (store !== undefined) turn = KeyOpenAIInferenceConfig.set(turn, { store });
        const plain = JSON.stringify(buildResponsesRequest(prepareTurn(turn, []), options).body);
        for (let request = 0; request < 2; request++) {
          const cached = buildResponsesRequest(prepareTurn(turn, []), {
            ...options,
            cacheMessages: true,
          }).body;
          expect(hasJsonPieces(cached)).toBe(true);
          expect(decode(encodeJsonBody(cached))).toBe(plain);
          expect(JSON.stringify(cached)).toBe(plain);
        }
      }
    }
  });

  it("falls back to the whole-turn build when a block is dropped, so its warning is still given", () => {
    const turn = newTurn([
      deepFreeze(newUserTextBlock("q")),
      deepFreeze(newOtherBlock("refusal", { text: "no" })),
      deepFreeze(newAssistantTextBlock("a")),
      deepFreeze({
        ...newSystemTextBlock("look"),
        payload: { text: "look", images: [{ mediaType: "image/png", data: "iVBORw0KGgo=" }] },
      }),
    ]);
    for (let request = 0; request < 2; request++) {
      const { body, warnings } = buildResponsesRequest(prepareTurn(turn, []), {
        ...options,
        cacheMessages: true,
      });
      expect(hasJsonPieces(body)).toBe(false);
      expect(warnings).toEqual([
        'turn.blocks[1] (other): block of type "refusal" is not sent to OpenAI Responses',
        "turn.blocks[3] (system): images on a system block are not sent (Responses instructions are text only); put them on a user block",
      ]);
    }
  });
});
