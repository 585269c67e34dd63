import { describe, expect, it } from "vitest";
import type { GeppettoEvent } from "../../events/types.ts";
import { createTestIO } from "../test-io.ts";
import { linePrinter } from "./line-mode.ts";

const meta = { id: "m", seq: 0 };

describe("line-mode printer", () => {
  it("ends a run of reasoning text before whatever comes next, including an interrupt", () => {
    for (const ending of [
      { type: "interrupt", text: "", meta },
      { type: "error", message: "overloaded", meta },
      { type: "final", text: "", meta },
    ] as GeppettoEvent[]) {
      const io = createTestIO();
      const print = linePrinter(io);
      print({ type: "partial-thinking", delta: "hmm", completion: "hmm", meta });
      print(ending);
      expect(io.err).toBe("hmm\n");
    }
  });

  it("writes the answer to stdout and the reasoning to stderr", () => {
    const io = createTestIO();
    const print = linePrinter(io);
    print({ type: "partial-thinking", delta: "think", completion: "think", meta });
    print({ type: "partial", delta: "Answer", completion: "Answer", meta });
    expect(io.out).toBe("Answer");
    expect(io.err).toBe("think\n");
  });

  it("prints a retry's status line on stderr", () => {
    const io = createTestIO();
    const print = linePrinter(io);
    const retry = { attempt: 2, maxAttempts: 3, delayMs: 1000, status: 429, reason: "HTTP 429" };
    print({ type: "status", text: "claude: HTTP 429; retrying", meta: { ...meta, extra: { retry } } });
    expect(io.err).toBe("geppetto: claude: rate limited (HTTP 429), retrying in 1 s (attempt 2 of 3)\n");
  });
});
