import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadImage } from "./images.ts";
import { UsageError } from "./usage.ts";

describe("--image", () => {
  const folder = mkdtempSync(join(tmpdir(), "geppetto-images-"));

  it("reads local files as base64, recognizing the type from the bytes before the extension", () => {
    writeFileSync(join(folder, "photo.bin"), Uint8Array.from([0xff, 0xd8, 0xff, 0xe0, 1, 2]));
    expect(loadImage("photo.bin", folder)).toEqual({ mediaType: "image/jpeg", data: "/9j/4AEC" });
    writeFileSync(join(folder, "anim.webp"), Buffer.from("RIFF\0\0\0\0WEBPVP8 "));
    expect(loadImage(join(folder, "anim.webp"), "/")).toMatchObject({ mediaType: "image/webp" });
  });

  it("passes URLs and data URLs through", () => {
    expect(loadImage("https://example.com/a/cat.PNG?size=2", folder)).toEqual({
      mediaType: "image/png",
      url: "https://example.com/a/cat.PNG?size=2",
    });
    expect(loadImage("data:image/gif;base64,R0lGOD", folder)).toEqual({
      mediaType: "image/gif",
      data: "R0lGOD",
    });
  });

  it("a missing file or a file that is not an image is bad usage", () => {
    writeFileSync(join(folder, "notes.txt"), "hello");
    expect(() => loadImage("nope.png", folder)).toThrow(new UsageError("--image nope.png: no such file"));
    expect(() => loadImage("notes.txt", folder)).toThrow(/not a PNG, JPEG, GIF or WEBP image/);
  });
});
