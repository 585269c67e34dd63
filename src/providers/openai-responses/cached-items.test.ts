import { describe, it } from "vitest";
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
import { KeyBlockMetaProvider } from "../../turns/keys.ts";
import type { Turn } from "../../turns/types.ts";
import { cachedConversation, expectCachedBodiesPlain, expectCachedFallback } from "../test-support.ts";
import { OPENAI_RESPONSES_PROVIDER } from "./descriptor.ts";
import { buildResponsesRequest } from "./request.ts";

const own = { [KeyBlockMetaProvider.id]: OPENAI_RESPONSES_PROVIDER };

/** A conversation of the block kinds the Responses builder maps (with item ids). */
const blocks = cachedConversation(40, {
  toolRound: (round) => {
    const reasoning = newReasoningBlock({
      itemId: `rs_${round}`,
      text: "thinking",
      summary: ["short"],
      encryptedContent: "opaque",
    });
    // The stream keeps a function call's item id on its payload.
    const call = newToolCallBlock({ id: `call_${round}`, name: "echo", args: { text: `x${round}` } });
    return [
      { ...reasoning, metadata: own },
      { ...call, payload: { ...call.payload, itemId: `fc_${round}` } as typeof call.payload },
      newToolUseBlock(`call_${round}`, { echoed: round }),
    ];
  },
  answer: (round) => ({ ...newAssistantTextBlock(`answer ${round}`), metadata: own }),
  afterAnswer: (round) => (round % 4 === 0 ? [newSystemTextBlock(`note ${round}`)] : []),
});

const build = (turn: Turn, cacheMessages: boolean) =>
  buildResponsesRequest(prepareTurn(turn, []), { model: "gpt-5-mini", stream: true, cacheMessages });

describe("OpenAI Responses input items from cached pieces", () => {
  it("the body is byte for byte the plain one, request after request, with and without stored item ids", () => {
    // Alternating store settings: the two ways of writing items (with ids, without) never share bytes.
    for (const store of [undefined, false, true, false]) {
      expectCachedBodiesPlain(blocks, build, (prefix) =>
        store === undefined ? newTurn(prefix) : KeyOpenAIInferenceConfig.set(newTurn(prefix), { store }),
      );
    }
  });

  it("falls back to the whole-turn build when a block is dropped, so its warning is still given", () => {
    expectCachedFallback(
      [
        newUserTextBlock("q"),
        newOtherBlock("refusal", { text: "no" }),
        newAssistantTextBlock("a"),
        {
          ...newSystemTextBlock("look"),
          payload: { text: "look", images: [{ mediaType: "image/png", data: "iVBORw0KGgo=" }] },
        },
      ],
      build,
      [
        'turn.blocks[1] (other): block of type "refusal" is not sent to OpenAI Responses',
        "turn.blocks[3] (system): images on a system block are not sent (Responses instructions are text only); put them on a user block",
      ],
    );
  });
});
