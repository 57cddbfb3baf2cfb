import { describe, expect, it } from "vitest";
import { followTarget, stillFollowing } from "./follow.ts";

describe("followTarget", () => {
  it("goes to the bottom when the newest step fits below the covering card", () => {
    expect(followTarget({ scrollHeight: 2000, clientHeight: 800, newestTop: 1500, covered: 200 })).toBe(1200);
    expect(followTarget({ scrollHeight: 2000, clientHeight: 800, newestTop: null, covered: 200 })).toBe(1200);
  });
  it("stops short of the bottom so the newest step's heading stays below the card", () => {
    // The newest step starts at 900: scrolled to 1200 it would sit under the 200 px card.
    expect(followTarget({ scrollHeight: 2000, clientHeight: 800, newestTop: 900, covered: 200 })).toBe(700);
  });
  it("never scrolls above the top, and stays put when nothing overflows", () => {
    expect(followTarget({ scrollHeight: 600, clientHeight: 800, newestTop: 300, covered: 200 })).toBe(0);
    expect(followTarget({ scrollHeight: 2000, clientHeight: 800, newestTop: 100, covered: 200 })).toBe(0);
  });
});

describe("stillFollowing", () => {
  const box = { scrollHeight: 2000, clientHeight: 800 };
  it("keeps following where it put the reader, or at the bottom", () => {
    expect(stillFollowing({ ...box, scrollTop: 700 }, 700)).toBe(true);
    expect(stillFollowing({ ...box, scrollTop: 1190 }, 700)).toBe(true);
    expect(stillFollowing({ ...box, scrollTop: 1200 }, 1500)).toBe(true);
  });
  it("stops when the reader scrolls up to read", () => {
    expect(stillFollowing({ ...box, scrollTop: 300 }, 700)).toBe(false);
  });
});
