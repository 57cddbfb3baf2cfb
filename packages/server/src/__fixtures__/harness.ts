import type { DeepRecallEngineApi } from "@deeprecall/core";
import { createApp } from "../app.ts";
import { type RunningServer, startServer } from "../serve.ts";
import type { CreateAppOptions } from "../types.ts";
import { ScriptedEngine } from "./scripted-engine.ts";

/** Starts createApp(engine) on a real port; `close()` everything with `stopAll()`. */
export class Harness {
  readonly #servers: RunningServer[] = [];

  async start<E extends DeepRecallEngineApi = ScriptedEngine>(
    options: CreateAppOptions = {},
    engine: E = new ScriptedEngine() as unknown as E,
  ) {
    const server = await startServer({ app: createApp(engine, options) });
    this.#servers.push(server);
    const request = (path: string, init: RequestInit = {}) => fetch(server.url + path, init);
    const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
      request(path, {
        method: "POST",
        headers: { "content-type": "application/json", ...headers },
        body: typeof body === "string" ? body : JSON.stringify(body),
      });
    return { engine, server, url: server.url, request, post };
  }

  async stopAll(): Promise<void> {
    while (this.#servers.length) await this.#servers.pop()!.close();
  }
}

export type ErrorJson = {
  error: { message: string; type: string; param: string | null; code: string | null } & Record<
    string,
    unknown
  >;
};

/** Asserts nothing in a response body looks like a stack trace. */
export function hasStack(text: string): boolean {
  return /\n\s+at\s|\.ts:\d+|\.js:\d+|node:internal/.test(text);
}
