import { describe, expect, it } from "vitest";
import { StopFilter } from "./pipeline.ts";

function run(stops: string[], pieces: string[]) {
  const f = new StopFilter(stops);
  const out = pieces.map((p) => f.push(p));
  out.push(f.flush());
  return { out, text: out.join(""), stopped: f.stopped, output: f.output };
}

describe("StopFilter", () => {
  it("passes text through without stop sequences", () => {
    expect(run([], ["ab", "cd"]).out).toEqual(["ab", "cd", ""]);
  });

  it("cuts before the first stop sequence, even when it is split across pieces", () => {
    const r = run(["END"], ["hello E", "N", "D world"]);
    expect(r.text).toBe("hello ");
    expect(r.stopped).toBe(true);
    expect(r.out).toEqual(["hello ", "", "", ""]);
  });

  it("holds back only what could still become a stop sequence, and releases it when it does not", () => {
    const r = run(["END"], ["abcE", "Nx", "yz"]);
    expect(r.out).toEqual(["abc", "ENx", "yz", ""]);
    expect(r.stopped).toBe(false);
  });

  it("picks the earliest of several sequences; a tail held at the end is flushed", () => {
    expect(run(["zz", "b"], ["aab zz"]).text).toBe("aa");
    expect(run(["xyz"], ["abcxy"]).out).toEqual(["abc", "xy"]);
    expect(run(["", "q"], ["pq"]).text).toBe("p");
  });
});
