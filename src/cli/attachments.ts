/**
 * `geppetto run --attach FILE`: files sent with the prompt. Text files go in as fenced blocks named by their
 * path (after the prompt); images as image parts (as `--image`); PDFs as document parts (base64, with the file's
 * name; each provider checks its own size limit, and Ollama, which takes no PDFs, warns and drops them). Other
 * binary files are refused naming the file.
 */
import { readFileSync, statSync } from "node:fs";
import { basename, extname, resolve } from "node:path";
import { newUserMultimodalBlock } from "../turns/builders.ts";
import type { DocumentPart, ImagePart, UserBlock } from "../turns/types.ts";
import { loadImage } from "./images.ts";
import { UsageError } from "./usage.ts";

const IMAGE_EXTENSIONS = new Set([".png", ".jpg", ".jpeg", ".gif", ".webp"]);

/** The attachments of a prompt: text to append to it, and images and documents (PDFs) to send with it. */
export interface Attachments {
  text: string[];
  images: ImagePart[];
  documents: DocumentPart[];
}

const PDF_MAGIC = "%PDF-";

function fence(text: string): string {
  const longest = Math.max(2, ...Array.from(text.matchAll(/`+/g), (match) => match[0].length));
  return "`".repeat(longest + 1);
}

/**
 * Reads the `--attach` files (relative to `cwd`).
 *
 * @example
 * const { text, images, documents } = loadAttachments(["notes.md", "chart.png", "paper.pdf"], process.cwd());
 */
export function loadAttachments(files: readonly string[], cwd: string): Attachments {
  const attachments: Attachments = { text: [], images: [], documents: [] };
  for (const file of files) {
    const path = resolve(cwd, file);
    if (IMAGE_EXTENSIONS.has(extname(path).toLowerCase())) {
      attachments.images.push(loadImage(file, cwd));
      continue;
    }
    let bytes: Buffer;
    try {
      if (statSync(path).isDirectory()) throw new UsageError(`--attach ${file}: is a directory, not a file`);
      bytes = readFileSync(path);
    } catch (error) {
      if (error instanceof UsageError) throw error;
      const reason =
        (error as { code?: string }).code === "ENOENT" ? "no such file" : (error as Error).message;
      throw new UsageError(`--attach ${file}: cannot read ${path}: ${reason}`);
    }
    const isPdf = bytes.subarray(0, PDF_MAGIC.length).toString("latin1") === PDF_MAGIC;
    if (isPdf) {
      attachments.documents.push({
        mediaType: "application/pdf",
        data: bytes.toString("base64"),
        filename: basename(path),
      });
      continue;
    }
    if (extname(path).toLowerCase() === ".pdf") {
      throw new UsageError(`--attach ${file}: not a PDF (it does not start with ${PDF_MAGIC})`);
    }
    let text: string;
    try {
      if (bytes.includes(0)) throw new Error("binary");
      text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
    } catch {
      throw new UsageError(
        `--attach ${file}: not a text file, an image or a PDF (${extname(path) || "no extension"}); only those can be attached`,
      );
    }
    const marks = fence(text);
    attachments.text.push(`${file}:\n${marks}\n${text.replace(/\s+$/, "")}\n${marks}`);
  }
  return attachments;
}

/**
 * The user's prompt with its attachments: the text files fenced after the prompt, and, when there are images or
 * PDFs, one user block carrying them (otherwise the text alone, as the Session takes it).
 *
 * @example
 * session.appendNewTurnFromUserPrompt(promptWithAttachments("Summarize", loadAttachments(["notes.md"], cwd)));
 */
export function promptWithAttachments(prompt: string, attachments: Attachments): string | UserBlock {
  const text = [prompt.trim(), ...attachments.text].join("\n\n");
  return attachments.images.length > 0 || attachments.documents.length > 0
    ? newUserMultimodalBlock(text, attachments.images, attachments.documents)
    : text;
}

/**
 * Two sets of attachments as one (`/attach` given twice before a prompt).
 *
 * @example
 * const both = mergeAttachments(loadAttachments(["a.md"], cwd), loadAttachments(["b.png"], cwd));
 */
export function mergeAttachments(first: Attachments, second: Attachments): Attachments {
  return {
    text: [...first.text, ...second.text],
    images: [...first.images, ...second.images],
    documents: [...first.documents, ...second.documents],
  };
}
