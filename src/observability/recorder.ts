/**
 * The raw tap as a recorder for bug reports: every exchange of an engine (retries included) written in the
 * fixture formats of `fixtures/providers` — the response body as received (`.sse`, `.jsonl`, `.json`, which the
 * local provider server replays) and the request beside it (`<name>.request.json`, credentials replaced). Provider
 * ids (numbered consistently: `[id 1]`…), encrypted reasoning and signatures are redacted in both, unless
 * `unredacted`; the body's framing stays as received, so the recording replays. API keys never reach the files: the
 * transport scrubs them from everything a tap sees.
 */
import type { RunContext } from "../events/context.ts";
import { createFixtureTap, type RawTap } from "../providers/transport/tap.ts";
import { redactRequestBody } from "./request-log.ts";
import { ContextTapKey } from "./transport-events.ts";

/** Options of {@link createRecordingTap}. */
export interface RecordingTapOptions {
  /** Keep provider ids, encrypted reasoning and signatures in the request files. */
  unredacted?: boolean;
}

/** The file of exchange `index` (0 first): `path` itself, then `name.2.ext`, `name.3.ext`… */
export function recordingPath(path: string, index: number): string {
  if (index === 0) return path;
  const dot = path.lastIndexOf(".");
  const slash = path.lastIndexOf("/");
  return dot > slash ? `${path.slice(0, dot)}.${index + 1}${path.slice(dot)}` : `${path}.${index + 1}`;
}

/**
 * A tap recording every exchange to `path` (the first), `name.2.ext` (the second)… Pass it as an engine's `tap`
 * option; replay a recording with `startProviderServer({ response: { fixture: path } })` from `geppetto/testing`.
 *
 * @example
 * const recorder = createRecordingTap("bug-report.sse");
 * const engine = createOpenAIChatEngine({ model: "gpt-4o-mini", tap: recorder });
 * await engine.runInference(turn, ctx);
 * recorder.files // ["bug-report.sse", "bug-report.request.json"]
 */
export function createRecordingTap(
  path: string,
  options: RecordingTapOptions = {},
): RawTap & { readonly files: readonly string[] } {
  const files: string[] = [];
  let exchanges = 0;
  let current: ReturnType<typeof createFixtureTap> | undefined;
  // One numbering for the whole recording: a response's ids and the next request's references match.
  const ids = new Map<string, string>();
  const redact = (body: string): string => {
    if (options.unredacted) return body;
    try {
      return JSON.stringify(redactRequestBody(JSON.parse(body), ids));
    } catch {
      return body;
    }
  };
  return {
    files,
    request(request) {
      const file = recordingPath(path, exchanges++);
      current = createFixtureTap(file);
      files.push(file, current.requestPath);
      current.request({ ...request, body: redact(request.body) });
    },
    response(response) {
      current?.response(response);
    },
    chunk(bytes) {
      current?.chunk(bytes);
    },
    end(error) {
      current?.end(error);
      if (current && !options.unredacted) redactRecordedBody(files[files.length - 2]!, ids);
      current = undefined;
    },
  };
}

/**
 * Redacts a recorded response body in place: a whole JSON body, or each JSON line and each SSE `data:` line
 * (other lines, and the framing, stay as received).
 */
function redactRecordedBody(file: string, ids: Map<string, string>): void {
  const { readFileSync, writeFileSync } = process.getBuiltinModule("node:fs");
  const text = readFileSync(file, "utf8");
  const redactJson = (json: string): string | undefined => {
    try {
      return JSON.stringify(redactRequestBody(JSON.parse(json), ids));
    } catch {
      return undefined;
    }
  };
  const whole =
    text.trimStart().startsWith("{") || text.trimStart().startsWith("[") ? redactJson(text) : undefined;
  const redacted =
    whole ??
    text
      .split("\n")
      .map((line) => {
        if (line.startsWith("data:")) {
          const json = redactJson(line.slice(5).trim());
          return json === undefined ? line : `data: ${json}`;
        }
        return line.startsWith("{") ? (redactJson(line) ?? line) : line;
      })
      .join("\n");
  if (redacted !== text) writeFileSync(file, redacted);
}

/**
 * A context whose inferences are recorded by `tap`, whatever engine runs them (every provider's transport
 * consults it; an engine's own `tap` option still applies). This is what `geppetto run --record FILE` does.
 *
 * @example
 * const ctx = withRecording(RunContext.background(), createRecordingTap("bug-report.sse"));
 * await engine.runInference(turn, ctx);
 */
export function withRecording(ctx: RunContext, tap: RawTap): RunContext {
  return ctx.with(ContextTapKey, tap);
}
