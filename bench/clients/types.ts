/** The contract every benchmark client implements. */

/** A loaded client, ready to stream workloads from the bench server. */
export interface BenchClient {
  /** Streams `text-N`; calls `onFirstToken` at the first text delta; resolves with the full text received. */
  text(tokens: number, onFirstToken?: () => void): Promise<string>;
  /** Streams `tool-N`; resolves with the tool call's arguments (JSON text or parsed object). */
  tool(chunks: number): Promise<unknown>;
  /** Like `text`, with a per-turn inference config on the request (geppetto: `KeyInferenceConfig`). */
  textWithConfig?(tokens: number): Promise<string>;
}

/** A client the harness can run. `load` imports its library (timed as the import scenario). */
export interface ClientDefinition {
  /** Short id used on the command line and in tables. */
  name: string;
  /** What it is, for RESULTS.md. */
  label: string;
  protocol: "openai" | "anthropic";
  /** True for the floor client of its protocol (every ratio is relative to it). */
  floor?: boolean;
  /** True for geppetto's own engines (the targets apply to them). */
  geppetto?: boolean;
  /** True for a client that pulls events with `for await` (its own, looser CPU target). */
  pull?: boolean;
  /** Imports the library and builds a client for the server at `origin` (e.g. `http://127.0.0.1:1234`). */
  load(origin: string): Promise<BenchClient>;
}

/** Builds one value per key on first use (clients that take the model at construction). */
export function perKey<T>(build: (key: string) => T): (key: string) => T {
  const made = new Map<string, T>();
  return (key) => {
    let value = made.get(key);
    if (value === undefined) {
      value = build(key);
      made.set(key, value);
    }
    return value;
  };
}
