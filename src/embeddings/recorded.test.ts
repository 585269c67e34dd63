/**
 * The embeddings engine over real HTTP against the local provider server replaying recorded answers of the real
 * APIs (`fixtures/providers/embeddings/`, langchaingo httprr traces; see the MANIFEST): every vector comes back
 * whole and in order with the recorded values, and the token usage each API reports is read.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { fixturePath, setupLocalServer } from "../providers/test-support.ts";
import { createEmbeddingsEngine } from "./engine.ts";
import type { EmbeddingsProvider } from "./wire.ts";

const server = setupLocalServer();

/** The JSON body of the trace's first response, read by the trace's own length prefixes. */
function recordedBody(name: string): unknown {
  const trace = readFileSync(fixturePath("embeddings", name));
  const lengths = trace.indexOf("\n") + 1;
  const start = trace.indexOf("\n", lengths) + 1;
  const [requestBytes, responseBytes] = trace
    .subarray(lengths, start)
    .toString()
    .trim()
    .split(" ")
    .map(Number);
  const response = trace.subarray(start + requestBytes!, start + requestBytes! + responseBytes!).toString();
  let body = response.slice(response.indexOf("\r\n\r\n") + 4);
  // Ollama answers with chunked transfer-encoding: one chunk, then the terminating zero chunk.
  const chunk = /^([0-9a-f]+)\r\n/.exec(body);
  if (chunk) body = body.slice(chunk[0].length, chunk[0].length + Number.parseInt(chunk[1]!, 16));
  return JSON.parse(body);
}

const cases: {
  provider: EmbeddingsProvider;
  protocol: string;
  file: string;
  model: string;
  texts: string[];
  dimensions?: number;
  vectors: (body: never) => number[][];
  inputTokens: number | undefined;
}[] = [
  {
    provider: "openai",
    protocol: "openai-chat",
    file: "openai-dimensions.httprr.txt",
    model: "text-embedding-3-small",
    texts: ["Hello world"],
    dimensions: 256,
    vectors: (body: { data: { embedding: number[] }[] }) => body.data.map((item) => item.embedding),
    inputTokens: 2,
  },
  {
    provider: "gemini",
    protocol: "gemini",
    file: "gemini-batch.httprr.txt",
    model: "embedding-001",
    texts: ["hello world", "goodbye world", "hello world"],
    vectors: (body: { embeddings: { values: number[] }[] }) => body.embeddings.map((item) => item.values),
    inputTokens: undefined,
  },
  {
    provider: "ollama",
    protocol: "ollama",
    file: "ollama-embed.httprr.txt",
    model: "nomic-embed-text",
    texts: ["Hello world"],
    vectors: (body: { embeddings: number[][] }) => body.embeddings,
    inputTokens: 2,
  },
];

describe.each(cases)("recorded $provider embeddings ($file)", (recording) => {
  it("returns the recorded vectors in order, with the reported usage", async () => {
    const { provider, protocol, file, model, texts, dimensions } = recording;
    const expected = recording.vectors(recordedBody(file) as never);
    server.enqueue({ fixture: fixturePath("embeddings", file) });
    const engine = createEmbeddingsEngine({
      provider,
      model,
      apiKey: "k",
      baseURL: server.baseURL(protocol),
      env: {},
      ...(dimensions === undefined ? {} : { dimensions }),
    });
    const result = await engine.embed(texts);
    expect(result.embeddings).toEqual(expected);
    expect(result.embeddings.map((vector) => vector.length)).toEqual(texts.map(() => dimensions ?? 768));
    expect(result.model).toBe(model);
    expect(result.usage.inputTokens).toBe(recording.inputTokens);
    expect(server.requests).toHaveLength(1);
  });
});
