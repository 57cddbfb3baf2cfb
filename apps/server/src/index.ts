export { configFromEnv, gracePeriodMs, jsonLogger, type StartFromEnvOptions, startFromEnv } from "./app.ts";
