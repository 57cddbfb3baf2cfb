import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, expect, it } from "vitest";
import { describeInBrowser, launchBrowser } from "./browser.ts";
import { type ConsoleServer, openConsole, shot, startConsoleServer } from "./harness.ts";

// Light and dark (prefers-color-scheme), a narrow window, and the Usage screen: each screen
// with real content, its text contrast measured (WCAG AA: 4.5:1) and screenshots kept.

let server: ConsoleServer;
let browser: Browser;

/**
 * The contrast ratio of each visible element matching `selector` against the nearest opaque
 * background behind it (the lowest ratio per selector), by WCAG 2's relative luminance.
 */
async function lowestContrast(page: Page, selector: string): Promise<number | null> {
  return page.evaluate((sel) => {
    const rgb = (c: string) => {
      const m = c.match(/rgba?\(([^)]+)\)/);
      if (!m) return null;
      const [r, g, b, a = 1] = m[1]!
        .split(/[\s,/]+/)
        .filter(Boolean)
        .map(Number);
      return { r: r!, g: g!, b: b!, a };
    };
    const lum = ({ r, g, b }: { r: number; g: number; b: number }) => {
      const f = (v: number) => {
        const s = v / 255;
        return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
      };
      return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
    };
    const background = (el: Element | null) => {
      for (let e = el; e; e = e.parentElement) {
        const c = rgb(getComputedStyle(e).backgroundColor);
        if (c && c.a > 0.9) return c;
      }
      return (
        rgb(getComputedStyle(document.documentElement).backgroundColor) ?? { r: 255, g: 255, b: 255, a: 1 }
      );
    };
    let lowest: number | null = null;
    for (const el of document.querySelectorAll(sel)) {
      const box = el.getBoundingClientRect();
      if (box.width === 0 || box.height === 0 || !el.textContent?.trim()) continue;
      const fg = rgb(getComputedStyle(el).color)!;
      const [l1, l2] = [lum(fg), lum(background(el))].sort((a, b) => b - a);
      const ratio = (l1! + 0.05) / (l2! + 0.05);
      lowest = lowest === null ? ratio : Math.min(lowest, ratio);
    }
    return lowest;
  }, selector);
}

const TEXT_SELECTORS = [
  "body",
  ".muted",
  "a",
  ".nav-list a",
  ".badge",
  ".answer",
  ".who",
  "pre.code code span",
  "pre.output",
  ".hits li",
  ".budget-row dt",
  ".item-label",
  "th",
  "td",
  ".btn",
  ".outcome-text",
  "label",
];

async function expectReadable(page: Page, scheme: string, screen: string): Promise<void> {
  for (const selector of TEXT_SELECTORS) {
    const ratio = await lowestContrast(page, selector);
    if (ratio === null) continue;
    expect(ratio, `${scheme} ${screen}: contrast of "${selector}"`).toBeGreaterThanOrEqual(4.5);
  }
}

/** An uploaded chunk's id: a content hash and the chunk number. */
const LONG_ID = "be4db53767d41f4c1b159cfc0a2e93d1-7";

describeInBrowser("console: light and dark, wide and narrow", () => {
  beforeAll(async () => {
    server = await startConsoleServer();
    const res = await fetch(`${server.url}/v1/documents`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        ids: ["acme-1", "jane-1"],
        documents: [
          "Acme Corporation was founded by Jane Doe in 1999.",
          "Jane Doe was born in Lyon, France.",
        ],
        metadatas: [{ source: "acme.md" }, { source: "people.txt" }],
      }),
    });
    expect(res.status).toBe(200);
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  for (const scheme of ["light", "dark"] as const) {
    it(`is readable in ${scheme} mode on every screen`, async () => {
      const { context, page, errors } = await openConsole(browser, server.url, { colorScheme: scheme });
      try {
        const bg = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
        const channels = bg.match(/\d+/g)!.slice(0, 3).map(Number);
        const mean = channels.reduce((a, b) => a + b, 0) / 3;
        // The scheme really switched: a dark page is dark, a light one light.
        if (scheme === "dark") expect(mean).toBeLessThan(60);
        else expect(mean).toBeGreaterThan(200);

        await page.getByLabel("Question").fill("Who founded Acme?");
        await page.getByLabel("Question").press("Enter");
        await page.locator(".exchange .badge-done").waitFor({ timeout: 20_000 });
        await expectReadable(page, scheme, "Ask");
        await shot(page, `${scheme}-1-ask`);

        await page.getByRole("link", { name: "Documents" }).click();
        await page.locator("table.docs tbody tr").first().waitFor();
        await page.setInputFiles("#upload-input", [
          {
            name: "new.md",
            mimeType: "text/markdown",
            buffer: Buffer.from(`# New\n\nA ${scheme} upload.\n`),
          },
          {
            name: "image.png",
            mimeType: "image/png",
            buffer: Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 0, 0, 0]),
          },
        ]);
        await page.locator(".upload-results").waitFor({ timeout: 20_000 });
        await expectReadable(page, scheme, "Documents");
        await shot(page, `${scheme}-2-documents`);

        await page.getByRole("link", { name: "Usage" }).click();
        await page.locator(".stats").waitFor();
        await expectReadable(page, scheme, "Usage");
        await shot(page, `${scheme}-3-usage`);
        expect(errors).toEqual([]);
      } finally {
        await context.close();
      }
    });
  }

  it("shows the recent queries with time, tokens and cost on the Usage screen", async () => {
    const { context, page, errors } = await openConsole(browser, `${server.url}/#/usage`);
    try {
      await page.locator(".stats").waitFor();
      // This server needs no key: the header offers none to set.
      expect(await page.getByRole("button", { name: "Set API key" }).count()).toBe(0);
      const stats = await page.locator(".stats").textContent();
      expect(stats).toMatch(/Queries\s*[1-9]/);
      const recent = page.locator("table.recent tbody tr");
      expect(await recent.count()).toBeGreaterThanOrEqual(2);
      const first = await recent.first().textContent();
      expect(first).toContain("Who founded Acme?");
      expect(first).toMatch(/\d+(\.\d)? (ms|s)/);
      expect(first).toMatch(/\b\d+\b/);
      expect(first).toContain("ok");
      expect(errors).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it("stacks the trace under the conversation in a narrow window, without sideways scrolling", async () => {
    const { context, page, errors } = await openConsole(browser, server.url, {
      viewport: { width: 420, height: 900 },
    });
    try {
      await page.getByLabel("Question").fill("Who founded Acme?");
      await page.getByLabel("Question").press("Enter");
      await page.locator(".exchange .badge-done").waitFor({ timeout: 20_000 });
      const conversation = await page.locator(".conversation").boundingBox();
      const trace = await page.locator(".trace").boundingBox();
      expect(trace!.y).toBeGreaterThanOrEqual(conversation!.y + conversation!.height - 1);
      expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(420);
      await shot(page, "narrow-1-ask", true);
      await page.getByRole("link", { name: "Documents" }).click();
      await page.locator("table.docs tbody tr").first().waitFor();
      expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(420);
      await shot(page, "narrow-2-documents", true);
      expect(errors).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it("wraps long unbroken text (a question, a chunk) instead of widening the page", async () => {
    const res = await fetch(`${server.url}/v1/documents`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        ids: ["long-line-1", LONG_ID],
        documents: [
          `x${"0123456789abcdef".repeat(4000)}`,
          "A chunk of an uploaded file, under its hashed id.",
        ],
        metadatas: [{ source: "minified.js" }, { source: "upload.md" }],
      }),
    });
    expect(res.status).toBe(200);
    const scrollWidth = (page: Page) =>
      page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    for (const width of [1400, 380]) {
      const { context, page, errors } = await openConsole(browser, `${server.url}/#/documents`, {
        viewport: { width, height: 900 },
      });
      try {
        await page.locator("table.docs tbody tr", { hasText: "minified.js" }).waitFor();
        expect(await scrollWidth(page), `documents at ${width} px`).toBeLessThanOrEqual(0);
        // The table fits its box: no sideways scrolling inside it either.
        expect(
          await page.locator(".doc-list .table-scroll").evaluate((el) => el.scrollWidth - el.clientWidth),
          `documents table at ${width} px`,
        ).toBeLessThanOrEqual(0);
        // A long id shows on one line, shortened in the middle (its chunk number kept), the
        // full id in its tooltip and accessible name.
        const idLink = page.locator("table.docs .cell-id a", { hasText: "-7" });
        expect(await idLink.textContent()).toMatch(/^[0-9a-f]+…[0-9a-f]+-7$/);
        expect(await idLink.getAttribute("title")).toBe(LONG_ID);
        expect(await page.getByRole("link", { name: LONG_ID }).count()).toBe(1);
        const lines = await idLink.evaluate((a) => a.getClientRects().length);
        expect(lines, `id lines at ${width} px`).toBe(1);
        await shot(page, `long-line-documents-${width}`);
        if (width === 1400) {
          // Still a working link to the document.
          await idLink.click();
          await page.locator(".document code", { hasText: LONG_ID }).waitFor();
        }
        if (width === 380) {
          await page.getByRole("link", { name: "Ask" }).click();
          await page.getByLabel("Question").fill(`What is ${"abcdefghij".repeat(30)}?`);
          await page.getByLabel("Question").press("Enter");
          await page.locator(".exchange .badge-done").waitFor({ timeout: 20_000 });
          expect(await scrollWidth(page), "a long word in the question").toBeLessThanOrEqual(0);
          await shot(page, "long-line-question-380");
        }
        expect(errors).toEqual([]);
      } finally {
        await context.close();
      }
    }
  });
});
