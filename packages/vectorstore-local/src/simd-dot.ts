/**
 * A tiny WebAssembly module (128-bit SIMD) that computes dot products of one query vector with
 * many contiguous float32 rows: ~5× faster than the best plain JavaScript loop, which is what makes
 * exact (brute-force) dense search over 100,000 × 384 vectors take a few milliseconds.
 *
 * The module is assembled below from its text form, byte by byte, so there is no binary blob and
 * no build step. Its text form:
 *
 *   (module
 *     (import "env" "memory" (memory 1))
 *     ;; For each of `rows` rows of `dim` floats starting at byte `v`, store dot(query at `q`, row)
 *     ;; as an f32 at `out`, `out + 4`, …  `dim` must be a positive multiple of 8.
 *     (func (export "dots") (param $q i32) (param $v i32) (param $rows i32) (param $dim i32)
 *                           (param $out i32)
 *       (local $end i32) (local $qp i32) (local $rowEnd i32) (local $acc v128) (local $acc2 v128)
 *       (local.set $end (i32.add (local.get $out) (i32.shl (local.get $rows) (i32.const 2))))
 *       (block $done
 *         (br_if $done (i32.ge_u (local.get $out) (local.get $end)))
 *         (loop $row
 *           (local.set $acc (v128.const i32x4 0 0 0 0))
 *           (local.set $acc2 (v128.const i32x4 0 0 0 0))
 *           (local.set $qp (local.get $q))
 *           (local.set $rowEnd (i32.add (local.get $v) (i32.shl (local.get $dim) (i32.const 2))))
 *           (loop $k   ;; two independent accumulators, 8 floats per iteration
 *             (local.set $acc (f32x4.add (local.get $acc)
 *               (f32x4.mul (v128.load (local.get $qp)) (v128.load (local.get $v)))))
 *             (local.set $acc2 (f32x4.add (local.get $acc2)
 *               (f32x4.mul (v128.load offset=16 (local.get $qp)) (v128.load offset=16 (local.get $v)))))
 *             (local.set $qp (i32.add (local.get $qp) (i32.const 32)))
 *             (br_if $k (i32.lt_u (local.tee $v (i32.add (local.get $v) (i32.const 32)))
 *                                 (local.get $rowEnd))))
 *           (local.set $acc (f32x4.add (local.get $acc) (local.get $acc2)))
 *           (f32.store (local.get $out)
 *             (f32.add (f32.add (f32.add (f32x4.extract_lane 0 (local.get $acc))
 *                                        (f32x4.extract_lane 1 (local.get $acc)))
 *                               (f32x4.extract_lane 2 (local.get $acc)))
 *                      (f32x4.extract_lane 3 (local.get $acc))))
 *           (br_if $row (i32.lt_u (local.tee $out (i32.add (local.get $out) (i32.const 4)))
 *                                 (local.get $end))))))
 *
 * Addresses are unsigned 32-bit, so the memory (and the slab in it) can be up to 4 GiB.
 */

export interface DotKernel {
  /** Stores dot(query, row i) for `rows` rows as float32 at `out`; all arguments are byte offsets. */
  dots(query: number, vectors: number, rows: number, dimension: number, out: number): void;
}

const I32 = 0x7f;
const V128 = 0x7b;
const [Q, V, ROWS, DIM, OUT, END, QP, ROW_END, ACC, ACC2] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];

function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let byte = n & 0x7f;
    n >>>= 7;
    if (n !== 0) byte |= 0x80;
    out.push(byte);
  } while (n !== 0);
  return out;
}

const get = (i: number) => [0x20, i];
const set = (i: number) => [0x21, i];
const tee = (i: number) => [0x22, i];
/** i32.const for 0 <= n < 64 (one-byte signed LEB128). */
const i32 = (n: number) => [0x41, n];
const simd = (op: number) => [0xfd, ...uleb(op)];
const V128_ZERO = [...simd(0x0c), ...new Array<number>(16).fill(0)];
const v128Load = (offset: number) => [...simd(0x00), 0, offset]; // align hint 1, offset
const F32X4_ADD = simd(0xe4);
const F32X4_MUL = simd(0xe6);
const lane = (i: number) => [...simd(0x1f), i]; // f32x4.extract_lane
const [BLOCK, LOOP, END_OP, BR_IF] = [0x02, 0x03, 0x0b, 0x0d];
const VOID = 0x40;
const [I32_ADD, I32_SHL, I32_LT_U, I32_GE_U, F32_ADD, F32_STORE] = [0x6a, 0x74, 0x49, 0x4f, 0x92, 0x38];

function assemble(): Uint8Array<ArrayBuffer> {
  // biome-ignore format: laid out one instruction (or a few) per line
  const code = [
    ...get(OUT), ...get(ROWS), ...i32(2), I32_SHL, I32_ADD, ...set(END),
    BLOCK, VOID,
    ...get(OUT), ...get(END), I32_GE_U, BR_IF, 0,
    LOOP, VOID,
    ...V128_ZERO, ...set(ACC),
    ...V128_ZERO, ...set(ACC2),
    ...get(Q), ...set(QP),
    ...get(V), ...get(DIM), ...i32(2), I32_SHL, I32_ADD, ...set(ROW_END),
    LOOP, VOID,
    ...get(ACC), ...get(QP), ...v128Load(0), ...get(V), ...v128Load(0), ...F32X4_MUL, ...F32X4_ADD, ...set(ACC),
    ...get(ACC2), ...get(QP), ...v128Load(16), ...get(V), ...v128Load(16), ...F32X4_MUL, ...F32X4_ADD, ...set(ACC2),
    ...get(QP), ...i32(32), I32_ADD, ...set(QP),
    ...get(V), ...i32(32), I32_ADD, ...tee(V), ...get(ROW_END), I32_LT_U, BR_IF, 0,
    END_OP,
    ...get(ACC), ...get(ACC2), ...F32X4_ADD, ...set(ACC),
    ...get(OUT),
    ...get(ACC), ...lane(0), ...get(ACC), ...lane(1), F32_ADD,
    ...get(ACC), ...lane(2), F32_ADD, ...get(ACC), ...lane(3), F32_ADD,
    F32_STORE, 2, 0,
    ...get(OUT), ...i32(4), I32_ADD, ...tee(OUT), ...get(END), I32_LT_U, BR_IF, 0,
    END_OP,
    END_OP,
    END_OP,
  ];
  const body = [2, 3, I32, 2, V128, ...code]; // locals: 3 × i32, 2 × v128
  const name = (s: string) => [...uleb(s.length), ...Buffer.from(s, "ascii")];
  const section = (id: number, bytes: number[]) => [id, ...uleb(bytes.length), ...bytes];
  const preamble = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00]; // magic (NUL "asm"), version 1
  return new Uint8Array([
    ...preamble,
    ...section(1, [1, 0x60, 5, I32, I32, I32, I32, I32, 0]), // type: (i32 × 5) -> ()
    ...section(2, [1, ...name("env"), ...name("memory"), 0x02, 0x00, 1]), // import memory, min 1 page
    ...section(3, [1, 0]), // one function of type 0
    ...section(7, [1, ...name("dots"), 0x00, 0]), // export it as "dots"
    ...section(10, [1, ...uleb(body.length), ...body]),
  ]);
}

// The WebAssembly global, typed here: the project's TypeScript libs (ES2023 + @types/node) do not
// declare it.
export interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}
interface WasmGlobal {
  Memory: new (descriptor: { initial: number; maximum?: number }) => WasmMemory;
  Module: new (bytes: Uint8Array<ArrayBuffer>) => object;
  Instance: new (module: object, imports: object) => { exports: Record<string, unknown> };
  validate(bytes: Uint8Array<ArrayBuffer>): boolean;
}
const wasm = (globalThis as unknown as { WebAssembly?: WasmGlobal }).WebAssembly;

let module: object | null | undefined;

/** A new WebAssembly memory of `initial` pages (64 KiB), or undefined if there is no WebAssembly. */
export function createWasmMemory(initial: number, maximum: number): WasmMemory | undefined {
  return wasm ? new wasm.Memory({ initial, maximum }) : undefined;
}

/**
 * Instantiates the kernel over `memory`, or returns undefined where WebAssembly SIMD is not
 * available (callers then use plain JavaScript).
 */
export function createDotKernel(memory: WasmMemory): DotKernel | undefined {
  if (!wasm) return undefined;
  if (module === undefined) {
    const bytes = assemble();
    module = wasm.validate(bytes) ? new wasm.Module(bytes) : null;
  }
  if (module === null) return undefined;
  const instance = new wasm.Instance(module, { env: { memory } });
  const dots = instance.exports.dots as (
    q: number,
    v: number,
    rows: number,
    dim: number,
    out: number,
  ) => void;
  return { dots };
}
