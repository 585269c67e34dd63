/**
 * Streams: an inference read by pulling (`for await`), with its text and result views and real back-pressure.
 */
export * from "./event-queue.ts";
export * from "./inference-stream.ts";
