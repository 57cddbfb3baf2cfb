import type { Metadata } from "@deeprecall/core";
import { Bm25Index } from "./bm25.ts";
import { tokenize } from "./tokenize.ts";
import { VectorSlab } from "./vector-slab.ts";

/** One row of the docs snapshot: [id, content, metadata, vector row or -1]. */
export type SnapshotRow = [string, string, Metadata, number];

/**
 * The documents in memory, by slot: ids, contents, metadata, the lexical index over the
 * contents and the dense vectors. A replaced or deleted document leaves a dead slot (its id
 * `undefined`) until {@link compact} renumbers the live ones; the BM25 statistics stay exact
 * meanwhile (see bm25.ts).
 */
export class SlotTable {
  lexical: Bm25Index = new Bm25Index();
  /** Slot of each live id. */
  slotOf = new Map<string, number>();
  ids: Array<string | undefined> = [];
  contents: string[] = [];
  metadatas: Metadata[] = [];
  /** Row in {@link vectors} for each slot, or -1. */
  vectorRow: Int32Array = new Int32Array(1024);
  /** Slot of each row in {@link vectors}, or -1 once that slot was removed. */
  rowSlot: Int32Array = new Int32Array(0);
  /** Unit-length vectors, created with the first vector. */
  vectors: VectorSlab | undefined;
  dimension: number | null;

  constructor(dimension: number | null = null) {
    this.dimension = dimension;
  }

  /** Live documents. */
  get size(): number {
    return this.slotOf.size;
  }

  /**
   * Fills an empty table from a snapshot: its rows, vectors and lexical index (`null`: rebuild
   * the index from the contents, for collections of an older format).
   */
  load(rows: SnapshotRow[], vectors: VectorSlab | undefined, lexical: Bm25Index | null): void {
    this.vectors = vectors;
    this.rowSlot = new Int32Array(Math.max(vectors?.rows ?? 0, 1024));
    this.#ensureSlots(rows.length);
    for (let slot = 0; slot < rows.length; slot++) {
      const [id, content, metadata, row] = rows[slot]!;
      this.ids[slot] = id;
      this.contents[slot] = content;
      this.metadatas[slot] = metadata;
      this.vectorRow[slot] = row;
      if (row >= 0) this.rowSlot[row] = slot;
      this.slotOf.set(id, slot);
    }
    if (lexical) {
      this.lexical = lexical;
    } else {
      this.lexical = new Bm25Index();
      for (let slot = 0; slot < rows.length; slot++) this.lexical.add(slot, tokenize(this.contents[slot]!));
    }
  }

  /** Adds documents (an id already present is replaced); `vectors` are unit-length, one per document. */
  add(ids: string[], contents: string[], metadatas: Metadata[], vectors: Float32Array[] | undefined): void {
    if (vectors) {
      const dimension = vectors[0]!.length;
      this.dimension ??= dimension;
      this.vectors ??= new VectorSlab(dimension);
      const rows = this.vectors.rows + vectors.length;
      if (this.rowSlot.length < rows) {
        const grown = new Int32Array(Math.max(rows, Math.ceil(this.rowSlot.length * 1.5), 1024));
        grown.set(this.rowSlot.subarray(0, this.vectors.rows));
        this.rowSlot = grown;
      }
    }
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i]!;
      const old = this.slotOf.get(id);
      if (old !== undefined) this.#removeSlot(old);
      const slot = this.ids.length;
      this.#ensureSlots(slot + 1);
      this.ids.push(id);
      this.contents.push(contents[i]!);
      this.metadatas.push(metadatas[i]!);
      if (vectors) {
        const row = this.vectors!.append(vectors[i]!);
        this.rowSlot[row] = slot;
        this.vectorRow[slot] = row;
      } else {
        this.vectorRow[slot] = -1;
      }
      this.slotOf.set(id, slot);
      this.lexical.add(slot, tokenize(contents[i]!));
    }
  }

  /** Removes the documents with these ids (absent ids are ignored). */
  delete(ids: string[]): void {
    for (const id of ids) {
      const slot = this.slotOf.get(id);
      if (slot !== undefined) this.#removeSlot(slot);
    }
  }

  /** The live rows in slot order, for a snapshot (call after {@link compact}: slots are then dense). */
  *rows(): Generator<SnapshotRow> {
    for (let slot = 0; slot < this.ids.length; slot++) {
      const id = this.ids[slot];
      if (id !== undefined) yield [id, this.contents[slot]!, this.metadatas[slot]!, this.vectorRow[slot]!];
    }
  }

  /** Drops dead slots (and their vectors and postings), renumbering the live ones in order. */
  compact(): void {
    const slotCount = this.ids.length;
    const live = this.slotOf.size;
    const remap = new Int32Array(Math.max(slotCount, 1));
    const ids: Array<string | undefined> = new Array(live);
    const contents: string[] = new Array(live);
    const metadatas: Metadata[] = new Array(live);
    const vectorRow = new Int32Array(Math.max(live, 1024));
    const oldVectors = this.vectors;
    const liveVectorCount = this.#countLiveVectors();
    const vectors =
      oldVectors && liveVectorCount !== oldVectors.rows
        ? oldVectors.filter((row) => this.rowSlot[row]! >= 0)
        : oldVectors;
    const rowSlot = new Int32Array(Math.max(liveVectorCount, 1024));
    let next = 0;
    let nextRow = 0;
    for (let slot = 0; slot < slotCount; slot++) {
      const id = this.ids[slot];
      if (id === undefined) {
        remap[slot] = -1;
        continue;
      }
      let row = -1;
      if (this.vectorRow[slot]! >= 0) {
        row = nextRow++;
        rowSlot[row] = next;
      }
      remap[slot] = next;
      vectorRow[next] = row;
      ids[next] = id;
      contents[next] = this.contents[slot]!;
      metadatas[next] = this.metadatas[slot]!;
      next++;
    }
    this.lexical.compact(remap, live);
    this.ids = ids;
    this.contents = contents;
    this.metadatas = metadatas;
    this.vectorRow = vectorRow;
    this.rowSlot = rowSlot;
    this.vectors = vectors;
    if (live !== slotCount) {
      this.slotOf = new Map();
      for (let slot = 0; slot < live; slot++) this.slotOf.set(ids[slot]!, slot);
    }
  }

  /** Removes a slot from every index; the BM25 statistics stay exact (see bm25.ts). */
  #removeSlot(slot: number): void {
    const id = this.ids[slot]!;
    this.lexical.remove(slot, tokenize(this.contents[slot]!));
    this.slotOf.delete(id);
    this.ids[slot] = undefined;
    this.contents[slot] = "";
    this.metadatas[slot] = {};
    const row = this.vectorRow[slot]!;
    if (row >= 0) this.rowSlot[row] = -1;
    this.vectorRow[slot] = -1;
  }

  #ensureSlots(n: number): void {
    if (this.vectorRow.length >= n) return;
    const grown = new Int32Array(Math.max(n, this.vectorRow.length * 2));
    grown.set(this.vectorRow);
    this.vectorRow = grown;
  }

  #countLiveVectors(): number {
    let n = 0;
    for (let slot = 0; slot < this.ids.length; slot++)
      if (this.ids[slot] !== undefined && this.vectorRow[slot]! >= 0) n++;
    return n;
  }
}
