import { readFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import { createRequire } from "node:module";
import { dirname, join, normalize } from "node:path";
import { freePort } from "@deeprecall/test-utils";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, expect, it } from "vitest";
import { describeInBrowser, launchBrowser } from "./browser.ts";
import {
  ACME_DOCUMENT,
  type ConsoleServer,
  openConsole,
  postDocuments,
  startConsoleServer,
} from "./harness.ts";

// CORS as a browser enforces it: a page on one origin uses the official `openai` npm client
// (its browser build, which adds the x-stainless-* headers) against DeepRecall on another
// origin. Only an allowed origin gets through the preflight; the answer and the exposed
// x-request-id are readable by the page; a page on another origin is refused by the browser.

const KEY = "sk-console-cors";
const OPENAI_DIR = dirname(createRequire(import.meta.url).resolve("openai"));

let api: ConsoleServer;
let browser: Browser;
const pages: Array<{ server: Server; origin: string }> = [];

/** A static site on its own port (its own origin): the page, and the openai package's files. */
async function startSite(): Promise<{ server: Server; origin: string }> {
  const port = await freePort();
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://x");
    if (url.pathname === "/") {
      res.writeHead(200, { "content-type": "text/html" }).end("<!doctype html><title>other site</title>");
      return;
    }
    if (url.pathname.startsWith("/openai/")) {
      const file = normalize(join(OPENAI_DIR, url.pathname.slice("/openai/".length)));
      if (!file.startsWith(OPENAI_DIR)) {
        res.writeHead(403).end();
        return;
      }
      readFile(file).then(
        (body) => res.writeHead(200, { "content-type": "text/javascript" }).end(body),
        () => res.writeHead(404).end(),
      );
      return;
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
  const site = { server, origin: `http://127.0.0.1:${port}` };
  pages.push(site);
  return site;
}

describeInBrowser("CORS in a real browser: the openai npm client on another origin", () => {
  let allowed: { origin: string };
  let other: { origin: string };
  beforeAll(async () => {
    allowed = await startSite();
    other = await startSite();
    api = await startConsoleServer({ apiKeys: [KEY], cors: [allowed.origin] });
    const res = await postDocuments(api.url, ACME_DOCUMENT, KEY);
    expect(res.status).toBe(200);
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await api?.close();
    await Promise.all(pages.map((p) => new Promise((r) => p.server.close(r))));
  });

  /** Runs the openai client in a page of `origin` against the API; what the page could read. */
  async function askFrom(origin: string) {
    const { context, page } = await openConsole(browser, `${origin}/`);
    try {
      // A string, not a function: vitest would rewrite a function's dynamic import() for Node.
      const script = `(async () => {
        const { default: OpenAI } = await import(location.origin + "/openai/index.mjs");
        const client = new OpenAI({
          baseURL: ${JSON.stringify(`${api.url}/v1`)},
          apiKey: ${JSON.stringify(KEY)},
          dangerouslyAllowBrowser: true,
          maxRetries: 0,
        });
        try {
          const { data, response } = await client.chat.completions
            .create({ model: "deeprecall", messages: [{ role: "user", content: "Who founded Acme?" }] })
            .withResponse();
          const models = await client.models.list();
          return {
            ok: true,
            answer: data.choices[0]?.message.content ?? "",
            requestId: response.headers.get("x-request-id"),
            models: models.data.map((m) => m.id),
          };
        } catch (error) {
          return { ok: false, error: String(error) };
        }
      })()`;
      return (await page.evaluate(script)) as {
        ok: boolean;
        answer?: string;
        requestId?: string | null;
        models?: string[];
        error?: string;
      };
    } finally {
      await context.close();
    }
  }

  it("an allowed origin gets the answer, the models and the exposed x-request-id", async () => {
    const result = await askFrom(allowed.origin);
    expect(result).toMatchObject({ ok: true });
    expect(result.answer).toMatch(/Jane Doe/);
    expect(result.requestId).toMatch(/\S/);
    expect(result.models).toContain("deeprecall");
  });

  it("another origin is refused by the browser: the page cannot read anything", async () => {
    const result = await askFrom(other.origin);
    expect(result.ok).toBe(false);
    expect(result.error).toMatch(/Connection error|fetch/i);
  });
});
