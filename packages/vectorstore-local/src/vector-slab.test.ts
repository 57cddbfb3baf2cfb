import { writeFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { writeFileAtomic } from "./storage.ts";
import { VectorSlab } from "./vector-slab.ts";

let directory: string;
beforeEach(async () => {
  directory = await mkdtemp(join(tmpdir(), "deeprecall-slab-"));
});
afterEach(async () => {
  await rm(directory, { recursive: true, force: true });
});

const vector = (i: number) => Float32Array.from([i, i + 0.5, -i]);

describe("VectorSlab", () => {
  it("appends rows across chunk boundaries and reads them back", () => {
    const slab = new VectorSlab(3, { chunkRows: 4 });
    expect(slab.simd).toBe(false); // 3 is not a multiple of 8: plain chunks
    for (let i = 0; i < 10; i++) expect(slab.append(vector(i))).toBe(i);
    expect(slab.rows).toBe(10);
    expect(slab.byteSize).toBe(3 * 4 * 3 * 4); // three chunks of 4 rows
    for (let i = 0; i < 10; i++) expect([...slab.row(i)]).toEqual([...vector(i)]);
    expect(() => slab.append(Float32Array.from([1, 2]))).toThrow(RangeError);
  });

  it("filters rows in order", () => {
    const slab = new VectorSlab(3, { chunkRows: 4 });
    for (let i = 0; i < 10; i++) slab.append(vector(i));
    const odd = slab.filter((row) => row % 2 === 1);
    expect(odd.rows).toBe(5);
    expect([...odd.row(4)]).toEqual([...vector(9)]);
  });

  it("round-trips through a file, including a partly filled last chunk and an empty slab", () => {
    const slab = new VectorSlab(3, { chunkRows: 4 });
    for (let i = 0; i < 10; i++) slab.append(vector(i));
    const path = join(directory, "v.f32");
    writeFileAtomic(path, slab.toByteParts());
    const read = VectorSlab.readFile(path, 3, { chunkRows: 4 });
    expect(read.rows).toBe(10);
    for (let i = 0; i < 10; i++) expect([...read.row(i)]).toEqual([...vector(i)]);
    // A different chunk size reads the same rows.
    const other = VectorSlab.readFile(path, 3, { chunkRows: 3 });
    expect(other.rows).toBe(10);
    expect([...other.row(9)]).toEqual([...vector(9)]);

    writeFileAtomic(path, new VectorSlab(3).toByteParts());
    expect(VectorSlab.readFile(path, 3).rows).toBe(0);
  });

  it("rejects a file that is not a whole number of rows", () => {
    const path = join(directory, "bad.f32");
    writeFileSync(path, new Uint8Array(13));
    expect(() => VectorSlab.readFile(path, 3)).toThrow(/whole number/);
  });

  it("scores with the SIMD kernel exactly like plain JavaScript, across blocks, and round-trips", () => {
    let state = 11;
    const random = () => {
      state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
      return state / 2 ** 32 - 0.5;
    };
    const dimension = 24;
    const rows = 9000; // more than two score blocks of 4096
    const simd = new VectorSlab(dimension);
    const plain = new VectorSlab(dimension, { simd: false, chunkRows: 1000 });
    expect(simd.simd).toBe(true);
    expect(plain.simd).toBe(false);
    const vectors = Array.from({ length: rows }, () => Float32Array.from({ length: dimension }, random));
    for (const v of vectors) {
      simd.append(v);
      plain.append(v);
    }
    const query = Float32Array.from({ length: dimension }, random);
    const collect = (slab: VectorSlab) => {
      const out = new Float64Array(rows).fill(Number.NaN);
      slab.forEachScoreBlock(query, (first, scores) => {
        for (let i = 0; i < scores.length; i++) out[first + i] = scores[i]!;
      });
      return out;
    };
    const a = collect(simd);
    const b = collect(plain);
    for (let row = 0; row < rows; row++) {
      let expected = 0;
      for (let k = 0; k < dimension; k++) expected += query[k]! * vectors[row]![k]!;
      expect(a[row]).toBeCloseTo(expected, 5);
      expect(b[row]).toBeCloseTo(expected, 5);
    }
    const path = join(directory, "simd.f32");
    writeFileAtomic(path, simd.toByteParts());
    const read = VectorSlab.readFile(path, dimension);
    expect(read.simd).toBe(true);
    expect(read.rows).toBe(rows);
    expect(collect(read)).toEqual(a);
    expect(() => simd.forEachScoreBlock(new Float32Array(3), () => {})).toThrow(RangeError);
  });

  it("uses plain JavaScript for a dimension that is not a multiple of 8", () => {
    expect(new VectorSlab(12).simd).toBe(false);
    expect(new VectorSlab(16).simd).toBe(true);
  });

  it("moves to chunks when the WebAssembly memory would exceed its limit, keeping every row", () => {
    const dimension = 8;
    // room for the scratch area and a few rows only
    const slab = new VectorSlab(dimension, { capacity: 1, maxWasmBytes: 4 * 65_536, chunkRows: 100 });
    expect(slab.simd).toBe(true);
    const rows = 10_000;
    for (let i = 0; i < rows; i++) slab.append(Float32Array.from({ length: dimension }, (_, k) => i + k));
    expect(slab.simd).toBe(false);
    expect(slab.rows).toBe(rows);
    for (const i of [0, 1, 5000, rows - 1]) expect(slab.row(i)[3]).toBe(i + 3);
    const path = join(directory, "big.f32");
    writeFileAtomic(path, slab.toByteParts());
    const read = VectorSlab.readFile(path, dimension, { maxWasmBytes: 4 * 65_536 });
    expect(read.simd).toBe(false);
    expect(read.rows).toBe(rows);
    expect(read.row(rows - 1)[0]).toBe(rows - 1);
  });
});
