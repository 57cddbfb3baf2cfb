import { createHash } from "node:crypto";
import { ErrorReply } from "@redis/client";
import type { RedisConnection } from "./connection.ts";

/**
 * A Lua script run with EVALSHA, falling back to EVAL when Redis does not know it yet (first
 * use, or after a restart emptied the script cache).
 */
export class LuaScript {
  readonly #source: string;
  readonly #sha: string;

  constructor(source: string) {
    this.#source = source;
    this.#sha = createHash("sha1").update(source).digest("hex");
  }

  async run<T>(connection: RedisConnection, keys: string[], args: string[]): Promise<T> {
    const tail = [String(keys.length), ...keys, ...args];
    try {
      return await connection.command<T>(["EVALSHA", this.#sha, ...tail]);
    } catch (error) {
      if (!(error instanceof ErrorReply) || !error.message.startsWith("NOSCRIPT")) throw error;
      return await connection.command<T>(["EVAL", this.#source, ...tail]);
    }
  }
}
