// The CLI proper, loaded by bin.ts once the Node.js version is known to be recent enough.
import { getErrorMessage } from "@deeprecall/core";
import { main } from "./cli.ts";
import { installQuietErrors } from "./quiet-errors.ts";

// No stack trace anywhere without --debug: errors that libraries log themselves, uncaught errors
// and unhandled rejections are printed as one line (main() does the same for command failures).
if (!process.argv.includes("--debug")) {
  installQuietErrors({ write: (line) => process.stderr.write(`${line}\n`) });
}

// `pnpm deeprecall ...` runs this from the repository root; relative paths the user typed
// (--path ./docs, --persist-dir, deeprecall.toml, .env) mean the directory they typed them in.
if (process.env.npm_lifecycle_event === "deeprecall" && process.env.INIT_CWD) {
  try {
    process.chdir(process.env.INIT_CWD);
  } catch {
    // Stay where we are if that directory is gone.
  }
}

main(process.argv).then(
  (code) => {
    if (code !== 0) process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`error: ${getErrorMessage(error)}\n`);
    process.exitCode = 1;
  },
);
