import { describe, expect, it } from "vitest";
import { CallerError } from "../engine/errors.ts";
import { KeyOpenAIInferenceConfig, type OpenAIInferenceConfig } from "../engine/inference-config.ts";
import { RunContext } from "../events/context.ts";
import { newTurn, newUserMultimodalBlock } from "../turns/builders.ts";
import { turnFromJson, turnToJson } from "../turns/serialization.ts";
import type { DocumentPart, Turn } from "../turns/types.ts";
import { ClaudeEngine } from "./anthropic/engine.ts";
import { checkPdf, PDF_SIZE_LIMITS } from "./documents.ts";
import { type GeminiInferenceConfig, KeyGeminiInferenceConfig } from "./gemini/descriptor.ts";
import { buildGeminiRequest } from "./gemini/request.ts";
import { KeyOllamaInferenceConfig, type OllamaInferenceConfig } from "./ollama/descriptor.ts";
import { buildOllamaRequest } from "./ollama/request.ts";
import { messagesFromTurn } from "./openai/request.ts";
import { buildResponsesRequest } from "./openai-responses/request.ts";
import { preparedBuilder } from "./test-support.ts";

const DATA = Buffer.from("%PDF-1.4\n%%EOF\n", "latin1").toString("base64");
const PDF: DocumentPart = { mediaType: "application/pdf", data: DATA, filename: "paper.pdf" };
const DATA_URL = `data:application/pdf;base64,${DATA}`;

function withPdf(document: DocumentPart = PDF): Turn {
  return newTurn([newUserMultimodalBlock("Summarize", [], [document])]);
}

const responses = preparedBuilder<
  OpenAIInferenceConfig,
  { model: string; stream: boolean },
  ReturnType<typeof buildResponsesRequest>
>(buildResponsesRequest, KeyOpenAIInferenceConfig, "openai");
const gemini = preparedBuilder<GeminiInferenceConfig, object, ReturnType<typeof buildGeminiRequest>>(
  buildGeminiRequest,
  KeyGeminiInferenceConfig,
  "gemini",
);
const ollama = preparedBuilder<
  OllamaInferenceConfig,
  { model: string; stream: boolean },
  ReturnType<typeof buildOllamaRequest>
>(buildOllamaRequest, KeyOllamaInferenceConfig, "ollama");

describe("PDF documents on user blocks, per provider", () => {
  it("Anthropic: a base64 document block before the text", () => {
    const engine = new ClaudeEngine({
      model: "claude-sonnet-4-5",
      apiKey: "test",
      baseURL: "http://127.0.0.1:1",
    });
    const { body } = engine.buildRequest(withPdf(), RunContext.background());
    // Through JSON: the engine's messages may be cached serialized pieces.
    const sent = JSON.parse(JSON.stringify(body)) as typeof body;
    expect(sent.messages[0]?.content).toEqual([
      { type: "document", source: { type: "base64", media_type: "application/pdf", data: DATA } },
      { type: "text", text: "Summarize" },
    ]);
  });

  it("OpenAI Chat: a file part with the filename and a data: URL", () => {
    expect(messagesFromTurn(withPdf())).toEqual([
      {
        role: "user",
        content: [
          { type: "text", text: "Summarize" },
          { type: "file", file: { filename: "paper.pdf", file_data: DATA_URL } },
        ],
      },
    ]);
    const { filename: _, ...unnamed } = PDF;
    expect(JSON.stringify(messagesFromTurn(withPdf(unnamed)))).toContain('"filename":"document-1.pdf"');
  });

  it("OpenAI Responses: an input_file with the filename and a data: URL", () => {
    const { body } = responses(withPdf(), { model: "gpt-4.1", stream: true });
    expect(body.input).toEqual([
      {
        type: "message",
        role: "user",
        content: [
          { type: "input_text", text: "Summarize" },
          { type: "input_file", filename: "paper.pdf", file_data: DATA_URL },
        ],
      },
    ]);
  });

  it("Gemini: inlineData with the PDF media type, before the text", () => {
    const { body } = gemini(withPdf());
    expect(body.contents).toEqual([
      {
        role: "user",
        parts: [{ inlineData: { mimeType: "application/pdf", data: DATA } }, { text: "Summarize" }],
      },
    ]);
  });

  it("Ollama takes no PDFs: dropped with a warning naming the file and the provider", () => {
    const { body, warnings } = ollama(withPdf(), { model: "qwen3:8b", stream: true });
    expect(body.messages).toEqual([{ role: "user", content: "Summarize" }]);
    expect(warnings).toEqual([
      "turn.blocks[0].payload.documents[0] (paper.pdf): Ollama takes no PDF input; dropped",
    ]);
  });

  it("a document survives JSON round trips", () => {
    const turn = withPdf();
    expect(turnFromJson(turnToJson(turn)).blocks[0]?.payload).toEqual({
      text: "Summarize",
      images: [],
      documents: [PDF],
    });
  });
});

describe("checkPdf", () => {
  const where = "turn.blocks[0].payload.documents[0]";

  it("refuses data that is not a PDF, naming the file", () => {
    const text = { ...PDF, data: Buffer.from("hello").toString("base64") };
    expect(() => checkPdf(text, where, "Anthropic")).toThrow(
      new CallerError(`${where} (paper.pdf): not a PDF (the data does not start with %PDF-)`),
    );
    expect(() => checkPdf({ ...PDF, mediaType: "text/plain" }, where, "OpenAI")).toThrow(
      /\(paper\.pdf\): documents must be PDFs \(application\/pdf\), not "text\/plain"/,
    );
  });

  it("refuses a PDF over the provider's documented limit, naming the file and the limit", () => {
    const size = PDF_SIZE_LIMITS.Anthropic + 3;
    const big = Buffer.alloc(size, 0x20);
    big.write("%PDF-1.4\n");
    const document = { ...PDF, data: big.toString("base64") };
    expect(() => checkPdf(document, where, "Anthropic")).toThrow(
      /\(paper\.pdf\): 32\.0 MB is over Anthropic's 32 MB limit/,
    );
    expect(() => checkPdf(document, where, "OpenAI")).not.toThrow();
    expect(() => gemini(withPdf(document))).toThrow(/over Gemini's 20 MB limit for a PDF/);
  });
});
