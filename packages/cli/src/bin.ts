#!/usr/bin/env node
// Only this check is imported statically: on an old Node, the CLI's own imports (fs/promises
// `glob`, ...) fail to link before any of its code runs, with a SyntaxError that does not say why.
import { nodeVersionError } from "./node-version.ts";

const tooOld = nodeVersionError(process.versions.node);
if (tooOld) {
  process.stderr.write(`error: ${tooOld}\n`);
  process.exitCode = 1;
} else {
  await import("./start.ts");
}
