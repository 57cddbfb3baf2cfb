/**
 * Serves the web console's built files (`CreateAppOptions.console`): `/` is its index.html, and
 * each file of the build answers at its own path. Only the files present at start-up are served
 * (a fixed set, so no request path reaches the file system), before authentication: they are the
 * same for everyone and hold no data — every API call the console makes carries the key.
 */
import { existsSync, readdirSync, statSync } from "node:fs";
import path from "node:path";
import { ConfigError } from "@deeprecall/core";
import { serveStatic } from "@hono/node-server/serve-static";
import type { MiddlewareHandler } from "hono";
import type { ConsoleOptions } from "./types.ts";

/**
 * What a console page may do: scripts and styles from this origin only (inline styles for
 * component style attributes), API calls to this origin, no frames, plugins or foreign forms.
 * Answers render untrusted document text, so this is the second line of defence after the
 * console's own sanitising.
 */
export const CONSOLE_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
  "form-action 'self'",
].join("; ");

const RESCAN_MS = 1000;

/** Every file under `dir`, as URL paths ("/assets/index-3f2a.js"). */
function filesOf(dir: string, prefix = ""): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const rel = `${prefix}/${entry.name}`;
    if (entry.isDirectory()) out.push(...filesOf(path.join(dir, entry.name), rel));
    else if (entry.isFile()) out.push(rel);
  }
  return out;
}

/**
 * The middleware serving the console. Throws `ConfigError` (field `console.assetsDir`) when the
 * directory or its index.html is missing (e.g. the console package was never built).
 */
export function consoleHandler(options: ConsoleOptions): MiddlewareHandler {
  const root = options?.assetsDir;
  if (typeof root !== "string" || !path.isAbsolute(root)) {
    throw new ConfigError("console.assetsDir must be an absolute path", { field: "console.assetsDir" });
  }
  if (!existsSync(path.join(root, "index.html")) || !statSync(root).isDirectory()) {
    throw new ConfigError(
      `console.assetsDir has no index.html (${path.basename(root)}): build @deeprecall/console first`,
      { field: "console.assetsDir" },
    );
  }
  let files = new Set(filesOf(root));
  let scannedAt = Date.now();
  // A rebuilt console (new hashed asset names) is picked up without a restart: a miss for an
  // asset rescans the directory, at most once a second, so unknown paths cannot make it busy.
  const knows = (p: string): boolean => {
    if (files.has(p)) return true;
    if (!p.startsWith("/assets/") || Date.now() - scannedAt < RESCAN_MS) return false;
    scannedAt = Date.now();
    try {
      files = new Set(filesOf(root));
    } catch {
      return false;
    }
    return files.has(p);
  };
  const serve = serveStatic({ root });
  const index = serveStatic({ root, path: "index.html" });
  return async function webConsole(c, next) {
    const method = c.req.method;
    const p = c.req.path;
    if ((method !== "GET" && method !== "HEAD") || (p !== "/" && !knows(p))) return next();
    // Bundled assets carry a content hash in their names; index.html must always be revalidated.
    const hashed = p.startsWith("/assets/");
    const handler = p === "/" || p === "/index.html" ? index : serve;
    const res = await handler(c, async () => {});
    if (!res) return next();
    res.headers.set("Cache-Control", hashed ? "public, max-age=31536000, immutable" : "no-cache");
    res.headers.set("Content-Security-Policy", CONSOLE_CSP);
    return res;
  };
}
