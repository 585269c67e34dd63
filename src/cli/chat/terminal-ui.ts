/**
 * The chat's terminal UI (Ink and React) is an optional part of geppetto: a library install leaves it out, and
 * `geppetto chat` in a terminal loads it on use, with the command to install it when it is missing.
 */
import { CallerError } from "../../engine/errors.ts";

/** The packages of the terminal UI, pinned as in geppetto's package.json (optional peer dependencies). */
export const TERMINAL_UI_PACKAGES = ["ink@8.0.0", "react@19.3.1"] as const;

/**
 * The chat screen's module, or a CallerError (code `terminal_ui_missing`) saying how to install its packages.
 * `load` is the import (replaceable in tests).
 *
 * @example
 * const { renderChat } = await loadTerminalUi();
 */
export async function loadTerminalUi<T = typeof import("./app.tsx")>(
  load: () => Promise<T> = () => import("./app.tsx") as Promise<T>,
): Promise<T> {
  // React's development build costs several times the CPU per render (it records a task per element); the
  // chat runs the production build unless NODE_ENV asks otherwise. Read by React when it loads, hence here.
  process.env.NODE_ENV ??= "production";
  try {
    return await load();
  } catch (error) {
    const missing = (error as { code?: string }).code === "ERR_MODULE_NOT_FOUND";
    const names = TERMINAL_UI_PACKAGES.map((spec) => spec.slice(0, spec.lastIndexOf("@")));
    const message = String((error as Error).message);
    const uiPackage = names.find((name) => message.includes(`'${name}'`) || message.includes(`'${name}/`));
    if (!missing || uiPackage === undefined) throw error;
    throw new CallerError(
      `the terminal chat needs ${names.join(" and ")}, which a library install of geppetto leaves out (package "${uiPackage}" is missing): run \`npm install ${TERMINAL_UI_PACKAGES.join(" ")}\` next to geppetto. With piped input (\`echo Hello | geppetto chat\`) the chat runs without them.`,
      { code: "terminal_ui_missing", cause: error },
    );
  }
}
