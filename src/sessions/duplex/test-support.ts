/**
 * Test support (not part of the build): reads a duplex session's response stream in the background and lets a
 * test wait for a chunk.
 */
import type { DuplexSession } from "./duplex-session.ts";
import type { DuplexOutput } from "./types.ts";

/** The chunks read so far, and a way to wait for one. */
export interface ResponseReader {
  readonly chunks: DuplexOutput[];
  /** Resolves with the first chunk (from `from` on) that matches. */
  until(match: (chunk: DuplexOutput) => boolean, from?: number): Promise<DuplexOutput>;
  /** Resolves when the stream has ended. */
  readonly ended: Promise<void>;
}

/**
 * Starts reading `session.response()`.
 *
 * @example
 * const reader = readResponse(session);
 * await reader.until((chunk) => chunk.type === "turn-end");
 */
export function readResponse(session: DuplexSession): ResponseReader {
  const chunks: DuplexOutput[] = [];
  const waiters = new Set<() => void>();
  let finished = false;
  const ended = (async () => {
    try {
      for await (const chunk of session.response()) {
        chunks.push(chunk);
        for (const waiter of [...waiters]) waiter();
      }
    } finally {
      finished = true;
      for (const waiter of [...waiters]) waiter();
    }
  })();
  return {
    chunks,
    ended,
    until(match, from = 0) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const found = chunks.slice(from).find(match);
          if (found) {
            waiters.delete(check);
            resolve(found);
          } else if (finished) {
            waiters.delete(check);
            reject(
              new Error(
                `the response stream ended without the chunk waited for (got ${chunks.map((chunk) => chunk.type).join(", ")})`,
              ),
            );
          }
        };
        waiters.add(check);
        check();
      });
    },
  };
}

/** The chunks of one type. */
export function chunksOfType<T extends DuplexOutput["type"]>(
  chunks: DuplexOutput[],
  type: T,
): Extract<DuplexOutput, { type: T }>[] {
  return chunks.filter((chunk): chunk is Extract<DuplexOutput, { type: T }> => chunk.type === type);
}
