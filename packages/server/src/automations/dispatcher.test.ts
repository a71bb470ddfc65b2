import { describe, expect, it } from "vitest";
import { perAppCap, shareSlots } from "./dispatcher.js";

describe("perAppCap()", () => {
  it("keeps a quarter of the slots (at least one) for other apps, one slot each at the least", () => {
    expect([1, 2, 3, 4, 8, 32].map(perAppCap)).toEqual([1, 1, 2, 3, 6, 24]);
  });
});

describe("shareSlots()", () => {
  const none = new Map<string, number>();
  it("gives each app a slot in turn, the oldest due first", () => {
    expect([...shareSlots(["a", "b", "c"], 5, 24, none)]).toEqual([
      ["a", 2],
      ["b", 2],
      ["c", 1],
    ]);
  });
  it("gives no app more than the cap, counting what it already runs", () => {
    const running = new Map([["flood", 3]]);
    expect([...shareSlots(["flood", "quiet"], 1, 3, running)]).toEqual([["quiet", 1]]);
    expect([...shareSlots(["flood"], 4, 3, new Map([["flood", 1]]))]).toEqual([["flood", 2]]);
  });
  it("shares nothing without room or apps", () => {
    expect(shareSlots(["a"], 0, 3, none).size).toBe(0);
    expect(shareSlots([], 4, 3, none).size).toBe(0);
  });
});
