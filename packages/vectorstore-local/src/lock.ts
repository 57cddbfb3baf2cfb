import { linkSync, readFileSync, renameSync, unlinkSync, writeFileSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import { isProcessAlive, VectorStoreError } from "@deeprecall/core";

interface LockInfo {
  pid: number;
  hostname: string;
  token: string;
  createdAt: string;
}

function readLock(path: string): LockInfo | undefined {
  try {
    const info = JSON.parse(readFileSync(path, "utf8")) as LockInfo;
    return typeof info.pid === "number" ? info : undefined;
  } catch {
    return undefined;
  }
}

/**
 * An exclusive, process-level lock on a collection directory: a `LOCK` file holding the owner's
 * pid, host name and a random token. It is created atomically, with its content, by hard-linking
 * a fully written temp file (link fails if `LOCK` exists). A lock whose pid is dead on this host is
 * stale and is taken over; a live owner (another process, or another open store in this process)
 * makes `acquire` throw a `VectorStoreError` naming it.
 */
export class DirectoryLock {
  readonly path: string;
  #token: string | undefined;

  constructor(directory: string) {
    this.path = join(directory, "LOCK");
  }

  acquire(): void {
    const info: LockInfo = {
      pid: process.pid,
      hostname: hostname(),
      token: crypto.randomUUID(),
      createdAt: new Date().toISOString(),
    };
    const temp = `${this.path}.${info.token}.tmp`;
    writeFileSync(temp, JSON.stringify(info));
    try {
      for (let attempt = 0; attempt < 3; attempt++) {
        try {
          linkSync(temp, this.path);
          // Re-read: a concurrent stale-lock takeover could have replaced it.
          if (readLock(this.path)?.token !== info.token) continue;
          this.#token = info.token;
          return;
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
        }
        const holder = readLock(this.path);
        const stale =
          holder === undefined || (holder.hostname === info.hostname && !isProcessAlive(holder.pid));
        if (!stale) {
          const who =
            holder.pid === process.pid && holder.hostname === info.hostname
              ? "another open LocalStore in this process"
              : `process ${holder.pid} on ${holder.hostname}`;
          throw new VectorStoreError(
            `The local store at ${this.path.slice(0, -"/LOCK".length)} is locked by ${who} (since ${holder.createdAt}). ` +
              "Only one writer may open a collection at a time: close the other store first. " +
              `If that process is gone, delete ${this.path}.`,
            { store: "local" },
          );
        }
        // Stale: move it aside atomically (only one contender's rename of this file succeeds).
        try {
          renameSync(this.path, `${this.path}.stale-${info.token}`);
          unlinkSync(`${this.path}.stale-${info.token}`);
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
        }
      }
      throw new VectorStoreError(`Could not acquire the lock ${this.path} (contended)`, { store: "local" });
    } finally {
      try {
        unlinkSync(temp);
      } catch {
        // already gone
      }
    }
  }

  /** Removes the lock file if it is still ours. */
  release(): void {
    if (!this.#token) return;
    if (readLock(this.path)?.token === this.#token) {
      try {
        unlinkSync(this.path);
      } catch {
        // already gone
      }
    }
    this.#token = undefined;
  }
}
