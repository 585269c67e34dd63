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
  newUserMultimodalBlock,
  newUserTextBlock,
} from "../../turns/builders.ts";
import { deepFreeze } from "../../turns/immutable.ts";
import { KeyBlockMetaProvider } from "../../turns/keys.ts";
import type { Block, Turn } from "../../turns/types.ts";
import { buildChatRequest, type ChatRequestOptions, REFUSAL_BLOCK_TYPE } from "../openai/request.ts";
import { encodeJsonBody, hasJsonPieces, JsonPiece, JsonPieceList, PieceCache } from "./json-pieces.ts";

const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

/** A conversation of every block kind the Chat builder maps, frozen as a Session leaves it. */
function conversation(rounds: number): Block[] {
  const blocks: Block[] = [newSystemTextBlock("Be brief. ünïcødé ✓ 😀")];
  for (let round = 0; round < rounds; round++) {
    blocks.push(newUserTextBlock(`question ${round} "quoted" \\ back\nslash`));
    if (round % 3 === 1) {
      blocks.push(newReasoningBlock({ text: "thinking" }));
      blocks.push(newToolCallBlock({ id: `call_${round}`, name: "echo", args: { text: `x${round}` } }));
      blocks.push(newToolUseBlock(`call_${round}`, { echoed: round }, { name: "echo" }));
    }
    if (round % 5 === 2)
      blocks.push(
        newUserMultimodalBlock(
          "look",
          [{ url: "https://example.com/a.png", mediaType: "image/png" }],
          [{ mediaType: "application/pdf", data: "JVBERi0xLjQK", filename: "a.pdf" }],
        ),
      );
    blocks.push(newAssistantTextBlock(`answer ${round}`));
    if (round % 7 === 3) blocks.push(newOtherBlock(REFUSAL_BLOCK_TYPE, { text: "no" }));
  }
  return blocks.map((block) => deepFreeze(block));
}

const options = { model: "gpt-4o-mini", stream: true };
const chatRequest = (turn: Turn, given: ChatRequestOptions) => buildChatRequest(prepareTurn(turn, []), given);
const chatBody = (turn: Turn, given: ChatRequestOptions) => chatRequest(turn, given).body;

describe("JSON pieces", () => {
  it("encodes a body with pieces to the bytes of JSON.stringify of the plain body", () => {
    const plain = {
      model: "m",
      messages: [
        { role: "user", content: "Hi ✓" },
        { role: "assistant", content: null },
      ],
      n: 2,
    };
    const body = {
      model: "m",
      messages: JsonPieceList.from([JsonPiece.of(plain.messages[0]), JsonPiece.of(plain.messages[1])]),
      n: 2,
      skip: undefined,
    };
    expect(hasJsonPieces(body)).toBe(true);
    expect(hasJsonPieces(plain)).toBe(false);
    expect(decode(encodeJsonBody(body))).toBe(JSON.stringify(plain));
    expect(JSON.stringify(body)).toBe(JSON.stringify(plain));
    expect(decode(encodeJsonBody({ messages: new JsonPieceList() }))).toBe('{"messages":[]}');
  });

  it("the OpenAI Chat body from cached pieces is byte for byte the plain one, request after request", () => {
    const blocks = conversation(40);
    for (const length of [1, 2, 5, 17, 60, blocks.length]) {
      const turn: Turn = newTurn(blocks.slice(0, length));
      const plain = JSON.stringify(chatBody(turn, options));
      for (let request = 0; request < 2; request++) {
        const cached = chatBody(turn, { ...options, cacheMessages: true });
        expect(hasJsonPieces(cached)).toBe(true);
        expect(decode(encodeJsonBody(cached))).toBe(plain);
        expect(JSON.stringify(cached)).toBe(plain);
      }
    }
  });

  it("a segment of cached messages is used only for exactly its blocks: an older block replaced is sent as it is now", () => {
    const blocks = conversation(60);
    chatBody(newTurn(blocks), { ...options, cacheMessages: true });
    chatBody(newTurn(blocks), { ...options, cacheMessages: true });
    const edited = blocks.slice();
    edited[7] = deepFreeze(newUserTextBlock("an older question, edited"));
    const turn = newTurn(edited);
    const cached = chatBody(turn, { ...options, cacheMessages: true });
    expect(decode(encodeJsonBody(cached))).toBe(JSON.stringify(chatBody(turn, options)));
  });

  it("reuses the piece of a group of the same frozen blocks, rebuilds a group that changed or is not frozen", () => {
    const cache = new PieceCache();
    let builds = 0;
    const build = (group: Block[]) => {
      builds++;
      return { values: [group.map((block) => block.kind)], clean: true };
    };
    const starts = (_previous: Block, block: Block) => block.kind === "user";
    const [question, answer, more] = [
      deepFreeze(newUserTextBlock("q")),
      deepFreeze(newAssistantTextBlock("a")),
      deepFreeze(newAssistantTextBlock("b")),
    ];
    const first = cache.pieces(newTurn([question, answer]), starts, build)!;
    expect(builds).toBe(1);
    expect(cache.pieces(newTurn([question, answer]), starts, build)![0]!.bytes).toBe(first[0]!.bytes);
    expect(builds).toBe(1);
    // The group grew: built again.
    expect(cache.pieces(newTurn([question, answer, more]), starts, build)![0]!.values()[0]).toEqual([
      "user",
      "llm_text",
      "llm_text",
    ]);
    expect(builds).toBe(2);
    // Not frozen: built every time.
    const open = newUserTextBlock("streaming");
    cache.pieces(newTurn([open]), starts, build);
    cache.pieces(newTurn([open]), starts, build);
    expect(builds).toBe(4);
    // A group that does not stand on its own: the caller builds the whole turn.
    expect(cache.pieces(newTurn([question]), starts, () => ({ values: [], clean: false }))).toBeUndefined();
  });

  it("falls back to the whole-turn build when a block is dropped, so every warning is still given", () => {
    const foreign = deepFreeze({
      ...newReasoningBlock({ text: "t" }),
      metadata: { [KeyBlockMetaProvider.id]: "claude" },
    });
    const turn = newTurn([
      deepFreeze(newUserTextBlock("q")),
      foreign,
      deepFreeze(newAssistantTextBlock("a")),
    ]);
    for (let request = 0; request < 2; request++) {
      const { body, warnings } = chatRequest(turn, { ...options, cacheMessages: true });
      expect(warnings).toEqual([`turn ${turn.id} block 1 (reasoning): reasoning from claude was dropped`]);
      expect(JSON.stringify(body)).toBe(JSON.stringify(chatBody(turn, options)));
    }
  });
});
