import { fileURLToPath } from "node:url";

/**
 * Absolute path of the console's built static assets (`dist/app/`: index.html and hashed JS/CSS),
 * for `createApp(engine, { console: { assetsDir: consoleAssetsDir } })`. Resolved from this
 * module's own location through `../dist/app/`, so it is the same directory whether this file
 * runs as built `dist/index.js` or from its source `src/index.ts` (the repository's tests).
 */
export const consoleAssetsDir: string = fileURLToPath(new URL("../dist/app", import.meta.url));
