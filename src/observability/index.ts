/**
 * `geppetto/observability`: seeing what a run did. Loggers for the run context (`ctx.withLogger`): silent by
 * default, `createConsoleLogger` (stderr, text or JSON lines), `pinoLogger`; at debug one line per request and
 * response, at trace the request body as YAML with provider ids and encrypted reasoning redacted. The recorder
 * (`createRecordingTap`) writes a real exchange as a replayable fixture for a bug report. Tracing is the `Tracer`
 * interface of the run context (`ctx.withTracer`); `geppetto/otel` implements it on OpenTelemetry.
 *
 * @example
 * import { RunContext } from "geppetto";
 * import { createConsoleLogger } from "geppetto/observability";
 * const ctx = RunContext.background().withLogger(createConsoleLogger({ level: "debug" }));
 */

export { createFixtureTap, type RawTap, type TappedRequest } from "../providers/transport/tap.ts";
export { errorAttributes, genAIProviderName } from "./inference-observer.ts";
export {
  type ConsoleLoggerOptions,
  createConsoleLogger,
  defaultLogger,
  type LogFields,
  type Logger,
  type LogLevel,
  type LogStream,
  type LogThreshold,
  logEnabled,
  type PinoLike,
  parseLogLevel,
  pinoLogger,
  setDefaultLogger,
  silentLogger,
} from "./logger.ts";
export { createRecordingTap, type RecordingTapOptions, recordingPath, withRecording } from "./recorder.ts";
export { redactRequestBody, requestDumpYaml, summarizeRequest } from "./request-log.ts";
export { observeTokenCount } from "./token-count.ts";
export {
  inSpan,
  openSpan,
  type SpanAttributes,
  type SpanAttributeValue,
  type SpanKind,
  type Tracer,
  type TraceSpan,
} from "./tracing.ts";
export { rateLimitHeaders } from "./transport-events.ts";
