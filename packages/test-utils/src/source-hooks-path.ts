import { fileURLToPath } from "node:url";

/**
 * The path of the loader hook that runs a child process from the workspace's TypeScript sources
 * (source-hooks.ts): `spawn(process.execPath, ["--import", SOURCE_HOOKS, "main.ts"])`. It names
 * the file in `src/`, which the package ships, so it holds from `src/` and from `dist/` alike.
 */
export const SOURCE_HOOKS = fileURLToPath(new URL("../src/source-hooks.ts", import.meta.url));
