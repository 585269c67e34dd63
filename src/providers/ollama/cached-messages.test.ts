import { describe, it } from "vitest";
import { prepareTurn } from "../../provider-kit/prepare.ts";
import {
  newAssistantTextBlock,
  newOtherBlock,
  newReasoningBlock,
  newToolCallBlock,
  newToolUseBlock,
  newUserTextBlock,
} from "../../turns/builders.ts";
import { KeyBlockMetaProvider } from "../../turns/keys.ts";
import type { Turn } from "../../turns/types.ts";
import { cachedConversation, expectCachedBodiesPlain, expectCachedFallback } from "../test-support.ts";
import { OLLAMA_PROVIDER } from "./descriptor.ts";
import { buildOllamaRequest } from "./request.ts";

const build = (turn: Turn, cacheMessages: boolean) =>
  buildOllamaRequest(prepareTurn(turn, []), { model: "llama3.2", stream: true, cacheMessages });

describe("Ollama messages from cached pieces", () => {
  it("the body is byte for byte the plain one, request after request", () => {
    const blocks = cachedConversation(40, {
      toolRound: (round) => [
        {
          ...newReasoningBlock({ text: "thinking" }),
          metadata: { [KeyBlockMetaProvider.id]: OLLAMA_PROVIDER },
        },
        newToolCallBlock({ id: `call_${round}`, name: "echo", args: { text: `x${round}` } }),
        // No name on the result: it is sent with its call's.
        newToolUseBlock(`call_${round}`, { echoed: round }),
      ],
    });
    expectCachedBodiesPlain(blocks, build);
  });

  it("falls back to the whole-turn build when a block is dropped, so its warning is still given", () => {
    expectCachedFallback(
      [newUserTextBlock("q"), newOtherBlock("refusal", { text: "no" }), newAssistantTextBlock("a")],
      build,
      ["turn.blocks[1]: refusal block has no Ollama form; dropped"],
    );
  });
});
