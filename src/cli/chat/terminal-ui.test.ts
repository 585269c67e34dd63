/**
 * The library does not carry the terminal UI: Ink and React are optional peer dependencies, loaded only by the
 * terminal chat, which says how to install them when they are missing.
 */
import { describe, expect, it } from "vitest";
import pkg from "../../../package.json" with { type: "json" };
import { GeppettoError } from "../../engine/errors.ts";
import { loadTerminalUi, TERMINAL_UI_PACKAGES } from "./terminal-ui.ts";

describe("the chat's terminal UI packages", () => {
  it("are optional peer dependencies (pinned), not dependencies of the library", () => {
    const peers = pkg.peerDependencies as Record<string, string>;
    const meta = pkg.peerDependenciesMeta as Record<string, { optional?: boolean }>;
    for (const spec of TERMINAL_UI_PACKAGES) {
      const [name, version] = [spec.slice(0, spec.lastIndexOf("@")), spec.slice(spec.lastIndexOf("@") + 1)];
      expect(pkg.dependencies).not.toHaveProperty(name);
      expect(peers[name]).toBe(version);
      expect(meta[name]?.optional).toBe(true);
      expect((pkg.devDependencies as Record<string, string>)[name]).toBe(version);
    }
  });

  it("loads the chat screen when they are installed", async () => {
    const ui = await loadTerminalUi();
    expect(typeof ui.renderChat).toBe("function");
  });

  it("a missing one is a caller error naming the install command", async () => {
    const missing = "ink-not-installed-here";
    const error = await loadTerminalUi(() => import(/* @vite-ignore */ missing)).catch((caught) => caught);
    // The real import error of a missing package mentions its name; only ink and react are translated.
    expect(GeppettoError.is(error)).toBe(false);
    const inkMissing = Object.assign(new Error("Cannot find package 'ink' imported from /x/app.js"), {
      code: "ERR_MODULE_NOT_FOUND",
    });
    const translated = await loadTerminalUi(() => Promise.reject(inkMissing)).catch((caught) => caught);
    expect(GeppettoError.is(translated) && translated.code).toBe("terminal_ui_missing");
    expect(translated.message).toContain("npm install ink@8.0.0 react@19.3.1");
    expect(translated.message).toContain('package "ink" is missing');
  });
});
