import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { createSandboxPool, DeepRecallEngine, UsageTrackingCallback } from "@deeprecall/core";
import { type CreateAppOptions, createApp, startServer } from "@deeprecall/server";
import { enginePerCollection, freePort } from "@deeprecall/test-utils";
import { LocalStore } from "@deeprecall/vectorstore-local";
import type { Browser, BrowserContext, BrowserContextOptions, Page } from "playwright-core";
import { consoleAssetsDir } from "../index.ts";
import { DEFAULT_TIMING, rootModel, subModel, type Timing } from "./script.ts";

/** Where the tests' screenshots go (gitignored): look at them. */
export const ARTIFACTS = fileURLToPath(new URL("../../test-artifacts/", import.meta.url));

export interface ConsoleServer {
  url: string;
  /** Mutable: the scripted models read it on every call. */
  timing: Timing;
  engine: DeepRecallEngine;
  close(): Promise<void>;
}

/**
 * A real DeepRecall server with the console: the real engine (QuickJS sandbox in worker
 * threads) over a real LocalStore in a temp directory, behind the real HTTP app on a free port,
 * serving the console's built assets. Only the LLMs are doubles (scripted, with delays). With
 * `collections: true` it serves every collection of the store, the default one being "main"
 * (as `deeprecall serve` does).
 */
export async function startConsoleServer(
  options: Omit<Partial<CreateAppOptions>, "collections"> & { collections?: boolean } = {},
): Promise<ConsoleServer> {
  const { collections: several, ...appOptions } = options;
  const dir = await mkdtemp(join(tmpdir(), "deeprecall-console-e2e-"));
  const timing: Timing = { ...DEFAULT_TIMING };
  const stores = LocalStore.collections({ directory: dir });
  const sandbox = createSandboxPool();
  const tracker = new UsageTrackingCallback();
  const perCollection = enginePerCollection(
    stores,
    (store) =>
      new DeepRecallEngine({
        vectorStore: store,
        model: rootModel(timing),
        subModel: subModel(timing),
        sandbox,
        maxIterations: 4,
        callbacks: [tracker],
      }),
  );
  const engine = perCollection.engineOf("main");
  const app = createApp(engine, {
    ...appOptions,
    ...(several ? { collections: perCollection.served } : {}),
    console: { assetsDir: consoleAssetsDir },
  });
  const server = await startServer({ app, port: await freePort() });
  return {
    url: server.url,
    timing,
    engine,
    close: async () => {
      await server.close();
      await perCollection.close();
      await sandbox.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/**
 * How long a browser test waits for the console to get somewhere (an element, a poll's value):
 * each step takes a fetch and a render, quick alone but seconds on a busy CI machine. Well under
 * the test timeout, so a missing element fails with what was awaited. Playwright's waits get it
 * from `openConsole`; pass `{ timeout: UI_TIMEOUT_MS }` to `expect.poll`, whose default is 1 s.
 */
export const UI_TIMEOUT_MS = 10_000;

/** A fresh browser context and page on the console, failing the test on any page error. */
export async function openConsole(
  browser: Browser,
  url: string,
  options: BrowserContextOptions = {},
): Promise<{ context: BrowserContext; page: Page; errors: string[] }> {
  const context = await browser.newContext({ viewport: { width: 1400, height: 900 }, ...options });
  context.setDefaultTimeout(UI_TIMEOUT_MS);
  const page = await context.newPage();
  const errors: string[] = [];
  page.on("pageerror", (e) => errors.push(e.message));
  page.on("console", (m) => {
    // Failed requests we provoke on purpose (401s) are logged by Chromium as console errors.
    if (m.type() === "error" && !/status of 40[0-9]/.test(m.text())) errors.push(m.text());
  });
  await page.goto(url);
  return { context, page, errors };
}

/** Saves a screenshot of the page as test-artifacts/<name>.png. */
export async function shot(page: Page, name: string, fullPage = false): Promise<void> {
  await mkdir(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage });
}

/** The one document most tests start from: Acme's founding, from "acme.md". */
export const ACME_DOCUMENT = {
  documents: ["Acme was founded by Jane Doe in 1999."],
  metadatas: [{ source: "acme.md" }],
};

/** POST /v1/documents on `url` with `body`, sending `key` as a Bearer token when given. */
export function postDocuments(url: string, body: unknown, key?: string): Promise<Response> {
  return fetch(`${url}/v1/documents`, {
    method: "POST",
    headers: { "content-type": "application/json", ...(key ? { authorization: `Bearer ${key}` } : {}) },
    body: JSON.stringify(body),
  });
}
