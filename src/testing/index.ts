/**
 * The public testing kit: a scripted engine you can drive in your own tests, and the embedded default.
 */
export * from "./embedded-default.ts";
export * from "./scripted-engine.ts";
