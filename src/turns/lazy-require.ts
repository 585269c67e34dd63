/**
 * Node built-ins and packages loaded on first use rather than at import (internal; not exported). Importing
 * `node:crypto` loads about 40 of Node's own modules (streams, ciphers, keys; the Web Crypto global used for ids
 * loads 6) and `ws` 14 modules of its own: the core, `geppetto/sessions` and `geppetto/testing` import in less time
 * when they wait for the first id, the first connection or the first server.
 */
import type { WebSocket, WebSocketServer } from "ws";

let load: NodeJS.Require | undefined;
let ws: { WebSocket: typeof WebSocket; WebSocketServer: typeof WebSocketServer } | undefined;

/** `require` from geppetto's own folder (`node:module` itself loaded on the first call). */
export function requireFromGeppetto(specifier: string): unknown {
  load ??= process.getBuiltinModule("node:module").createRequire(import.meta.url);
  return load(specifier);
}

/**
 * A random (version 4) UUID from the Web Crypto global, Node's own generator loaded on the first call: the same
 * generator as `node:crypto`'s `randomUUID`, without its ciphers, keys and certificates (about 1 ms less).
 */
export function randomUUID(): string {
  return globalThis.crypto.randomUUID();
}

/** The `ws` package's `WebSocket` and `WebSocketServer` classes, loaded on the first call. */
export function loadWs(): { WebSocket: typeof WebSocket; WebSocketServer: typeof WebSocketServer } {
  ws ??= requireFromGeppetto("ws") as {
    WebSocket: typeof WebSocket;
    WebSocketServer: typeof WebSocketServer;
  };
  return ws;
}
