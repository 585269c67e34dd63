/**
 * Documents (PDFs) on user blocks, checked before a request builder maps them to a provider's wire part:
 * only PDFs (the `%PDF-` magic), and no larger than the provider's documented limit.
 */
import { CallerError } from "../engine/errors.ts";
import type { DocumentPart } from "../turns/types.ts";

const MEGABYTE = 1024 * 1024;

/**
 * Each provider's documented limit on an inline (base64) PDF, in bytes of the decoded file: Anthropic 32 MB
 * (the request size limit of the Messages API), OpenAI 50 MB per file (Chat Completions and Responses),
 * Gemini 20 MB (inline data; larger files go through the Files API).
 */
export const PDF_SIZE_LIMITS = {
  Anthropic: 32 * MEGABYTE,
  OpenAI: 50 * MEGABYTE,
  Gemini: 20 * MEGABYTE,
} as const;

/** The decoded size of base64 `data`, without decoding it. */
function decodedSize(data: string): number {
  const padding = data.endsWith("==") ? 2 : data.endsWith("=") ? 1 : 0;
  return Math.floor((data.length * 3) / 4) - padding;
}

function label(document: DocumentPart, where: string): string {
  return document.filename === undefined ? where : `${where} (${document.filename})`;
}

/**
 * Checks a document for `provider`: a PDF (media type and `%PDF-` magic) within the provider's size limit.
 * Throws a {@link CallerError} naming the file otherwise.
 *
 * @example
 * checkPdf({ mediaType: "application/pdf", data: base64, filename: "a.pdf" }, "turn.blocks[0].payload.documents[0]", "Anthropic");
 */
export function checkPdf(
  document: DocumentPart,
  where: string,
  provider: keyof typeof PDF_SIZE_LIMITS,
): void {
  const name = label(document, where);
  if (document.mediaType !== "application/pdf") {
    throw new CallerError(
      `${name}: documents must be PDFs (application/pdf), not ${JSON.stringify(document.mediaType)}`,
    );
  }
  if (!Buffer.from(document.data.slice(0, 8), "base64").toString("latin1").startsWith("%PDF-")) {
    throw new CallerError(`${name}: not a PDF (the data does not start with %PDF-)`);
  }
  const size = decodedSize(document.data);
  const limit = PDF_SIZE_LIMITS[provider];
  if (size > limit) {
    throw new CallerError(
      `${name}: ${(size / MEGABYTE).toFixed(1)} MB is over ${provider}'s ${limit / MEGABYTE} MB limit for a PDF`,
    );
  }
}

/** The `data:` URL of a document (for OpenAI's `file_data`). */
export function documentDataUrl(document: DocumentPart): string {
  return `data:${document.mediaType};base64,${document.data}`;
}

/** The filename sent to providers that need one: the part's own, else `document-N.pdf`. */
export function documentFilename(document: DocumentPart, index: number): string {
  return document.filename ?? `document-${index + 1}.pdf`;
}
