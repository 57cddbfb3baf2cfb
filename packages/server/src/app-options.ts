/** The checks `createApp` runs on its arguments before building anything. */
import { ConfigError, type DeepRecallEngineApi } from "@deeprecall/core";
import { checkTrustProxy } from "@deeprecall/middleware";
import type { CreateAppOptions } from "./types.ts";

/**
 * Throws a `ConfigError` naming the field (`field`) for an engine without `query()` or an
 * option of the wrong type or range (limits must be positive numbers; `keepAliveMs` may be 0).
 */
export function checkOptions(engine: DeepRecallEngineApi, options: CreateAppOptions): void {
  if (typeof engine !== "object" || engine === null || typeof engine.query !== "function") {
    throw new ConfigError(
      "createApp expects a DeepRecallEngine (or an object implementing DeepRecallEngineApi)",
      {
        field: "engine",
      },
    );
  }
  const positive = (value: unknown, field: string, allowZero = false) => {
    if (value === undefined) return;
    if (typeof value !== "number" || !Number.isFinite(value) || value < 0 || (!allowZero && value === 0)) {
      throw new ConfigError(
        `${field} must be a ${allowZero ? "non-negative" : "positive"} number, got ${String(value)}`,
        {
          field,
        },
      );
    }
  };
  positive(options.bodyLimitBytes, "bodyLimitBytes");
  positive(options.keepAliveMs, "keepAliveMs", true);
  positive(
    typeof options.rateLimit === "object" ? options.rateLimit.requestsPerMinute : options.rateLimit,
    "rateLimit",
  );
  try {
    checkTrustProxy(options.trustProxy);
  } catch (error) {
    throw new ConfigError((error as Error).message, { field: "trustProxy" });
  }
  if (
    options.modelName !== undefined &&
    (typeof options.modelName !== "string" || options.modelName.trim() === "")
  ) {
    throw new ConfigError("modelName must be a non-empty string", { field: "modelName" });
  }
  if (options.apiKeys !== undefined) {
    if (
      !Array.isArray(options.apiKeys) ||
      options.apiKeys.some((k) => typeof k !== "string" || k.trim() === "")
    ) {
      throw new ConfigError("apiKeys must be an array of non-empty strings", { field: "apiKeys" });
    }
  }
  const metrics = options.metrics as unknown;
  if (
    metrics !== undefined &&
    typeof metrics !== "boolean" &&
    (typeof metrics !== "object" ||
      metrics === null ||
      typeof (metrics as { middleware?: unknown }).middleware !== "function")
  ) {
    throw new ConfigError("metrics must be true, false or the result of createMetrics()", {
      field: "metrics",
    });
  }
  const responseStore = options.responseStore as unknown;
  if (responseStore !== undefined && responseStore !== false) {
    if (typeof responseStore !== "object" || responseStore === null || Array.isArray(responseStore)) {
      throw new ConfigError("responseStore must be false or { maxResponses?, maxBytes? }", {
        field: "responseStore",
      });
    }
    const bounds = responseStore as { maxResponses?: unknown; maxBytes?: unknown };
    for (const key of ["maxResponses", "maxBytes"] as const) {
      const value = bounds[key];
      if (value !== undefined && !(Number.isInteger(value) && (value as number) > 0)) {
        throw new ConfigError(`responseStore.${key} must be a positive whole number, got ${String(value)}`, {
          field: `responseStore.${key}`,
        });
      }
    }
  }
  if (options.validateKey !== undefined && typeof options.validateKey !== "function") {
    throw new ConfigError("validateKey must be a function (key) => boolean | Promise<boolean>", {
      field: "validateKey",
    });
  }
  const cors = options.cors as unknown;
  if (
    cors !== undefined &&
    typeof cors !== "boolean" &&
    typeof cors !== "string" &&
    !(Array.isArray(cors) && cors.every((o) => typeof o === "string" && o.length > 0)) &&
    (typeof cors !== "object" || cors === null || Array.isArray(cors))
  ) {
    throw new ConfigError("cors must be true, an origin, a list of origins or Hono cors() options", {
      field: "cors",
    });
  }
  const collections = options.collections as unknown as Record<string, unknown> | undefined;
  if (
    collections !== undefined &&
    (typeof collections !== "object" ||
      collections === null ||
      typeof collections.defaultName !== "string" ||
      collections.defaultName === "" ||
      typeof collections.list !== "function" ||
      typeof collections.engineFor !== "function")
  ) {
    throw new ConfigError(
      "collections must be { defaultName: string, list(): Promise<{ name, count }[]>, engineFor(name): Promise<engine | undefined> }",
      { field: "collections" },
    );
  }
  if (
    options.embedding !== undefined &&
    typeof options.embedding !== "function" &&
    (typeof options.embedding !== "object" || options.embedding === null)
  ) {
    throw new ConfigError("embedding must be an AI SDK EmbeddingModel or a function (texts) => vectors", {
      field: "embedding",
    });
  }
}
