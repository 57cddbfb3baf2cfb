#!/usr/bin/env node
import { getErrorMessage } from "@deeprecall/core";
import { jsonLogger, startFromEnv } from "./app.ts";

const log = jsonLogger();
startFromEnv({ log }).catch((error: unknown) => {
  log({
    level: "error",
    msg: "startup failed",
    error: getErrorMessage(error),
  });
  process.exitCode = 1;
});

process.on("unhandledRejection", (reason) => {
  log({
    level: "error",
    msg: "unhandled rejection",
    error: getErrorMessage(reason),
  });
});
process.on("uncaughtException", (error) => {
  log({ level: "error", msg: "uncaught exception", error: error.message });
  process.exit(1);
});
