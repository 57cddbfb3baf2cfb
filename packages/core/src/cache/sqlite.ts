import { mkdirSync } from "node:fs";
import { dirname, resolve } from "node:path";
import type { DatabaseSync, StatementSync } from "node:sqlite";
import { ConfigError, DeepRecallError, getErrorMessage } from "../errors.ts";
import { type Clock, checkKey, ttlToMs } from "./options.ts";
import { deserializeValue, serializeValue } from "./serialize.ts";
import type { CacheStore } from "./types.ts";

export interface SqliteCacheOptions {
  /** Database file; parent directories are created. ":memory:" keeps it in memory. */
  path: string;
  /** Default time to live in seconds; 0 = never expires. Default 3600. */
  ttlSeconds?: number;
  /** How long (ms) to wait for another connection's lock before failing. Default 5000. */
  busyTimeoutMs?: number;
  /** Clock in ms (for tests). Default `Date.now`. */
  now?: Clock;
}

type SqliteModule = typeof import("node:sqlite");

let sqliteModule: SqliteModule | undefined;

/**
 * Loads `node:sqlite` on first use rather than at import time, so that importing
 * `@deeprecall/core` works on Node versions where it is missing or behind a flag. Node 22 and 23
 * print an ExperimentalWarning when the module loads; that one warning (and only it) is dropped.
 */
function loadSqlite(): SqliteModule {
  if (sqliteModule) return sqliteModule;
  const originalEmitWarning = process.emitWarning;
  const filtered = function (this: unknown, warning: string | Error, ...rest: unknown[]): void {
    const message = typeof warning === "string" ? warning : warning.message;
    const type =
      typeof rest[0] === "string"
        ? rest[0]
        : typeof warning === "object"
          ? warning.name
          : ((rest[0] as { type?: string } | undefined)?.type ?? "");
    if (type === "ExperimentalWarning" && /sqlite/i.test(message)) return;
    (originalEmitWarning as (...args: unknown[]) => void).call(process, warning, ...rest);
  };
  let loaded: SqliteModule | undefined;
  process.emitWarning = filtered as typeof process.emitWarning;
  try {
    loaded = process.getBuiltinModule?.("node:sqlite") as SqliteModule | undefined;
  } catch {
    loaded = undefined;
  } finally {
    process.emitWarning = originalEmitWarning;
  }
  if (!loaded?.DatabaseSync) {
    throw new ConfigError(
      `SqliteCache needs the built-in node:sqlite module (Node >= 22.13 without flags); this is Node ${process.versions.node}. Use InMemoryCache instead.`,
      { field: "cache" },
    );
  }
  sqliteModule = loaded;
  return loaded;
}

/** Expired rows are purged in bulk once every this many writes (and one by one when read). */
const PURGE_EVERY_WRITES = 200;

/**
 * A cache persisted in an SQLite file through Node's built-in `node:sqlite`. The database runs
 * in WAL mode with a busy timeout, so several instances (in one process, in worker threads or
 * in separate processes) can share one file. Expired rows are never returned; they are deleted
 * when read and swept in bulk from time to time.
 *
 * `node:sqlite` is synchronous: each call runs one short statement on the calling thread.
 */
export class SqliteCache implements CacheStore {
  readonly path: string;
  readonly ttlSeconds: number;
  readonly #defaultTtlMs: number;
  readonly #now: Clock;
  #db: DatabaseSync | undefined;
  readonly #statements: {
    get: StatementSync;
    set: StatementSync;
    deleteKey: StatementSync;
    deleteExpiredKey: StatementSync;
    purge: StatementSync;
    clear: StatementSync;
  };
  #writes = 0;

  constructor(options: SqliteCacheOptions) {
    if (!options || typeof options.path !== "string" || options.path.trim() === "") {
      throw new ConfigError("SqliteCache needs a `path` to the database file", { field: "path" });
    }
    this.ttlSeconds = options.ttlSeconds ?? 3600;
    this.#defaultTtlMs = ttlToMs(this.ttlSeconds, "ttlSeconds");
    this.#now = options.now ?? Date.now;
    const busyTimeoutMs = options.busyTimeoutMs ?? 5000;
    if (!Number.isInteger(busyTimeoutMs) || busyTimeoutMs < 0) {
      throw new ConfigError(`busyTimeoutMs must be an integer >= 0, got ${String(busyTimeoutMs)}`, {
        field: "busyTimeoutMs",
      });
    }
    const inMemory = options.path === ":memory:";
    this.path = inMemory ? options.path : resolve(options.path);

    const { DatabaseSync } = loadSqlite();
    let db: DatabaseSync | undefined;
    try {
      if (!inMemory) mkdirSync(dirname(this.path), { recursive: true });
      db = new DatabaseSync(this.path);
      // The busy timeout comes first: switching to WAL needs a lock another instance may hold.
      db.exec(`PRAGMA busy_timeout = ${busyTimeoutMs}`);
      if (!inMemory) db.exec("PRAGMA journal_mode = WAL");
      db.exec("PRAGMA synchronous = NORMAL");
      db.exec(
        `CREATE TABLE IF NOT EXISTS deeprecall_cache (
           key TEXT PRIMARY KEY NOT NULL,
           value TEXT NOT NULL,
           expires_at INTEGER
         );
         CREATE INDEX IF NOT EXISTS deeprecall_cache_expires ON deeprecall_cache (expires_at)
           WHERE expires_at IS NOT NULL;`,
      );
      this.#statements = {
        get: db.prepare("SELECT value, expires_at FROM deeprecall_cache WHERE key = ?"),
        set: db.prepare(
          `INSERT INTO deeprecall_cache (key, value, expires_at) VALUES (?, ?, ?)
           ON CONFLICT (key) DO UPDATE SET value = excluded.value, expires_at = excluded.expires_at`,
        ),
        deleteKey: db.prepare("DELETE FROM deeprecall_cache WHERE key = ?"),
        // Only deletes the row if it is still the expired one: a fresh value another instance
        // wrote in the meantime survives.
        deleteExpiredKey: db.prepare(
          "DELETE FROM deeprecall_cache WHERE key = ? AND expires_at IS NOT NULL AND expires_at <= ?",
        ),
        purge: db.prepare("DELETE FROM deeprecall_cache WHERE expires_at IS NOT NULL AND expires_at <= ?"),
        clear: db.prepare("DELETE FROM deeprecall_cache"),
      };
    } catch (error) {
      db?.close();
      throw new ConfigError(`Cannot open the SQLite cache at ${this.path}: ${getErrorMessage(error)}`, {
        field: "path",
        cause: error,
      });
    }
    this.#db = db;
  }

  #open(): DatabaseSync {
    if (!this.#db)
      throw new DeepRecallError(`The SQLite cache at ${this.path} is closed`, { code: "cache_closed" });
    return this.#db;
  }

  async get<T = unknown>(key: string): Promise<T | undefined> {
    checkKey(key);
    this.#open();
    const row = this.#statements.get.get(key) as { value: string; expires_at: number | null } | undefined;
    if (!row) return undefined;
    const now = this.#now();
    if (row.expires_at !== null && row.expires_at <= now) {
      this.#statements.deleteExpiredKey.run(key, now);
      return undefined;
    }
    return deserializeValue<T>(row.value);
  }

  async set(key: string, value: unknown, ttlSeconds?: number): Promise<void> {
    checkKey(key);
    this.#open();
    const ttlMs = ttlSeconds === undefined ? this.#defaultTtlMs : ttlToMs(ttlSeconds, "ttlSeconds");
    const text = serializeValue(value);
    const now = this.#now();
    this.#statements.set.run(key, text, ttlMs === 0 ? null : now + ttlMs);
    this.#writes += 1;
    if (this.#writes % PURGE_EVERY_WRITES === 0) this.#statements.purge.run(now);
  }

  async delete(key: string): Promise<void> {
    checkKey(key);
    this.#open();
    this.#statements.deleteKey.run(key);
  }

  async clear(): Promise<void> {
    this.#open();
    this.#statements.clear.run();
  }

  /** Deletes every expired row now; returns how many went. */
  async purgeExpired(): Promise<number> {
    this.#open();
    return Number(this.#statements.purge.run(this.#now()).changes);
  }

  async close(): Promise<void> {
    const db = this.#db;
    this.#db = undefined;
    db?.close();
  }
}
