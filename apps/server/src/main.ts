#!/usr/bin/env node
import { jsonLogger, startFromEnv } from "./app.ts";

const log = jsonLogger();
startFromEnv({ log }).catch((error: unknown) => {
  log({
    level: "error",
    msg: "startup failed",
    error: error instanceof Error ? error.message : String(error),
  });
  process.exitCode = 1;
});

process.on("unhandledRejection", (reason) => {
  log({
    level: "error",
    msg: "unhandled rejection",
    error: reason instanceof Error ? reason.message : String(reason),
  });
});
process.on("uncaughtException", (error) => {
  log({ level: "error", msg: "uncaught exception", error: error.message });
  process.exit(1);
});
