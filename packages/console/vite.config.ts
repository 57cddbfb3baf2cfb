import { fileURLToPath } from "node:url";
import preact from "@preact/preset-vite";
import { defineConfig } from "vite";

// The console is a static single-page app: `app/` is its root, the build lands in `dist/app/`
// (what `consoleAssetsDir` points at). Relative asset URLs (`base: "./"`) keep it working when
// the server is mounted under a path prefix.
export default defineConfig({
  root: fileURLToPath(new URL("./app", import.meta.url)),
  base: "./",
  plugins: [preact()],
  build: {
    outDir: fileURLToPath(new URL("./dist/app", import.meta.url)),
    emptyOutDir: true,
    target: "es2022",
    // Nothing is fetched from a CDN and everything is inlined into the bundle: the console works offline.
    assetsInlineLimit: 0,
    reportCompressedSize: true,
  },
});
