import { ConfigError } from "@deeprecall/core";
import { describe, expect, it } from "vitest";
import { ScriptedEngine } from "./__fixtures__/scripted-engine.ts";
import { checkOptions } from "./app-options.ts";

describe("checkOptions", () => {
  const engine = new ScriptedEngine();

  it("names the field of a bad option in a ConfigError", () => {
    for (const [options, field] of [
      [{ bodyLimitBytes: 0 }, "bodyLimitBytes"],
      [{ keepAliveMs: -1 }, "keepAliveMs"],
      [{ apiKeys: [""] }, "apiKeys"],
      [{ cors: 5 }, "cors"],
      [{ embedding: "text-embedding-3-small" }, "embedding"],
    ] as const) {
      let error: unknown;
      try {
        checkOptions(engine, options as never);
      } catch (e) {
        error = e;
      }
      expect(ConfigError.isInstance(error) && (error as ConfigError).field, field).toBe(field);
    }
  });

  it("accepts the defaults and keepAliveMs 0", () => {
    expect(() => checkOptions(engine, {})).not.toThrow();
    expect(() => checkOptions(engine, { keepAliveMs: 0, cors: ["https://a.example"] })).not.toThrow();
    expect(() => checkOptions({} as never, {})).toThrow(/DeepRecallEngine/);
  });
});
