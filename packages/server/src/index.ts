// The time limit createApp gives a request when neither budget sets one (from core).
export { DEFAULT_MAX_TIME_SECONDS } from "@deeprecall/core";
export { createApp, type ServerEnv } from "./app.ts";
export { ApiError, type ErrorBody, toApiError } from "./errors.ts";
export type { ResponseStoreOptions } from "./response-store.ts";
export { type RunningServer, type ShutdownOptions, type StartServerOptions, startServer } from "./serve.ts";
export type {
  ConsoleOptions,
  CorsOptions,
  CreateAppOptions,
  ServedCollections,
  ServerLogEntry,
  ServerLogger,
} from "./types.ts";
