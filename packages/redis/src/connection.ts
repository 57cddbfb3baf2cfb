import { ConfigError, redactSecrets } from "@deeprecall/core";
import { createClient, ErrorReply, type RedisClientType } from "@redis/client";
import { RedisUnavailableError } from "./errors.ts";

/** One log line from this package. Entries never contain the Redis URL or its password. */
export interface RedisLogEntry {
  level: "info" | "warn" | "error";
  message: string;
  /** The underlying error, when there is one (its message is already free of credentials). */
  error?: unknown;
}
export type RedisLogger = (entry: RedisLogEntry) => void;

export interface RedisConnectionOptions {
  /** `redis[s]://[[user][:password]@]host[:port][/db]`. Default `redis://127.0.0.1:6379`. */
  url?: string;
  /** Longest wait for one command before Redis counts as unavailable, in ms. Default 1000. */
  commandTimeoutMs?: number;
  /** Longest wait for a TCP connect, in ms. Default 2000. */
  connectTimeoutMs?: number;
  /** Longest pause between reconnect attempts, in ms. Default 2000. */
  maxReconnectDelayMs?: number;
  /** Where warnings go (one when Redis goes away, one when it is back). Default `console`. */
  logger?: RedisLogger;
}

/** Reply errors that mean "not now" rather than "your command is wrong". */
const TRANSIENT_REPLY = /^(LOADING|BUSY|MASTERDOWN|TRYAGAIN|CLUSTERDOWN|READONLY)\b/;

export const defaultLogger: RedisLogger = (entry) => {
  const detail = entry.error instanceof Error ? `: ${redactSecrets(entry.error.message)}` : "";
  const line = `[deeprecall/redis] ${entry.message}${detail}`;
  if (entry.level === "info") console.info(line);
  else if (entry.level === "warn") console.warn(line);
  else console.error(line);
};

/**
 * One Redis client shared by the rate-limit store, the cache and the usage tracker of a
 * process. It connects in the background and reconnects forever with capped backoff; while it
 * is disconnected, commands fail at once (no offline queue) so callers can apply their
 * fail-open / fail-closed policy instead of hanging. Outages are logged once when they start
 * and once when Redis is back.
 */
export class RedisConnection {
  readonly client: RedisClientType;
  readonly #timeoutMs: number;
  readonly #log: RedisLogger;
  #down = false;
  #closed = false;
  readonly #connecting: Promise<unknown>;
  /** Settles on the first connection or the first failure, whichever comes first. */
  readonly #firstAttempt: Promise<void>;

  constructor(options: RedisConnectionOptions = {}) {
    this.#timeoutMs = positive(options.commandTimeoutMs, 1000, "commandTimeoutMs");
    const connectTimeout = positive(options.connectTimeoutMs, 2000, "connectTimeoutMs");
    const maxDelay = positive(options.maxReconnectDelayMs, 2000, "maxReconnectDelayMs");
    this.#log = options.logger ?? defaultLogger;
    this.client = createClient({
      url: options.url ?? "redis://127.0.0.1:6379",
      disableOfflineQueue: true,
      socket: {
        connectTimeout,
        // Never give up: an Error here would close the client for good. Jitter spreads the
        // reconnects of a fleet that lost Redis at the same moment.
        reconnectStrategy: (retries: number) =>
          Math.min(maxDelay, 50 * 2 ** Math.min(retries, 10)) + Math.floor(Math.random() * 50),
      },
    }) as unknown as RedisClientType;
    this.client.on("error", (error: unknown) => this.#markDown(error));
    this.client.on("ready", () => this.#markUp());
    this.#firstAttempt = new Promise<void>((resolve) => {
      this.client.once("ready", () => resolve());
      this.client.once("error", () => resolve());
    });
    // connect() settles only once the first connection is made (or the client is closed);
    // commands issued before that fail fast and follow the caller's policy.
    this.#connecting = this.client.connect().catch(() => {});
  }

  /** True while the client has a working connection. */
  get isReady(): boolean {
    return this.client.isReady;
  }

  /**
   * Sends one command. A connection problem (offline, refused, timed out, Redis loading)
   * becomes a `RedisUnavailableError`; a reply error from a wrong command is rethrown as is.
   */
  async command<T = unknown>(args: string[]): Promise<T> {
    return await this.run((client) => client.sendCommand(args, { timeout: this.#timeoutMs }) as Promise<T>);
  }

  /**
   * Runs `operation` on the client (e.g. a `MULTI`) with the same failure mapping as `command`.
   * Waits for the first connect attempt right after startup instead of failing at once.
   */
  async run<T>(operation: (client: RedisClientType) => Promise<T>): Promise<T> {
    if (this.#closed) throw new RedisUnavailableError("The Redis connection is closed");
    if (!this.client.isReady) await this.#firstAttempt;
    try {
      return await operation(this.client);
    } catch (error) {
      throw this.unavailable(error);
    }
  }

  /** Maps a failure to `RedisUnavailableError` when it is about reachability; else returns it. */
  unavailable(error: unknown): unknown {
    if (error instanceof RedisUnavailableError) return error;
    if (error instanceof ErrorReply && !TRANSIENT_REPLY.test(error.message)) return error;
    this.#markDown(error);
    return new RedisUnavailableError(`Redis is unavailable (${describe(error)})`, { cause: error });
  }

  /** Waits until the first connection is made (for startup checks and tests). */
  async ready(timeoutMs = 5000): Promise<void> {
    if (this.client.isReady) return;
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        new Promise<void>((resolve) => this.client.once("ready", () => resolve())),
        this.#connecting.then(() => {
          if (!this.client.isReady) throw new RedisUnavailableError("Redis connection closed");
        }),
        new Promise<never>((_, reject) => {
          timer = setTimeout(
            () => reject(new RedisUnavailableError(`Redis was not reachable within ${timeoutMs} ms`)),
            timeoutMs,
          );
        }),
      ]);
    } finally {
      clearTimeout(timer);
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.client.isReady) {
      await this.client.close().catch(() => this.client.destroy());
    } else if (this.client.isOpen) {
      this.client.destroy();
    }
    await this.#connecting;
  }

  #markDown(error: unknown): void {
    if (this.#down || this.#closed) return;
    this.#down = true;
    this.#log({
      level: "warn",
      message: "Redis is unavailable; applying the configured failure policy",
      error,
    });
  }

  #markUp(): void {
    if (!this.#down) return;
    this.#down = false;
    this.#log({ level: "info", message: "Redis is reachable again" });
  }
}

function describe(error: unknown): string {
  if (error instanceof Error)
    return redactSecrets(`${error.constructor.name}: ${error.message}`).slice(0, 200);
  return "unknown error";
}

function positive(value: number | undefined, fallback: number, field: string): number {
  if (value === undefined) return fallback;
  if (typeof value !== "number" || !Number.isFinite(value) || value <= 0) {
    throw new ConfigError(`${field} must be a positive number, got ${String(value)}`, { field });
  }
  return value;
}
