import {
  closeSync,
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
 */
export function writeFileAtomic(path: string, data: string | Uint8Array): void {
  const temp = `${path}.tmp`;
  const fd = openSync(temp, "w");
  try {
    const bytes = typeof data === "string" ? Buffer.from(data, "utf8") : data;
    let offset = 0;
    while (offset < bytes.length) offset += writeSync(fd, bytes, offset, bytes.length - offset);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(temp, path);
  fsyncDirectory(dirname(path));
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
    if (end > data.length) break;
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
  const payload = Buffer.from(JSON.stringify(record), "utf8");
  const header = Buffer.alloc(HEADER);
  header.writeUInt32LE(payload.length, 0);
  header.writeUInt32LE(crc32(payload), 4);
  return Buffer.concat([header, payload]);
}

/** An append-only file handle; every append is fsynced before it returns. */
export class WalWriter {
  readonly path: string;
  #fd: number;
  #size: number;

  /** Opens `path` for appending, first cutting it to `validLength` (dropping a torn tail). */
  constructor(path: string, validLength: number) {
    this.path = path;
    this.#fd = openSync(path, "a+");
    if (fstatSync(this.#fd).size !== validLength) {
      ftruncateSync(this.#fd, validLength);
      fsyncSync(this.#fd);
    }
    this.#size = validLength;
  }

  get size(): number {
    return this.#size;
  }

  append(bytes: Buffer): void {
    let offset = 0;
    try {
      while (offset < bytes.length) offset += writeSync(this.#fd, bytes, offset, bytes.length - offset);
      fsyncSync(this.#fd);
    } catch (error) {
      // Do not leave a partial record that later appends would follow.
      try {
        ftruncateSync(this.#fd, this.#size);
      } catch {
        // the torn tail is dropped on the next open anyway
      }
      throw error;
    }
    this.#size += bytes.length;
  }

  close(): void {
    closeSync(this.#fd);
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
