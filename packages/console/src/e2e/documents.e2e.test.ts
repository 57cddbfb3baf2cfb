import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, expect, it } from "vitest";
import { describeInBrowser, launchBrowser } from "./browser.ts";
import { ACME_MD, NOTES_TXT, REPORT_PDF, TOOL_EXE, type UploadFile } from "./files.ts";
import { type ConsoleServer, openConsole, shot, startConsoleServer, UI_TIMEOUT_MS } from "./harness.ts";

// The Documents screen in a real browser against a real server: upload (file picker and drag
// and drop) with per-file outcomes, the paged searchable list, the document view, delete.

let server: ConsoleServer;
let browser: Browser;

/** What the server holds, straight from the API (not through the console). */
async function storedSources(): Promise<string[]> {
  const res = await fetch(`${server.url}/v1/documents?limit=1000`);
  const page = (await res.json()) as { data: Array<{ metadata: { source?: string } }> };
  return page.data.map((d) => d.metadata.source ?? "");
}

/** Drops `files` on the drop zone as a person dragging them from their desktop would. */
async function dropFiles(page: Page, files: UploadFile[]): Promise<void> {
  const transfer = await page.evaluateHandle(
    (list) => {
      const dt = new DataTransfer();
      for (const f of list) dt.items.add(new File([new Uint8Array(f.bytes)], f.name, { type: f.mimeType }));
      return dt;
    },
    files.map((f) => ({ name: f.name, mimeType: f.mimeType, bytes: [...f.buffer] })),
  );
  const zone = page.locator(".dropzone");
  await zone.dispatchEvent("dragenter", { dataTransfer: transfer });
  await zone.dispatchEvent("dragover", { dataTransfer: transfer });
  await zone.dispatchEvent("drop", { dataTransfer: transfer });
}

describeInBrowser("console: Documents", () => {
  beforeAll(async () => {
    server = await startConsoleServer();
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it("uploads files with the picker, says per file what happened, and lists what was stored", async () => {
    const { context, page, errors } = await openConsole(browser, `${server.url}/#/documents`);
    try {
      await page.getByText("This collection holds no documents yet").waitFor();
      await shot(page, "documents-1-empty");
      // The picker button is a real button; the file input behind it is labelled by it.
      const chooser = page.waitForEvent("filechooser");
      await page.getByRole("button", { name: "Choose files…" }).click();
      await (await chooser).setFiles([ACME_MD, NOTES_TXT, REPORT_PDF, TOOL_EXE]);

      const results = page.locator(".upload-results");
      await results.waitFor({ timeout: 20_000 });
      expect(await results.locator("p").first().textContent()).toBe("3 files ingested, 1 rejected.");
      const rows = results.locator(".outcome");
      expect(await rows.count()).toBe(4);
      for (const [i, name] of ["acme.md", "notes.txt", "report.pdf"].entries()) {
        expect(await rows.nth(i).getAttribute("class")).toContain("ok");
        expect(await rows.nth(i).textContent()).toMatch(
          new RegExp(`${name.replace(".", "\\.")}ingested — \\d+ chunks?`),
        );
      }
      expect(await rows.nth(3).getAttribute("class")).toContain("rejected");
      expect(await rows.nth(3).textContent()).toMatch(/tool\.exerejected — .*\S/);
      expect(await rows.nth(3).textContent()).toContain(".exe");

      // The list shows what the server now holds: the three files' chunks, with sources and previews.
      const table = page.locator("table.docs");
      await expect
        .poll(() => table.locator("tbody tr").count(), { timeout: UI_TIMEOUT_MS })
        .toBeGreaterThanOrEqual(3);
      const listed = (await table.locator(".cell-source").allTextContents()).map((t) =>
        t.replace(/chunk \d+ of \d+$/, ""),
      );
      expect(new Set(listed)).toEqual(new Set(["acme.md", "notes.txt", "report.pdf"]));
      expect(new Set(await storedSources())).toEqual(new Set(["acme.md", "notes.txt", "report.pdf"]));
      // The PDF's text was extracted on the server.
      const pdfRow = table.locator("tr", { has: page.locator(".cell-source", { hasText: "report.pdf" }) });
      expect(await pdfRow.locator(".cell-preview").textContent()).toContain("Revenue grew twelve percent");
      await shot(page, "documents-2-uploaded", true);
      expect(errors).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it("uploads a file dropped on the zone", async () => {
    const { context, page, errors } = await openConsole(browser, `${server.url}/#/documents`);
    try {
      await dropFiles(page, [
        {
          name: "dropped.md",
          mimeType: "text/markdown",
          buffer: Buffer.from("# Dropped\n\nA file dropped on the zone about zebras.\n"),
        },
      ]);
      await page
        .locator(".upload-results .outcome.ok", { hasText: "dropped.md" })
        .waitFor({ timeout: 20_000 });
      await expect.poll(storedSources, { timeout: UI_TIMEOUT_MS }).toContain("dropped.md");
      expect(errors).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it("searches the list, opens a document, and deletes one after confirming", async () => {
    const { context, page, errors } = await openConsole(browser, `${server.url}/#/documents`);
    try {
      const table = page.locator("table.docs");
      await table.waitFor();
      await page.getByLabel("Search documents").fill("anvils");
      await expect
        .poll(() => table.locator(".cell-source").allTextContents(), { timeout: UI_TIMEOUT_MS })
        .toEqual(["acme.md"]);
      await page.getByLabel("Search documents").fill("nothing-matches-this");
      await page.getByText("No document matches this search.").waitFor();
      await page.getByLabel("Search documents").fill("");
      await expect
        .poll(() => table.locator("tbody tr").count(), { timeout: UI_TIMEOUT_MS })
        .toBeGreaterThanOrEqual(4);

      // The document view: full text and metadata.
      const acmeRow = table.locator("tr", { has: page.locator(".cell-source", { hasText: "acme.md" }) });
      await acmeRow.locator(".cell-id a").click();
      await page.locator(".document-text").waitFor();
      expect(await page.locator(".document-text").textContent()).toContain("founded by Jane Doe in 1999");
      expect(await page.locator(".document h1").textContent()).toBe("acme.md");
      await shot(page, "documents-3-document-view");
      await page.getByRole("link", { name: "Documents" }).first().click();

      // Delete notes.txt: Cancel first keeps it, then Delete removes it from the list and the store.
      const notesRow = table.locator("tr", { has: page.locator(".cell-source", { hasText: "notes.txt" }) });
      await notesRow.getByRole("button", { name: /Delete/ }).click();
      const dialog = page.getByRole("dialog");
      await dialog.waitFor();
      expect(await dialog.textContent()).toContain("notes.txt");
      // Focus starts on Cancel: Enter alone never deletes.
      expect(await page.evaluate(() => document.activeElement?.textContent)).toBe("Cancel");
      await shot(page, "documents-4-confirm-delete");
      await page.keyboard.press("Escape");
      await dialog.waitFor({ state: "hidden" });
      expect(await storedSources()).toContain("notes.txt");
      await notesRow.getByRole("button", { name: /Delete/ }).click();
      await dialog.getByRole("button", { name: "Delete" }).click();
      await page.getByText(/^Deleted /).waitFor();
      await expect
        .poll(() => table.locator(".cell-source").allTextContents(), { timeout: UI_TIMEOUT_MS })
        .not.toContain("notes.txt");
      expect(await storedSources()).not.toContain("notes.txt");
      await shot(page, "documents-5-deleted");
      expect(errors).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it("walks a file's chunks and deletes the whole file with one confirmation", async () => {
    const n = 250; // more than one DELETE batch
    const add = await fetch(`${server.url}/v1/documents`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        ids: Array.from({ length: n }, (_, i) => `big-${i}`),
        documents: Array.from({ length: n }, (_, i) => `Part ${i} of the big manual.`),
        metadatas: [...Array.from({ length: n }, (_, i) => ({ source: "big.md", chunk: i, chunks: n }))],
      }),
    });
    expect(add.status).toBe(200);
    // Another file whose name contains "big.md": the search finds it, the delete must not.
    const other = await fetch(`${server.url}/v1/documents`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        ids: ["notbig"],
        documents: ["Other."],
        metadatas: [{ source: "not-big.md.txt" }],
      }),
    });
    expect(other.status).toBe(200);
    const { context, page, errors } = await openConsole(browser, `${server.url}/#/documents/big-1`);
    try {
      await page.getByRole("link", { name: "Next chunk →" }).click();
      await page.locator(".document code", { hasText: "big-2" }).waitFor();
      await page.getByRole("link", { name: "← Previous chunk" }).click();
      await page.locator(".document code", { hasText: "big-1" }).waitFor();
      await page.getByRole("button", { name: `Delete the whole file (${n} chunks)` }).click();
      const dialog = page.getByRole("dialog", { name: "Delete the whole file?" });
      await dialog.getByRole("button", { name: `Delete ${n} chunks` }).click();
      await page.waitForURL(/#\/documents$/);
      const sources = await storedSources();
      expect(sources).not.toContain("big.md");
      expect(sources).toContain("not-big.md.txt");
      expect(errors).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it("has no invisible Tab stop: every element Tab reaches can be seen", async () => {
    const { context, page, errors } = await openConsole(browser, `${server.url}/#/documents`);
    try {
      await page.getByRole("button", { name: "Choose files…" }).waitFor();
      const invisible: string[] = [];
      for (let i = 0; i < 15; i++) {
        await page.keyboard.press("Tab");
        const seen = await page.evaluate(() => {
          const el = document.activeElement as HTMLElement | null;
          if (!el || el === document.body) return null;
          const box = el.getBoundingClientRect();
          return {
            what: `${el.tagName} ${el.id || el.textContent?.trim() || ""}`,
            size: box.width * box.height,
          };
        });
        if (seen && seen.size <= 4) invisible.push(seen.what);
      }
      expect(invisible).toEqual([]);
      expect(errors).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it("pages through a long list with Load more", async () => {
    const many = Array.from(
      { length: 30 },
      (_, i) => `Filler document number ${i} about nothing in particular.`,
    );
    const add = await fetch(`${server.url}/v1/documents`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        documents: many,
        metadatas: many.map((_, i) => ({ source: `filler-${i}.txt` })),
      }),
    });
    expect(add.status).toBe(200);
    const { context, page, errors } = await openConsole(browser, `${server.url}/#/documents`);
    try {
      const rows = page.locator("table.docs tbody tr");
      await expect.poll(() => rows.count(), { timeout: UI_TIMEOUT_MS }).toBe(25);
      const total = (await storedSources()).length;
      // The count is the collection's total (the picker's figure), not "25+".
      await page.getByText(`Showing 25 of ${total} documents`).waitFor();
      await page.getByRole("button", { name: "Load more" }).click();
      await expect.poll(() => rows.count(), { timeout: UI_TIMEOUT_MS }).toBe(total);
      expect(await page.getByRole("button", { name: "Load more" }).count()).toBe(0);
      const ids = await page.locator("table.docs .cell-id").allTextContents();
      expect(new Set(ids).size).toBe(ids.length);
      expect(errors).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it("shows the upload's progress while a large file goes out", async () => {
    const { context, page, errors } = await openConsole(browser, `${server.url}/#/documents`);
    try {
      // A slow uplink (256 KiB/s), so a 1.5 MB file takes a few seconds to send.
      const cdp = await context.newCDPSession(page);
      await cdp.send("Network.enable");
      await cdp.send("Network.emulateNetworkConditions", {
        offline: false,
        latency: 0,
        downloadThroughput: -1,
        uploadThroughput: 256 * 1024,
      });
      const line = "The archive holds minutes of every meeting of the board since 1999.\n";
      const big = { name: "archive.txt", mimeType: "text/plain", buffer: Buffer.from(line.repeat(22_000)) };
      await page.setInputFiles("#upload-input", big);
      const progress = page.locator("progress#upload-progress");
      await progress.waitFor();
      // The bar moves: seen part-way, neither empty nor full.
      await expect
        .poll(async () => Number(await progress.getAttribute("value")), { timeout: 15_000, interval: 50 })
        .toBeGreaterThan(5);
      const midway = Number(await progress.getAttribute("value"));
      expect(midway).toBeLessThan(100);
      expect(await page.locator(".upload-progress label").textContent()).toMatch(
        /Uploading 1 file \(1(\.\d)? MiB\)… \d+%/,
      );
      await shot(page, "documents-6-upload-progress");
      await cdp.send("Network.emulateNetworkConditions", {
        offline: false,
        latency: 0,
        downloadThroughput: -1,
        uploadThroughput: -1,
      });
      await page
        .locator(".upload-results .outcome.ok", { hasText: "archive.txt" })
        .waitFor({ timeout: 30_000 });
      expect(await page.locator(".upload-results .outcome.ok").textContent()).toMatch(
        /ingested — \d+ chunks/,
      );
      expect(errors).toEqual([]);
    } finally {
      await context.close();
    }
  });
});
