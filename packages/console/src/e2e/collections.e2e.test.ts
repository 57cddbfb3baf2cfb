import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, expect, it } from "vitest";
import { describeInBrowser, launchBrowser } from "./browser.ts";
import { type ConsoleServer, openConsole, shot, startConsoleServer, UI_TIMEOUT_MS } from "./harness.ts";

// A server serving several collections (as `deeprecall serve` does): the Documents screen
// uploads into a new collection picked by name, lists it apart from the default one, and the
// Ask screen asks it through its model, `deeprecall/<collection>`, with citations that open
// the document in that collection.

let server: ConsoleServer;
let browser: Browser;

async function sourcesIn(collection: string | undefined): Promise<string[]> {
  const query = collection ? `&collection=${collection}` : "";
  const res = await fetch(`${server.url}/v1/documents?limit=1000${query}`);
  const page = (await res.json()) as { data: Array<{ metadata: { source?: string } }> };
  return page.data.map((d) => d.metadata.source ?? "");
}

/**
 * How many pixels the selected option's text lacks to fit in the `<select>` (its width less
 * its padding, border and drop-down arrow): positive when the shown label is cut off.
 */
async function selectShortfall(page: Page, selector: string): Promise<number> {
  return page.locator(selector).evaluate((el) => {
    const select = el as HTMLSelectElement;
    const style = getComputedStyle(select);
    const probe = document.createElement("span");
    probe.style.font = style.font;
    probe.style.whiteSpace = "pre";
    probe.textContent = select.selectedOptions[0]?.textContent ?? "";
    document.body.append(probe);
    const text = probe.getBoundingClientRect().width;
    probe.remove();
    const arrow = 20;
    const room =
      select.clientWidth -
      Number.parseFloat(style.paddingLeft) -
      Number.parseFloat(style.paddingRight) -
      arrow;
    return text - room;
  });
}

describeInBrowser("console: collections", () => {
  beforeAll(async () => {
    server = await startConsoleServer({ collections: true });
    const res = await fetch(`${server.url}/v1/documents`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        documents: ["The weather in Paris is mild in spring."],
        metadatas: [{ source: "weather.txt" }],
      }),
    });
    expect(res.status).toBe(200);
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it("uploads into a new collection, lists it on its own, and asks it through its model", async () => {
    const { context, page, errors } = await openConsole(browser, `${server.url}/#/documents`);
    try {
      await page.locator("table.docs .cell-source", { hasText: "weather.txt" }).waitFor();
      await page.getByLabel("Collection", { exact: true }).selectOption({ label: "New collection…" });
      // A name the store would refuse is caught before any upload, saying what is allowed.
      await page.getByLabel("New collection name").fill("my wiki");
      await page.getByRole("button", { name: "Use" }).click();
      await page
        .locator(".collection-picker .error-text", { hasText: "Not allowed in a collection name: spaces" })
        .waitFor();
      expect(await page.getByLabel("New collection name").getAttribute("aria-invalid")).toBe("true");
      await page.getByLabel("New collection name").fill("wiki");
      await page.getByRole("button", { name: "Use" }).click();
      await expect
        .poll(() => page.evaluate(() => location.hash), { timeout: UI_TIMEOUT_MS })
        .toBe("#/documents?collection=wiki");
      await page
        .getByText(/This collection holds no documents yet|The collection “wiki” does not exist yet/)
        .waitFor();

      await page.setInputFiles("#upload-input", {
        name: "acme.md",
        mimeType: "text/markdown",
        buffer: Buffer.from("# Acme\n\nAcme Corporation was founded by Jane Doe in 1999.\n"),
      });
      await page.locator(".upload-results .outcome.ok", { hasText: "acme.md" }).waitFor({ timeout: 20_000 });
      await expect
        .poll(() => page.locator("table.docs .cell-source").allTextContents(), { timeout: UI_TIMEOUT_MS })
        .toEqual(["acme.md"]);
      expect(await sourcesIn("wiki")).toEqual(["acme.md"]);
      expect(await sourcesIn(undefined)).toEqual(["weather.txt"]);
      // The picker now lists the new collection with its count.
      await expect
        .poll(() => page.getByLabel("Collection", { exact: true }).locator("option").allTextContents(), {
          timeout: UI_TIMEOUT_MS,
        })
        .toContain("wiki — 1 document");
      // The default collection reads in words too, not "main (default) (1)".
      expect(
        await page.getByLabel("Collection", { exact: true }).locator("option").first().textContent(),
      ).toBe("main — default, 1 document");
      await shot(page, "collections-1-wiki");

      // Ask the wiki collection through its model.
      await page.getByRole("link", { name: "Ask" }).click();
      await expect
        .poll(() => page.locator("#model option").allTextContents(), { timeout: UI_TIMEOUT_MS })
        .toContain("deeprecall/wiki — 1 document");
      await page.getByLabel("Model").selectOption("deeprecall/wiki");
      // The select is wide enough for the option it shows: nothing cut off.
      expect(await selectShortfall(page, "#model")).toBeLessThanOrEqual(0);
      await shot(page, "collections-1b-model-picked");
      // In a phone-width window too, without widening the page.
      await page.setViewportSize({ width: 380, height: 800 });
      expect(await selectShortfall(page, "#model")).toBeLessThanOrEqual(0);
      expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(380);
      // A longer option (as the server would list it) still fits: the select
      // moves under its label.
      await page.locator("#model option:checked").evaluate((o) => {
        o.textContent = "deeprecall/contracts — 2 documents";
      });
      expect(await selectShortfall(page, "#model")).toBeLessThanOrEqual(0);
      expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(380);
      await shot(page, "collections-1c-model-picked-380");
      await page.setViewportSize({ width: 1400, height: 900 });
      await page.getByLabel("Question").fill("Who founded Acme?");
      await page.getByLabel("Question").press("Enter");
      const exchange = page.locator(".exchange").first();
      await exchange.locator(".badge-done").waitFor({ timeout: 20_000 });
      const citation = exchange.locator('.answer a[href^="#/documents/"]');
      expect(await citation.getAttribute("href")).toMatch(/\?collection=wiki$/);
      await citation.click();
      await page.locator(".document-text").waitFor();
      expect(await page.locator(".document-text").textContent()).toContain("founded by Jane Doe");
      expect(await page.locator(".breadcrumb").textContent()).toContain("wiki");
      await shot(page, "collections-2-cited-in-wiki");
      expect(errors).toEqual([]);
    } finally {
      await context.close();
    }
  });
});
