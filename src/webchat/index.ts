/**
 * The web chat (`geppetto/webchat`): a server that streams a conversation's geppetto events to a browser as
 * frames over a WebSocket, keeps a durable timeline (SQLite) that a reloaded page hydrates from, and serves the
 * built UI. `geppetto webchat` runs it; an application embeds it with {@link startWebChatServer} and may
 * register translations for its own events.
 *
 * @example
 * import { defaultTranslations, startWebChatServer, TimelineStore } from "geppetto/webchat";
 * const server = await startWebChatServer({
 *   engine: { engine },
 *   timeline: await TimelineStore.open("./webchat.db"),
 *   translations: defaultTranslations().onCustom("myapp.progress", (event) => [
 *     { type: "myapp.progress", id: `progress:${event.meta.id}`, kind: "progress", data: { step: String(event.payload) } },
 *   ]),
 * });
 */
export * from "./conversation.ts";
export * from "./frames.ts";
export * from "./relay.ts";
export {
  DEFAULT_WEBCHAT_PORT,
  startWebChatServer,
  type WebChatServer,
  type WebChatServerOptions,
} from "./server.ts";
export * from "./shared-timeline.ts";
export * from "./timeline.ts";
export * from "./timeline-rows.ts";
export * from "./translation.ts";
