import type { Browser } from "playwright-core";
import { afterAll, beforeAll, expect, it } from "vitest";
import { describeInBrowser, launchBrowser } from "./browser.ts";
import {
  ACME_DOCUMENT,
  type ConsoleServer,
  openConsole,
  postDocuments,
  shot,
  startConsoleServer,
  UI_TIMEOUT_MS,
} from "./harness.ts";

// A server with --api-keys: the console's files load without a key, every API call needs one;
// the console asks for it (a wrong key gets the server's message), stores it for the tab (or
// the device when asked), sends it as a Bearer token, and forgets it on sign out.

const KEY = "sk-console-e2e";
let server: ConsoleServer;
let browser: Browser;

describeInBrowser("console: API key", () => {
  beforeAll(async () => {
    server = await startConsoleServer({ apiKeys: [KEY] });
    const res = await postDocuments(server.url, ACME_DOCUMENT, KEY);
    expect(res.status).toBe(200);
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it("asks for a key on a 401, rejects a wrong one with the server's message, then works with the right one", async () => {
    // The API itself refuses calls without the key: the console bypasses nothing.
    expect((await fetch(`${server.url}/v1/models`)).status).toBe(401);
    const { context, page, errors } = await openConsole(browser, `${server.url}/#/documents`);
    try {
      const dialog = page.getByRole("dialog", { name: "API key needed" });
      await dialog.waitFor();
      expect(await dialog.textContent()).toContain("Missing API key");
      // Focus is in the dialog, on the labelled key field.
      expect(await page.evaluate(() => document.activeElement?.id)).toBe(
        await page.getByLabel("API key", { exact: true }).getAttribute("id"),
      );
      await shot(page, "auth-1-prompt");

      await page.keyboard.type("sk-wrong");
      await page.keyboard.press("Enter");
      await expect
        .poll(() => dialog.locator(".dialog-message").textContent(), { timeout: UI_TIMEOUT_MS })
        .toBe("Invalid API key");
      expect(await dialog.isVisible()).toBe(true);
      // The refused key is forgotten: not stored, and the header does not claim a sign-in.
      expect(await page.evaluate(() => sessionStorage.getItem("deeprecall.apiKey"))).toBeNull();
      expect(await page.getByRole("button", { name: "Sign out" }).count()).toBe(0);
      await shot(page, "auth-2-wrong-key");

      // Dismissed with Escape, the screen says why, and "Set API key" in the header asks again
      // and reloads the screen with the key.
      await page.keyboard.press("Escape");
      await page.locator(".page .error-text", { hasText: "Invalid API key" }).waitFor();
      await page.getByRole("button", { name: "Set API key" }).click();
      await dialog.waitFor();

      await page.getByLabel("API key", { exact: true }).fill(KEY);
      await dialog.getByRole("button", { name: "Use key" }).click();
      await dialog.waitFor({ state: "hidden" });
      await page.locator("table.docs .cell-source", { hasText: "acme.md" }).waitFor();
      // Kept for this tab only (remember was not ticked), sent as a Bearer token.
      expect(await page.evaluate(() => sessionStorage.getItem("deeprecall.apiKey"))).toBe(KEY);
      expect(await page.evaluate(() => localStorage.getItem("deeprecall.apiKey"))).toBeNull();
      const sent = page.waitForRequest((r) => r.url().includes("/v1/usage"));
      await page.getByRole("link", { name: "Usage" }).click();
      expect((await sent).headers().authorization).toBe(`Bearer ${KEY}`);
      await page.locator(".stats").waitFor();

      // Asking works with the key too.
      await page.getByRole("link", { name: "Ask" }).click();
      await page.getByLabel("Question").fill("Who founded Acme?");
      await page.getByLabel("Question").press("Enter");
      await page.locator(".exchange .badge-done").waitFor({ timeout: 20_000 });
      await shot(page, "auth-3-signed-in");

      // Sign out forgets the key; the next call asks again.
      await page.getByRole("button", { name: "Sign out" }).click();
      expect(await page.evaluate(() => sessionStorage.getItem("deeprecall.apiKey"))).toBeNull();
      await page.getByRole("link", { name: "Usage" }).click();
      await dialog.waitFor();
      // Cancel leaves the screen with the server's message, not a blank page.
      await dialog.getByRole("button", { name: "Cancel" }).click();
      await page.locator(".page .error-text", { hasText: "Missing API key" }).waitFor();
      expect(errors).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it("remembers the key on this device when asked", async () => {
    const { context, page, errors } = await openConsole(browser, `${server.url}/#/usage`);
    try {
      const dialog = page.getByRole("dialog", { name: "API key needed" });
      await dialog.waitFor();
      await page.getByLabel("API key", { exact: true }).fill(KEY);
      await page.getByLabel("Remember on this device").check();
      await page.keyboard.press("Enter");
      await page.locator(".stats").waitFor();
      expect(await page.evaluate(() => localStorage.getItem("deeprecall.apiKey"))).toBe(KEY);
      // A new tab of the same browser profile gets in without asking.
      const second = await context.newPage();
      await second.goto(`${server.url}/#/usage`);
      await second.locator(".stats").waitFor();
      expect(await second.getByRole("dialog", { name: "API key needed" }).isVisible()).toBe(false);
      expect(errors).toEqual([]);
    } finally {
      await context.close();
    }
  });
});
