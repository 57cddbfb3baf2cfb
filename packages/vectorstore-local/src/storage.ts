import {
  closeSync,
  constants,
  fstatSync,
  fsyncSync,
  ftruncateSync,
  openSync,
  readFileSync,
  renameSync,
  writeSync,
} from "node:fs";
import { dirname } from "node:path";
import { crc32 } from "node:zlib";

/**
 * Writes a file atomically: write `<path>.tmp`, fsync it, rename over `path`, fsync the
 * directory. A crash at any point leaves either the old file or the new one, never a mix.
 * `data` may be a sequence of parts (e.g. produced lazily by a generator); returns the bytes written.
 */
export function writeFileAtomic(
  path: string,
  data: string | Uint8Array | Iterable<string | Uint8Array>,
): number {
  const temp = `${path}.tmp`;
  const fd = openSync(temp, "w");
  let size = 0;
  try {
    const parts = typeof data === "string" || data instanceof Uint8Array ? [data] : data;
    let scratch: Buffer | undefined;
    for (const part of parts) {
      let bytes: Uint8Array;
      if (typeof part === "string") {
        // Strings are encoded through one reused buffer (no allocation per part).
        if (part.length * 3 > (scratch?.length ?? 0))
          scratch = Buffer.allocUnsafe(Math.max(part.length * 3, 1 << 20));
        bytes = scratch!.subarray(0, scratch!.write(part, 0, "utf8"));
      } else {
        bytes = part;
      }
      writeFully(fd, bytes, size);
      size += bytes.length;
    }
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(temp, path);
  fsyncDirectory(dirname(path));
  return size;
}

export function fsyncDirectory(directory: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(directory, "r");
    fsyncSync(fd);
  } catch {
    // Some platforms (Windows) cannot fsync a directory; rename is still atomic there.
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

// ---- write-ahead log -------------------------------------------------------------------------
// A record is: u32 LE payload length, u32 LE CRC-32 of the payload, payload (UTF-8 JSON).
// A record is only applied when it is complete and its checksum matches, so a write cut short by a
// crash (a torn tail) is detected on open and truncated away.

const HEADER = 8;

export interface WalReadResult<T> {
  records: T[];
  /** Byte length of the valid prefix; anything after it is a torn or corrupt tail. */
  validLength: number;
  totalLength: number;
}

export function readWal<T>(path: string): WalReadResult<T> {
  let data: Buffer;
  try {
    data = readFileSync(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT")
      return { records: [], validLength: 0, totalLength: 0 };
    throw error;
  }
  const records: T[] = [];
  let offset = 0;
  while (offset + HEADER <= data.length) {
    const length = data.readUInt32LE(offset);
    const checksum = data.readUInt32LE(offset + 4);
    const end = offset + HEADER + length;
    // length 0: a header never written (a crash between writing the payload and its header)
    if (length === 0 || end > data.length) break;
    const payload = data.subarray(offset + HEADER, end);
    if (crc32(payload) !== checksum) break;
    try {
      records.push(JSON.parse(payload.toString("utf8")) as T);
    } catch {
      break;
    }
    offset = end;
  }
  return { records, validLength: offset, totalLength: data.length };
}

export function encodeWalRecord(record: unknown): Buffer {
  const json = JSON.stringify(record);
  // One allocation for header + payload (records can be megabytes; avoid a concat copy).
  const out = Buffer.allocUnsafe(HEADER + Buffer.byteLength(json, "utf8"));
  const length = out.write(json, HEADER, "utf8");
  const payload = out.subarray(HEADER, HEADER + length);
  out.writeUInt32LE(length, 0);
  out.writeUInt32LE(crc32(payload), 4);
  return out;
}

/** An append-only log file; every append is fsynced before it returns. */
export class WalWriter {
  readonly path: string;
  #fd: number;
  #size: number;
  #scratch = Buffer.allocUnsafe(256 * 1024);

  /** Opens `path` for appending, first cutting it to `validLength` (dropping a torn tail). */
  constructor(path: string, validLength: number) {
    this.path = path;
    // Not O_APPEND: the header of a record is written at its position after the payload.
    this.#fd = openSync(path, constants.O_RDWR | constants.O_CREAT, 0o644);
    if (fstatSync(this.#fd).size !== validLength) {
      ftruncateSync(this.#fd, validLength);
      fsyncSync(this.#fd);
    }
    this.#size = validLength;
  }

  get size(): number {
    return this.#size;
  }

  /**
   * Appends one record. `payload` is the record's UTF-8 JSON, as a byte buffer or as string pieces
   * that are encoded through a small reused buffer (so a large record never exists as one string
   * or buffer). The payload is written first, then its header (length + CRC-32, computed on the
   * way), then the file is fsynced. On failure the file is cut back, so no partial record stays
   * for later appends to follow; after a crash, an incomplete record fails its length or checksum
   * test and is dropped on open.
   */
  append(payload: Uint8Array | Iterable<string>): void {
    const fd = this.#fd;
    const start = this.#size;
    let position = start + HEADER;
    let checksum = 0;
    const put = (bytes: Uint8Array) => {
      writeFully(fd, bytes, position);
      checksum = crc32(bytes, checksum);
      position += bytes.length;
    };
    try {
      if (payload instanceof Uint8Array) {
        put(payload);
      } else {
        const scratch = this.#scratch;
        let used = 0;
        for (const piece of payload) {
          if (piece.length * 3 > scratch.length - used) {
            // may not fit (UTF-8 needs up to 3 bytes per UTF-16 unit): flush first
            if (used > 0) put(scratch.subarray(0, used));
            used = 0;
            if (piece.length * 3 > scratch.length) {
              put(Buffer.from(piece, "utf8"));
              continue;
            }
          }
          used += scratch.write(piece, used, "utf8");
        }
        if (used > 0) put(scratch.subarray(0, used));
      }
      const header = Buffer.alloc(HEADER);
      header.writeUInt32LE(position - start - HEADER, 0);
      header.writeUInt32LE(checksum, 4);
      writeFully(fd, header, start);
      fsyncSync(fd);
    } catch (error) {
      try {
        ftruncateSync(fd, start);
      } catch {
        // the torn tail is dropped on the next open anyway
      }
      throw error;
    }
    this.#size = position;
  }

  close(): void {
    closeSync(this.#fd);
  }
}

function writeFully(fd: number, bytes: Uint8Array, position: number): void {
  let offset = 0;
  while (offset < bytes.length) {
    offset += writeSync(fd, bytes, offset, bytes.length - offset, position + offset);
  }
}

export function float32ToBase64(vector: Float32Array): string {
  return Buffer.from(vector.buffer, vector.byteOffset, vector.byteLength).toString("base64");
}

export function base64ToFloat32(text: string): Float32Array {
  const bytes = Buffer.from(text, "base64");
  const out = new Float32Array(bytes.length / 4);
  new Uint8Array(out.buffer).set(bytes);
  return out;
}
