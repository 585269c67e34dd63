/**
 * Events: the event union, the run context and publishing, the JSON codec, printers and the router.
 */
export * from "./codec.ts";
export * from "./context.ts";
export * from "./printers.ts";
export * from "./router.ts";
export * from "./transport.ts";
export * from "./types.ts";
