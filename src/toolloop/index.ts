/**
 * The tool loop: inference, tool execution and results, repeated; snapshot hooks; step control (pauses with
 * approve/deny).
 */
export * from "./loop.ts";
export * from "./snapshot.ts";
export * from "./step-control.ts";
export * from "./steps.ts";
