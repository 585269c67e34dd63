/** The local provider server's module for the toy wire: scripted answers as toy lines. */
import type { ProtocolModule, RecordedRequest } from "../../../testing/provider-server/types.ts";
import { argumentsText, tokensOf } from "../../../testing/provider-server/script.ts";
import type { ToyLine } from "./engine.ts";

const streamed = (request: RecordedRequest) =>
  (request.body as { stream?: boolean } | undefined)?.stream !== false;

/** The toy wire on the local provider server, under `<url>/toy`. */
export const toyServerModule: ProtocolModule = {
  name: "toy",
  basePath: "/toy",
  matches: (method, path) => method === "POST" && path === "/toy/generate",
  wantsStream: streamed,
  render(script, streaming) {
    const tokens = tokensOf(script);
    const lines: ToyLine[] = tokens.map((text) => ({ text }));
    for (const [index, call] of (script.toolCalls ?? []).entries()) {
      const args = JSON.parse(argumentsText(call.arguments) || "{}") as Record<string, never>;
      lines.push({ call: { id: call.id ?? `toy_call_${index}`, name: call.name, args } });
    }
    const done = script.stopReason === "limit" ? "limit" : "stop";
    lines.push({ done, usage: { input: script.usage?.inputTokens ?? 3, output: tokens.length } });
    if (!streaming) {
      return {
        status: 200,
        headers: { "content-type": "application/json" },
        frames: [JSON.stringify({ lines })],
      };
    }
    const frames = lines.map((line) => `${JSON.stringify(line)}\n`);
    return { status: 200, headers: { "content-type": "application/x-ndjson" }, frames };
  },
  frameChunk: (line) => `${line}\n`,
  streamContentType: "application/x-ndjson",
};
