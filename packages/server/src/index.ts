export { createApp, type ServerEnv } from "./app.ts";
export { ApiError, type ErrorBody, toApiError } from "./errors.ts";
export { DEFAULT_MAX_TIME_SECONDS } from "./pipeline.ts";
export { type RunningServer, type StartServerOptions, startServer } from "./serve.ts";
export type {
  ConsoleOptions,
  CorsOptions,
  CreateAppOptions,
  ServedCollections,
  ServerLogEntry,
  ServerLogger,
} from "./types.ts";
