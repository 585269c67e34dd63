import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ProviderServer, startProviderServer } from "../testing/provider-server/index.ts";
import { main } from "./main.ts";
import { createTestIO } from "./test-io.ts";

/** A minimal one-page PDF (header, catalog, pages, page, xref, trailer), built as the test's own fixture. */
function smallPdf(): Buffer {
  const objects = [
    "<< /Type /Catalog /Pages 2 0 R >>",
    "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
    "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] >>",
  ];
  let text = "%PDF-1.4\n";
  const offsets: number[] = [];
  objects.forEach((object, index) => {
    offsets.push(text.length);
    text += `${index + 1} 0 obj\n${object}\nendobj\n`;
  });
  const xref = text.length;
  text += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n`;
  for (const offset of offsets) text += `${String(offset).padStart(10, "0")} 00000 n \n`;
  text += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return Buffer.from(text, "latin1");
}

const PDF = smallPdf();

/** The value at `path` (object keys and array indexes) in a JSON body. */
function at(body: unknown, path: readonly (string | number)[]): unknown {
  return path.reduce<unknown>(
    (value, key) => (value as Record<string | number, unknown> | undefined)?.[key],
    body,
  );
}
const DATA = PDF.toString("base64");

function sandbox() {
  const root = mkdtempSync(join(tmpdir(), "geppetto-pdf-"));
  writeFileSync(join(root, "doc.pdf"), PDF);
  const env = {
    HOME: root,
    XDG_CONFIG_HOME: join(root, "config"),
    XDG_DATA_HOME: join(root, "data"),
    GEPPETTO_NO_LOCAL_SERVER: "1",
    OPENAI_API_KEY: "sk-test",
    ANTHROPIC_API_KEY: "sk-ant-test",
    GEMINI_API_KEY: "gemini-test",
  };
  return { root, io: () => createTestIO({ env, cwd: root }) };
}

describe("geppetto run --attach doc.pdf, over HTTP to the local provider server", () => {
  let server: ProviderServer;
  beforeAll(async () => {
    server = await startProviderServer({ response: { script: { text: "A one-page document." } } });
  });
  afterAll(() => server.close());

  const cases = [
    {
      apiType: "anthropic",
      protocol: "anthropic",
      path: ["messages", 0, "content", 0],
      expected: { type: "document", source: { type: "base64", media_type: "application/pdf", data: DATA } },
    },
    {
      apiType: "openai",
      protocol: "openai-chat",
      path: ["messages", 0, "content", 1],
      expected: {
        type: "file",
        file: { filename: "doc.pdf", file_data: `data:application/pdf;base64,${DATA}` },
      },
    },
    {
      apiType: "openai-responses",
      protocol: "openai-responses",
      path: ["input", 0, "content", 1],
      expected: { type: "input_file", filename: "doc.pdf", file_data: `data:application/pdf;base64,${DATA}` },
    },
    {
      apiType: "gemini",
      protocol: "gemini",
      path: ["contents", 0, "parts", 0],
      expected: { inlineData: { mimeType: "application/pdf", data: DATA } },
    },
  ];
  for (const { apiType, protocol, path, expected } of cases) {
    it(`${apiType}: the request carries the PDF as the provider's document part`, async () => {
      const box = sandbox();
      const io = box.io();
      const argv = ["run", "--no-log", "--ai-api-type", apiType, "--ai-engine", "test-model"];
      argv.push("--ai-base-url", server.baseURL(protocol), "--attach", "doc.pdf", "Summarize");
      expect(await main(argv, io)).toBe(0);
      expect(io.out).toContain("A one-page document.");
      const request = server.requests.at(-1);
      expect(request?.protocol).toBe(protocol);
      expect(at(request?.body, path)).toEqual(expected);
      expect(JSON.stringify(request?.body)).toContain("Summarize");
    });
  }

  it("ollama takes no PDFs: a warning names the file and the provider, and the PDF is not sent", async () => {
    const box = sandbox();
    const io = box.io();
    const argv = ["run", "--no-log", "--ai-api-type", "ollama", "--ai-engine", "test-model"];
    argv.push("--ai-base-url", server.baseURL("ollama"), "--attach", "doc.pdf", "Summarize");
    expect(await main(argv, io)).toBe(0);
    expect(io.err).toContain("payload.documents[0] (doc.pdf): Ollama takes no PDF input; dropped");
    const body = JSON.stringify(server.requests.at(-1)?.body);
    expect(body).toContain("Summarize");
    expect(body).not.toContain(DATA);
  });

  it("a .pdf that is not a PDF, or a missing one, is refused naming the file", async () => {
    const box = sandbox();
    writeFileSync(join(box.root, "fake.pdf"), "just text, not a PDF\n");
    const fake = box.io();
    expect(await main(["run", "--no-log", "--attach", "fake.pdf", "Hi"], fake)).toBe(2);
    expect(fake.err).toContain("--attach fake.pdf: not a PDF (it does not start with %PDF-)");
    const missing = box.io();
    expect(await main(["run", "--no-log", "--attach", "gone.pdf", "Hi"], missing)).toBe(2);
    expect(missing.err).toContain(
      `--attach gone.pdf: cannot read ${join(box.root, "gone.pdf")}: no such file`,
    );
  });

  it("a PDF over the provider's limit is refused naming the file and the limit, before any request", async () => {
    const box = sandbox();
    const big = Buffer.alloc(21 * 1024 * 1024, 0x20);
    big.write("%PDF-1.4\n");
    writeFileSync(join(box.root, "big.pdf"), big);
    const before = server.requests.length;
    const io = box.io();
    const argv = ["run", "--no-log", "--ai-api-type", "gemini", "--ai-engine", "test-model"];
    argv.push("--ai-base-url", server.baseURL("gemini"), "--attach", "big.pdf", "Summarize");
    expect(await main(argv, io)).not.toBe(0);
    expect(io.err).toContain("(big.pdf): 21.0 MB is over Gemini's 20 MB limit for a PDF");
    expect(server.requests.length).toBe(before);
  });
});
