/**
 * `--image PATH|URL`: images for the prompt. URLs are passed as they are; local files are read and sent as
 * base64 with their media type (recognized from their first bytes, then their extension).
 */
import { readFileSync, statSync } from "node:fs";
import { extname, resolve } from "node:path";
import type { ImagePart } from "../turns/types.ts";
import { UsageError } from "./usage.ts";

const BY_EXTENSION: Record<string, string> = {
  ".png": "image/png",
  ".jpg": "image/jpeg",
  ".jpeg": "image/jpeg",
  ".gif": "image/gif",
  ".webp": "image/webp",
};

function sniff(bytes: Uint8Array): string | undefined {
  const ascii = (start: number, end: number) => String.fromCharCode(...bytes.subarray(start, end));
  if (bytes[0] === 0x89 && ascii(1, 4) === "PNG") return "image/png";
  if (bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return "image/jpeg";
  if (ascii(0, 4) === "GIF8") return "image/gif";
  if (ascii(0, 4) === "RIFF" && ascii(8, 12) === "WEBP") return "image/webp";
  return undefined;
}

/**
 * One `--image` value as an ImagePart. Missing files, directories, unreadable files and files that are not
 * images are UsageErrors (exit 2).
 *
 * @example
 * loadImage("https://example.com/cat.png", cwd) // { mediaType: "image/png", url: "https://example.com/cat.png" }
 * loadImage("./shot.png", cwd)                  // { mediaType: "image/png", data: "iVBORw0…" }
 */
export function loadImage(value: string, cwd: string): ImagePart {
  if (/^https?:\/\//i.test(value)) {
    let pathname = value;
    try {
      pathname = new URL(value).pathname;
    } catch {
      throw new UsageError(`--image ${value}: not a valid URL`);
    }
    return { mediaType: BY_EXTENSION[extname(pathname).toLowerCase()] ?? "image/jpeg", url: value };
  }
  const data = /^data:(image\/[\w.+-]+);base64,(.*)$/s.exec(value);
  if (data) return { mediaType: data[1]!, data: data[2]! };
  const file = resolve(cwd, value);
  const stat = statSync(file, { throwIfNoEntry: false });
  if (!stat) throw new UsageError(`--image ${value}: no such file`);
  if (stat.isDirectory()) throw new UsageError(`--image ${value}: is a directory, not an image file`);
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (error) {
    const code = (error as { code?: string }).code;
    throw new UsageError(`--image ${value}: cannot be read${code ? ` (${code})` : ""}`);
  }
  const mediaType = sniff(bytes) ?? BY_EXTENSION[extname(file).toLowerCase()];
  if (!mediaType) throw new UsageError(`--image ${value}: not a PNG, JPEG, GIF or WEBP image`);
  return { mediaType, data: bytes.toString("base64") };
}
