export { abortErrorFrom } from "./abort-error-from.ts";
export { raceAbort } from "./race-abort.ts";
export { sleep } from "./sleep.ts";
