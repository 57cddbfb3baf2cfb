import { closeSync, fstatSync, openSync, readSync } from "node:fs";
import { createDotKernel, createWasmMemory, type DotKernel, type WasmMemory } from "./simd-dot.ts";

const PAGE = 65_536;
const MAX_WASM_PAGES = 65_536; // 4 GiB: the most a 32-bit WebAssembly memory can address
/** Rows scored per kernel call; the scores of one block live in a scratch area. */
const BLOCK_ROWS = 4096;

export interface VectorSlabOptions {
  /** Rows to make room for at once. */
  capacity?: number;
  /** Use the WebAssembly SIMD kernel when possible (dimension a multiple of 8). Default true. */
  simd?: boolean;
  /** Rows per chunk in the plain JavaScript layout. Default 4096. */
  chunkRows?: number;
  /** Largest WebAssembly memory to use, in bytes (default 4 GiB); beyond it, the slab moves to chunks. */
  maxWasmBytes?: number;
}

/**
 * Dense vectors as float32 rows in one slab.
 *
 * Normally the slab is one WebAssembly memory laid out as `[query | block scores | row 0 | row 1 …]`
 * and scored by the SIMD kernel of `simd-dot.ts`. The memory grows in place (the engine reserves
 * its address range up front), so growing never holds the data twice, and pages not yet written
 * are not resident. Where that is not possible — no WebAssembly SIMD, a dimension that is not a
 * multiple of 8, or more than 4 GiB of vectors — rows live in fixed-size `Float32Array` chunks
 * scored by a plain JavaScript loop; the results are the same up to float rounding.
 */
export class VectorSlab {
  readonly dimension: number;
  readonly chunkRows: number;
  #rows = 0;
  #maxWasmBytes: number;

  // WebAssembly layout
  #memory: WasmMemory | undefined;
  #kernel: DotKernel | undefined;
  #view: Float32Array = new Float32Array(0);
  #base = 0; // byte offset of row 0

  // chunked JavaScript layout
  #chunks: Float32Array[] = [];
  #blockScores: Float32Array = new Float32Array(0);

  constructor(dimension: number, options: VectorSlabOptions = {}) {
    if (!Number.isInteger(dimension) || dimension < 1)
      throw new RangeError(`bad vector dimension ${dimension}`);
    this.dimension = dimension;
    this.chunkRows = options.chunkRows ?? 4096;
    this.#maxWasmBytes = Math.min(options.maxWasmBytes ?? MAX_WASM_PAGES * PAGE, MAX_WASM_PAGES * PAGE);
    if ((options.simd ?? true) && dimension % 8 === 0) this.#initWasm(Math.max(options.capacity ?? 0, 1024));
  }

  get rows(): number {
    return this.#rows;
  }

  /** True when rows are scored by the WebAssembly SIMD kernel. */
  get simd(): boolean {
    return this.#kernel !== undefined;
  }

  /** Bytes reserved for rows (resident once written). */
  get byteSize(): number {
    return this.#memory
      ? this.#memory.buffer.byteLength - this.#base
      : this.#chunks.length * this.chunkRows * this.dimension * 4;
  }

  /** Appends a row, returns its index. */
  append(vector: Float32Array): number {
    if (vector.length !== this.dimension) {
      throw new RangeError(`vector has ${vector.length} dimensions, the slab ${this.dimension}`);
    }
    const row = this.#rows;
    if (this.#memory && !this.#reserve(row + 1)) this.#moveToChunks();
    if (this.#memory) {
      this.#view.set(vector, this.#base / 4 + row * this.dimension);
    } else {
      const chunk = Math.floor(row / this.chunkRows);
      if (chunk === this.#chunks.length) this.#chunks.push(new Float32Array(this.chunkRows * this.dimension));
      this.#chunks[chunk]!.set(vector, (row - chunk * this.chunkRows) * this.dimension);
    }
    this.#rows++;
    return row;
  }

  /** A view of one row (valid until the slab changes). */
  row(row: number): Float32Array {
    if (this.#memory) {
      const offset = this.#base / 4 + row * this.dimension;
      return this.#view.subarray(offset, offset + this.dimension);
    }
    const chunk = Math.floor(row / this.chunkRows);
    const offset = (row - chunk * this.chunkRows) * this.dimension;
    return this.#chunks[chunk]!.subarray(offset, offset + this.dimension);
  }

  /**
   * Computes dot(query, row) for every row, handing them out in blocks: `visit(firstRow, scores)`
   * where `scores[i]` belongs to row `firstRow + i`. `scores` is reused between calls.
   */
  forEachScoreBlock(query: Float32Array, visit: (firstRow: number, scores: Float32Array) => void): void {
    if (query.length !== this.dimension) {
      throw new RangeError(`query has ${query.length} dimensions, the slab ${this.dimension}`);
    }
    const dimension = this.dimension;
    if (this.#memory) {
      const view = this.#view;
      view.set(query, 0);
      const scoresAt = dimension * 4;
      const scores = view.subarray(dimension, dimension + BLOCK_ROWS);
      for (let first = 0; first < this.#rows; first += BLOCK_ROWS) {
        const rows = Math.min(BLOCK_ROWS, this.#rows - first);
        this.#kernel!.dots(0, this.#base + first * dimension * 4, rows, dimension, scoresAt);
        visit(first, rows === BLOCK_ROWS ? scores : scores.subarray(0, rows));
      }
      return;
    }
    if (this.#blockScores.length < this.chunkRows) this.#blockScores = new Float32Array(this.chunkRows);
    for (let c = 0; c < this.#chunks.length; c++) {
      const vectors = this.#chunks[c]!;
      const first = c * this.chunkRows;
      const rows = Math.min(this.chunkRows, this.#rows - first);
      const scores = this.#blockScores;
      for (let r = 0, offset = 0; r < rows; r++, offset += dimension) {
        let a0 = 0;
        let a1 = 0;
        let a2 = 0;
        let a3 = 0;
        let k = 0;
        for (; k + 3 < dimension; k += 4) {
          a0 += query[k]! * vectors[offset + k]!;
          a1 += query[k + 1]! * vectors[offset + k + 1]!;
          a2 += query[k + 2]! * vectors[offset + k + 2]!;
          a3 += query[k + 3]! * vectors[offset + k + 3]!;
        }
        for (; k < dimension; k++) a0 += query[k]! * vectors[offset + k]!;
        scores[r] = a0 + a1 + a2 + a3;
      }
      visit(first, rows === this.chunkRows ? scores : scores.subarray(0, rows));
    }
  }

  /** A new slab holding only the rows for which `keep` is true, in order. */
  filter(keep: (row: number) => boolean): VectorSlab {
    let kept = 0;
    for (let row = 0; row < this.#rows; row++) if (keep(row)) kept++;
    const out = new VectorSlab(this.dimension, this.#sameOptions(kept));
    for (let row = 0; row < this.#rows; row++) if (keep(row)) out.append(this.row(row));
    return out;
  }

  /** The rows as raw bytes (host byte order), for writing to a file. Valid until the slab changes. */
  toByteParts(): Uint8Array[] {
    if (this.#memory)
      return [new Uint8Array(this.#memory.buffer, this.#base, this.#rows * this.dimension * 4)];
    const parts: Uint8Array[] = [];
    for (let c = 0; c < this.#chunks.length; c++) {
      const rows = Math.min(this.chunkRows, this.#rows - c * this.chunkRows);
      parts.push(new Uint8Array(this.#chunks[c]!.buffer, 0, rows * this.dimension * 4));
    }
    return parts;
  }

  /** Reads a file written from `toByteParts()` straight into the slab (no intermediate copy). */
  static readFile(path: string, dimension: number, options: VectorSlabOptions = {}): VectorSlab {
    const fd = openSync(path, "r");
    try {
      const size = fstatSync(fd).size;
      const rowBytes = dimension * 4;
      if (size % rowBytes !== 0)
        throw new Error(`${path} is not a whole number of ${dimension}-dimensional rows`);
      const rows = size / rowBytes;
      const slab = new VectorSlab(dimension, { ...options, capacity: rows });
      const fill = (bytes: Uint8Array, position: number) => {
        let filled = 0;
        while (filled < bytes.length) {
          const read = readSync(fd, bytes, filled, bytes.length - filled, position + filled);
          if (read === 0) throw new Error(`${path} ended early`);
          filled += read;
        }
      };
      if (slab.#memory && slab.#reserve(rows)) {
        fill(new Uint8Array(slab.#memory.buffer, slab.#base, size), 0);
      } else {
        slab.#moveToChunks();
        for (let first = 0; first < rows; first += slab.chunkRows) {
          const chunk = new Float32Array(slab.chunkRows * dimension);
          const count = Math.min(slab.chunkRows, rows - first);
          fill(new Uint8Array(chunk.buffer, 0, count * rowBytes), first * rowBytes);
          slab.#chunks.push(chunk);
        }
      }
      slab.#rows = rows;
      return slab;
    } finally {
      closeSync(fd);
    }
  }

  #sameOptions(capacity: number): VectorSlabOptions {
    return {
      capacity,
      simd: this.#memory !== undefined,
      chunkRows: this.chunkRows,
      maxWasmBytes: this.#maxWasmBytes,
    };
  }

  #initWasm(capacity: number): void {
    try {
      // [query (dimension floats) | block scores (BLOCK_ROWS floats) | rows]; dimension % 8 === 0
      // keeps every row 32-byte aligned.
      const base = (this.dimension + BLOCK_ROWS) * 4;
      const pages = Math.ceil((base + capacity * this.dimension * 4) / PAGE);
      if (pages * PAGE > this.#maxWasmBytes) return;
      const memory = createWasmMemory(pages, Math.floor(this.#maxWasmBytes / PAGE));
      const kernel = memory && createDotKernel(memory);
      if (!memory || !kernel) return;
      this.#memory = memory;
      this.#kernel = kernel;
      this.#base = base;
      this.#view = new Float32Array(memory.buffer);
    } catch {
      // e.g. the address space for another WebAssembly memory could not be reserved
      this.#memory = undefined;
      this.#kernel = undefined;
    }
  }

  /** Makes room for `rows` rows in the WebAssembly memory; false if it cannot grow that far. */
  #reserve(rows: number): boolean {
    const memory = this.#memory!;
    const needed = this.#base + rows * this.dimension * 4;
    if (needed <= memory.buffer.byteLength) return true;
    if (needed > this.#maxWasmBytes) return false;
    const current = memory.buffer.byteLength / PAGE;
    const wanted = Math.min(
      Math.max(Math.ceil(needed / PAGE), Math.ceil(current * 1.5)),
      Math.floor(this.#maxWasmBytes / PAGE),
    );
    try {
      memory.grow(wanted - current);
    } catch {
      return false;
    }
    this.#view = new Float32Array(memory.buffer);
    return true;
  }

  /** Switches to the chunked JavaScript layout, copying any rows over. */
  #moveToChunks(): void {
    if (!this.#memory) return;
    const chunks: Float32Array[] = [];
    for (let first = 0; first < this.#rows; first += this.chunkRows) {
      const chunk = new Float32Array(this.chunkRows * this.dimension);
      const start = this.#base / 4 + first * this.dimension;
      const count = Math.min(this.chunkRows, this.#rows - first);
      chunk.set(this.#view.subarray(start, start + count * this.dimension));
      chunks.push(chunk);
    }
    this.#chunks = chunks;
    this.#memory = undefined;
    this.#kernel = undefined;
    this.#view = new Float32Array(0);
  }
}
