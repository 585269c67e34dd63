/**
 * `geppetto serve-provider`: runs the local provider-compatible server until Ctrl-C, replaying a recorded file,
 * a scripted text, or answering any prompt like the embedded default.
 */

import { listProviders } from "../provider-kit/registry.ts";
import { defaultAnswer } from "../testing/provider-server/default-server.ts";
import { longText } from "../testing/provider-server/script.ts";
import { startProviderServer } from "../testing/provider-server/server.ts";
import type { ResponseSpec } from "../testing/provider-server/types.ts";
import { startRecordingProxy } from "../testing/realtime-recording/proxy.ts";
import { startReplayServer } from "../testing/realtime-recording/replay.ts";
import type { CliIO } from "./main.ts";
import { parseCommandLine, UsageError } from "./usage.ts";

export const HELP = `Usage: geppetto serve-provider [options]

Serves provider wire protocols on 127.0.0.1 for tests and demos, until Ctrl-C: OpenAI Chat Completions
(POST /v1/chat/completions, streamed or not) and every other registered protocol (listed on stderr). By
default it answers any prompt like the embedded default. Prints the OpenAI base URL to use (for example as
OPENAI_BASE_URL) on stdout, and each protocol's base URL on stderr.

Options:
  --port N             Port to listen on (default: any free port)
  --fixture FILE       Replay a recorded file (.sse, .chunks.txt, .jsonl, .json, .httprr.txt, .replay.json, .session.json)
  --text TEXT          Answer with this text, streamed word by word
  --tool-call NAME=JSON  Answer with a call of tool NAME with these arguments (repeatable; with --text too)
  --tokens N           Answer with a text of N tokens (benchmarks)
  --pacing-ms N        Wait N ms between streamed events
  --record FILE        Realtime recording proxy: forward OpenAI Realtime / Gemini Live WebSocket sessions to
                       --upstream and write each to FILE (JSONL; the API key comes from OPENAI_API_KEY or
                       GEMINI_API_KEY and is never written)
  --upstream URL       The real service for --record (wss://api.openai.com, wss://generativelanguage.googleapis.com)
  --replay FILE        Serve a realtime recording over WebSocket (client messages matched by type, in order)
  -h, --help           Show this help

Examples:
  geppetto serve-provider --port 8787
  geppetto serve-provider --fixture fixtures/providers/openai-chat/stream-tool-call.sse
  geppetto serve-provider --text "Hello there, friend" --pacing-ms 50
  geppetto serve-provider --tool-call 'get_weather={"city":"Oslo"}'
  geppetto serve-provider --record greeting.realtime.jsonl --upstream wss://api.openai.com
  geppetto serve-provider --replay greeting.realtime.jsonl
  OPENAI_BASE_URL=http://127.0.0.1:8787/v1 OPENAI_API_KEY=local geppetto run --ai-api-type openai "Hi"
`;

const OPTIONS = {
  port: { type: "string" },
  fixture: { type: "string" },
  text: { type: "string" },
  "tool-call": { type: "string", multiple: true },
  tokens: { type: "string" },
  "pacing-ms": { type: "string" },
  record: { type: "string" },
  upstream: { type: "string" },
  replay: { type: "string" },
  help: { type: "boolean", short: "h" },
} as const;

function integer(flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 0)
    throw new UsageError(`--${flag} must be a whole number (got "${value}")`);
  return parsed;
}

/** `NAME=JSON` → a scripted tool call. */
function toolCallOf(
  text: string,
  index: number,
): { id: string; name: string; arguments: Record<string, unknown> } {
  const separator = text.indexOf("=");
  const name = separator < 0 ? text : text.slice(0, separator);
  if (!/^[a-zA-Z0-9_-]+$/.test(name)) {
    throw new UsageError(
      `--tool-call must be NAME=JSON with a tool name of letters, digits, _ or - (got "${text}")`,
    );
  }
  if (separator < 0) return { id: `call_cli_${index + 1}`, name, arguments: {} };
  let args: unknown;
  try {
    args = JSON.parse(text.slice(separator + 1));
  } catch {
    throw new UsageError(
      `--tool-call ${name}: the arguments are not JSON (got "${text.slice(separator + 1)}")`,
    );
  }
  if (typeof args !== "object" || args === null || Array.isArray(args)) {
    throw new UsageError(`--tool-call ${name}: the arguments must be a JSON object`);
  }
  return { id: `call_cli_${index + 1}`, name, arguments: args as Record<string, unknown> };
}

/** Serves until Ctrl-C, then stops `server`. */
async function untilInterrupted(io: CliIO, server: { close(): Promise<void> }): Promise<number> {
  await new Promise<void>((resolve) => {
    const stop = io.onInterrupt(() => {
      stop();
      resolve();
    });
  });
  await server.close();
  return 0;
}

/** `--record FILE --upstream URL` (the recording proxy) or `--replay FILE` (the replay server). */
async function serveRealtime(
  values: { record?: string; upstream?: string; replay?: string; port?: string; [other: string]: unknown },
  io: CliIO,
): Promise<number> {
  const port = integer("port", values.port);
  const others = Object.keys(values).filter(
    (name) => !["record", "upstream", "replay", "port"].includes(name) && values[name] !== undefined,
  );
  if (others.length > 0) throw new UsageError(`--${others[0]} does not go with --record or --replay`);
  if (values.replay !== undefined) {
    if (values.record !== undefined || values.upstream !== undefined)
      throw new UsageError("give either --replay FILE or --record FILE --upstream URL");
    const replay = await startReplayServer({
      recording: values.replay,
      ...(port === undefined ? {} : { port }),
    });
    io.stdout.write(`${replay.openAIRealtimeURL}\n${replay.geminiLiveURL}\n`);
    io.stderr.write(`geppetto serve-provider: replaying ${values.replay}; Ctrl-C to stop\n`);
    return untilInterrupted(io, replay);
  }
  if (values.record === undefined || values.upstream === undefined)
    throw new UsageError("--record FILE and --upstream URL go together");
  const proxy = await startRecordingProxy({
    file: values.record,
    upstream: values.upstream,
    ...(port === undefined ? {} : { port }),
  });
  io.stdout.write(`${proxy.openAIRealtimeURL}\n${proxy.geminiLiveURL}\n`);
  io.stderr.write(
    `geppetto serve-provider: recording sessions to ${values.record} from ${values.upstream}; Ctrl-C to stop\n`,
  );
  return untilInterrupted(io, proxy);
}

/** Runs the command: serves until interrupted. */
export async function run(argv: string[], io: CliIO): Promise<number> {
  const { values } = parseCommandLine(argv, OPTIONS);
  if (values.help) {
    io.stdout.write(HELP);
    return 0;
  }
  if (values.record !== undefined || values.replay !== undefined || values.upstream !== undefined)
    return serveRealtime(values, io);
  const sources = [values.fixture, values.text, values.tokens].filter((value) => value !== undefined);
  if (sources.length > 1) throw new UsageError("give at most one of --fixture, --text, --tokens");
  const tokens = integer("tokens", values.tokens);
  const port = integer("port", values.port);
  const pacingMs = integer("pacing-ms", values["pacing-ms"]);
  const toolCalls = (values["tool-call"] ?? []).map(toolCallOf);
  if (toolCalls.length > 0 && (values.fixture !== undefined || tokens !== undefined)) {
    throw new UsageError("--tool-call goes with --text or alone, not with --fixture or --tokens");
  }
  let response: ResponseSpec = defaultAnswer;
  if (values.fixture !== undefined) response = { fixture: values.fixture };
  else if (toolCalls.length > 0) {
    response = { script: { ...(values.text === undefined ? {} : { text: values.text }), toolCalls } };
  } else if (values.text !== undefined) response = { script: { text: values.text } };
  else if (tokens !== undefined) response = { script: longText(tokens) };
  if (pacingMs) response = { ...response, pacingMs };
  const server = await startProviderServer({ response, ...(port === undefined ? {} : { port }) });
  io.stdout.write(`${server.baseURL("openai-chat")}\n`);
  io.stderr.write(`geppetto serve-provider: listening on ${server.url}; Ctrl-C to stop\n`);
  for (const protocol of new Set(listProviders().map((provider) => provider.protocol.name))) {
    io.stderr.write(`  ${protocol.padEnd(18)} ${server.baseURL(protocol)}\n`);
  }
  return untilInterrupted(io, server);
}
