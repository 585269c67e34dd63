/**
 * Node built-ins and packages loaded on first use rather than at import (internal; not exported). Importing
 * `node:crypto` loads about 40 of Node's own modules (streams, ciphers, keys) and `ws` 14 modules of its own: the
 * core, `geppetto/sessions` and `geppetto/testing` import in less time when they wait for the first id, the first
 * connection or the first server.
 */
import type { WebSocket, WebSocketServer } from "ws";

let load: NodeJS.Require | undefined;
let uuid: (() => string) | undefined;
let ws: { WebSocket: typeof WebSocket; WebSocketServer: typeof WebSocketServer } | undefined;

/** `require` from geppetto's own folder (`node:module` itself loaded on the first call). */
export function requireFromGeppetto(specifier: string): unknown {
  load ??= process.getBuiltinModule("node:module").createRequire(import.meta.url);
  return load(specifier);
}

/** `randomUUID` of `node:crypto`, loaded on the first call. */
export function randomUUID(): string {
  uuid ??= process.getBuiltinModule("node:crypto").randomUUID;
  return uuid();
}

/** The `ws` package's `WebSocket` and `WebSocketServer` classes, loaded on the first call. */
export function loadWs(): { WebSocket: typeof WebSocket; WebSocketServer: typeof WebSocketServer } {
  ws ??= requireFromGeppetto("ws") as {
    WebSocket: typeof WebSocket;
    WebSocketServer: typeof WebSocketServer;
  };
  return ws;
}
