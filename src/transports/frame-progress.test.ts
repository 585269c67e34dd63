import { describe, expect, it } from "vitest";
import { FrameProgress } from "./shared.ts";

const byNumber = (first: string, second: string) => Number(first) - Number(second);
const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

describe("FrameProgress: where a handler group got to inside its frames", () => {
  it("saves nothing for a frame whose last event is handled in the same turn (its acknowledgement covers it)", async () => {
    const saved: string[] = [];
    const progress = new FrameProgress(byNumber, async (position) => {
      saved.push(position);
    });
    for (let index = 0; index < 5; index++) progress.record("7", index, index === 4);
    await nextTurn();
    await progress.flush();
    expect(saved).toEqual([]);
    expect(progress.handled("7", 4)).toBe(true);
    expect(progress.handled("8", 0)).toBe(false);
  });

  it("saves the newest position of a frame left partly handled past the turn, and on flush", async () => {
    const saved: string[] = [];
    const progress = new FrameProgress(byNumber, async (position) => {
      saved.push(position);
    });
    progress.record("7", 0, false);
    progress.record("7", 1, false);
    await nextTurn();
    await progress.flush();
    expect(saved).toEqual(["7/1"]);
    progress.record("7", 2, false);
    await progress.flush(); // a closing consumer saves at once
    expect(saved).toEqual(["7/1", "7/2"]);
    const resumed = new FrameProgress(byNumber, async () => {});
    resumed.load(saved.at(-1));
    expect([resumed.handled("7", 2), resumed.handled("7", 3)]).toEqual([true, false]);
  });
});
