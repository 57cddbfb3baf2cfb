import { describe, expect, it } from "vitest";
import { fakeEmbedding } from "./fake-embedding.ts";

const cos = (a: number[], b: number[]) => a.reduce((s, x, i) => s + x * b[i]!, 0);

describe("fakeEmbedding", () => {
  it("is deterministic, has the requested dimension and unit length", async () => {
    const embed = fakeEmbedding(32);
    const [a] = await embed(["Sourdough bread needs a starter."]);
    const [b] = await fakeEmbedding(32)(["Sourdough bread needs a starter."]);
    expect(a).toHaveLength(32);
    expect(a).toEqual(b);
    expect(cos(a!, a!)).toBeCloseTo(1, 10);
  });

  it("defaults to 256 dimensions and returns one vector per text, in order", async () => {
    const texts = ["one", "two", "three"];
    const vectors = await fakeEmbedding()(texts);
    expect(vectors).toHaveLength(3);
    expect(vectors.every((v) => v.length === 256)).toBe(true);
    expect(vectors[0]).not.toEqual(vectors[1]);
  });

  it("puts lexically similar texts closer than unrelated ones", async () => {
    const [q, near, far] = await fakeEmbedding()([
      "how to bake sourdough bread",
      "Baking sourdough bread at home with a starter",
      "Kubernetes rolling updates of containers",
    ]);
    expect(cos(q!, near!)).toBeGreaterThan(cos(q!, far!) + 0.2);
  });

  it("matches CJK text through character bigrams", async () => {
    const [q, tokyo, athens] = await fakeEmbedding()([
      "東京",
      "東京は日本の首都です。",
      "Η Αθήνα είναι η πρωτεύουσα",
    ]);
    expect(cos(q!, tokyo!)).toBeGreaterThan(cos(q!, athens!));
  });

  it("gives a valid unit vector for text without letters", async () => {
    const [v] = await fakeEmbedding(8)(["🚀 !!! ✨"]);
    expect(v).toHaveLength(8);
    expect(cos(v!, v!)).toBeCloseTo(1, 10);
  });

  it("rejects a nonsensical dimension", () => {
    expect(() => fakeEmbedding(0)).toThrow(RangeError);
  });
});
