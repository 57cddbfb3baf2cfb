import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, expect, it } from "vitest";
import { describeInBrowser, launchBrowser } from "./browser.ts";
import { type ConsoleServer, openConsole, shot, startConsoleServer, UI_TIMEOUT_MS } from "./harness.ts";

// Asking in a real browser: the answer streams while the live trace shows the code the model
// wrote, its searches with hits and its sub-LLM call *before* the answer is complete; citations
// lead to the document; the request can be copied as curl; follow-ups carry history; Stop stops.

let server: ConsoleServer;
let browser: Browser;

const SEED = {
  ids: ["acme-1", "jane-1", "weather-1"],
  documents: [
    "Acme Corporation was founded by Jane Doe in 1999. Acme makes anvils.",
    "Jane Doe was born in Lyon, France, and studied physics before founding Acme.",
    "The weather in Paris is mild in spring.",
  ],
  metadatas: [{ source: "acme.md" }, { source: "people.txt" }, { source: "weather.txt" }],
};

/**
 * How far below the sticky Budget card's bottom edge the element `selector` (last match, in the
 * trace panel) starts — negative when the card covers its top — and whether that top is inside
 * the panel at all (not scrolled off below it).
 */
async function belowBudget(page: Page, selector: string): Promise<{ gap: number; inView: boolean }> {
  return page.locator(".trace-panel").evaluate((panel, sel) => {
    const card = panel.querySelector(".budget")!.getBoundingClientRect();
    const el = [...panel.querySelectorAll(sel)].at(-1)!.getBoundingClientRect();
    return { gap: el.top - card.bottom, inView: el.top < panel.getBoundingClientRect().bottom };
  }, selector);
}

/** In view in the trace panel and not under the sticky Budget card. */
async function expectClearOfBudget(page: Page, selector: string): Promise<void> {
  const { gap, inView } = await belowBudget(page, selector);
  expect(gap, `${selector}: distance below the Budget card`).toBeGreaterThanOrEqual(0);
  expect(inView, `${selector}: in view`).toBe(true);
}

/** The trace's newest step: the last iteration, or the last item in it (TracePanel's STEPS). */
const NEWEST_STEP = ".grounding, .iterations > li, .trace-items > li";

describeInBrowser("console: Ask", () => {
  beforeAll(async () => {
    server = await startConsoleServer();
    const res = await fetch(`${server.url}/v1/documents`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(SEED),
    });
    expect(res.status).toBe(200);
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it("shows the trace (code, searches with hits, sub-LLM call) before the answer completes, then the cited answer", async () => {
    server.timing.codeTurnMs = 600;
    server.timing.subCallMs = 400;
    // The answer waits: the trace must be visible meanwhile. Long enough that the checks below
    // run before it on a busy machine too (the browser renders the trace, the test reads it).
    server.timing.finalTurnMs = 8000;
    const { context, page, errors } = await openConsole(browser, server.url);
    try {
      await expect
        .poll(() => page.locator("#model option").allTextContents(), { timeout: UI_TIMEOUT_MS })
        .toContain("deeprecall");
      await page.getByText(/^Options/).click();
      await page.getByLabel(/Max iterations/).fill("4");
      await page.getByLabel(/Max time/).fill("60");
      await page.getByLabel("Question", { exact: true }).fill("Who founded Acme?");
      await page.getByRole("button", { name: "Send" }).click();

      const exchange = page.locator(".exchange").first();
      const trace = page.locator(".trace-panel");
      // While the engine works: the grounding search, the code (highlighted), its search with
      // hit ids and scores, the sub-LLM call and the printed output appear...
      await trace.locator(".grounding .hits li").first().waitFor({ timeout: 15_000 });
      await trace
        .locator(".trace-code code.hljs .hljs-title, .trace-code code.hljs .hljs-string")
        .first()
        .waitFor();
      await expect
        .poll(() => trace.locator(".trace-code code").first().textContent(), { timeout: UI_TIMEOUT_MS })
        .toContain("searchDb(");
      await trace.locator(".iteration .trace-search .hits li").first().waitFor();
      await trace.locator(".trace-subllm").first().waitFor();
      await trace.locator(".trace-code pre.output").first().waitFor();
      // ...and the answer is still not there.
      expect(await exchange.getAttribute("aria-busy")).toBe("true");
      expect((await exchange.locator(".answer").textContent())?.trim()).toBe("");
      expect(await page.getByRole("button", { name: "Stop" }).isVisible()).toBe(true);
      const searchText = await trace.locator(".iteration .trace-search").first().textContent();
      expect(searchText).toContain("Acme founded Jane Doe");
      expect(searchText).toMatch(/acme-1\s*\d\.\d{3}/); // a hit id with its score
      expect(await trace.locator(".trace-subllm").first().textContent()).toContain(
        "Jane Doe founded Acme in 1999.",
      );
      expect(await trace.locator(".trace-code pre.output").first().textContent()).toContain("acme-1");
      expect(await trace.locator(".iteration").first().textContent()).toMatch(/\d+ tokens/);
      // The budget meter counts what was used so far against the limits asked for.
      expect(await trace.locator(".budget").textContent()).toMatch(/Iterations\s*[12] \/ 4/);
      expect(await trace.locator(".budget").textContent()).toMatch(/Time\s*\d+(\.\d)? s \/ 60 s/);
      expect(await trace.locator(".budget meter").count()).toBeGreaterThan(1);
      // Following the trace, the panel scrolled past the top of the trace, yet the newest step
      // is in view below the sticky Budget card, not under it.
      expect(await trace.evaluate((el) => el.scrollTop)).toBeGreaterThan(0);
      await expectClearOfBudget(page, NEWEST_STEP);
      await shot(page, "ask-1-trace-while-running");

      // The answer completes, rendered as markdown with [1] linking to its source.
      await exchange.locator(".badge-done").waitFor({ timeout: 20_000 });
      const answer = exchange.locator(".answer");
      expect(await answer.locator("strong").textContent()).toBe("Jane Doe");
      const citation = answer.locator('a[href^="#/documents/"]');
      expect(await citation.count()).toBe(1);
      expect(await citation.textContent()).toBe("[1]");
      // The sources list, numbered as cited.
      const sources = exchange.locator(".sources-list li");
      expect(await sources.count()).toBeGreaterThan(0);
      expect(await sources.first().textContent()).toContain("[1]");
      // The run's two iterations, the last one final; the budget meter with the server's limit.
      expect(await trace.locator(".iteration").count()).toBe(2);
      expect(await trace.locator(".iteration").nth(1).textContent()).toContain("final answer");
      expect(await trace.locator(".budget").textContent()).toMatch(/Iterations\s*2 \/ 4/);
      // Untrusted HTML in the answer is shown as text, never run: no image, no script, no javascript: link.
      expect(await answer.locator("img, script").count()).toBe(0);
      expect(await answer.textContent()).toContain('<img src=x onerror="window.__xss = 1">');
      expect(await answer.locator('a[href^="javascript:"]').count()).toBe(0);
      await answer.getByText("a link").click();
      expect(await page.evaluate(() => (window as unknown as { __xss?: number }).__xss)).toBeUndefined();
      await shot(page, "ask-2-answered");

      // Following the citation opens the cited document's full text.
      const href = await citation.getAttribute("href");
      const citedId = decodeURIComponent(href!.replace("#/documents/", "").split("?")[0]!);
      expect(SEED.ids).toContain(citedId);
      await citation.click();
      await expect.poll(() => page.evaluate(() => location.hash), { timeout: UI_TIMEOUT_MS }).toBe(href);
      const text = page.locator(".document-text");
      await text.waitFor();
      expect(await text.textContent()).toBe(SEED.documents[SEED.ids.indexOf(citedId)]);
      expect(await page.locator(".metadata-list").textContent()).toContain("source");
      await shot(page, "ask-3-cited-document");
      // Back to the conversation: it is still there.
      await page.goBack();
      await exchange.locator(".badge-done").waitFor();
      expect(errors).toEqual([]);
    } finally {
      await context.close();
      Object.assign(server.timing, { codeTurnMs: 300, subCallMs: 200, finalTurnMs: 300 });
    }
  });

  it("copies exactly the request sent as curl and as OpenAI SDK code, and sends history with a follow-up", async () => {
    const { context, page, errors } = await openConsole(browser, server.url);
    try {
      await context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: server.url });
      const requests: Array<Record<string, unknown>> = [];
      page.on("request", (r) => {
        if (r.url().endsWith("/v1/chat/completions")) requests.push(JSON.parse(r.postData() ?? "{}"));
      });
      await page.getByText(/^Options/).click();
      await page.getByLabel("Strategy").selectOption("repl");
      await page.getByLabel(/Max iterations/).fill("3");
      await page.getByLabel(/Top k/).fill("4");
      await page.getByLabel("Question", { exact: true }).fill("Who founded Acme?");
      await page.getByLabel("Question", { exact: true }).press("Enter");
      await page.locator(".exchange .badge-done").first().waitFor({ timeout: 20_000 });

      await page.getByRole("button", { name: "Copy as curl" }).first().click();
      await page.getByText("curl command copied").waitFor();
      const curl = await page.evaluate(() => navigator.clipboard.readText());
      expect(curl).toMatch(/^curl -N 'http:\/\/127\.0\.0\.1:\d+\/v1\/chat\/completions'/);
      const data = curl.slice(curl.indexOf("-d '") + 4, curl.lastIndexOf("'")).replace(/'\\''/g, "'");
      expect(requests[0]).toMatchObject({
        stream: true,
        deeprecall: { trace: true, strategy: "repl", top_k: 4, budget: { max_iterations: 3 } },
      });
      // Exactly what was sent, but for the console-only live trace.
      const { trace: _trace, ...options } = requests[0]!.deeprecall as Record<string, unknown>;
      const copied = { ...requests[0], deeprecall: options };
      expect(JSON.parse(data)).toEqual(copied);

      await page.getByRole("button", { name: "Copy as OpenAI SDK code" }).first().click();
      await page.getByText("OpenAI SDK code copied").waitFor();
      const sdk = await page.evaluate(() => navigator.clipboard.readText());
      expect(sdk).toContain(`baseURL: "${server.url}/v1"`);
      expect(sdk).toContain("client.chat.completions.create(");
      const literal = sdk.slice(sdk.indexOf("create(") + 7, sdk.indexOf(");\nfor await"));
      expect(JSON.parse(literal)).toEqual(copied);

      // A follow-up sends the first question and its answer as history.
      await page.getByLabel("Follow-up question").fill("And when?");
      await page.getByLabel("Follow-up question").press("Enter");
      await expect.poll(() => page.locator(".exchange .badge-done").count(), { timeout: 20_000 }).toBe(2);
      const messages = requests[1]!.messages as Array<{ role: string; content: string }>;
      expect(messages.map((m) => m.role)).toEqual(["user", "assistant", "user"]);
      expect(messages[0]!.content).toBe("Who founded Acme?");
      expect(messages[1]!.content).toContain("Jane Doe");
      expect(messages[2]!.content).toBe("And when?");
      // The trace panel follows the newest question; "Show trace" brings back the first one's.
      expect(await page.locator(".trace-question").textContent()).toContain("And when?");
      await page.getByRole("button", { name: "Show trace" }).first().click();
      expect(await page.locator(".trace-question").textContent()).toContain("Who founded Acme?");
      await shot(page, "ask-4-follow-up");
      expect(errors).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it("shows a run ended by the iteration limit: the forced last answer as a step, the limit in words", async () => {
    const { context, page, errors } = await openConsole(browser, server.url);
    try {
      await page.getByText(/^Options/).click();
      await page.getByLabel(/Max iterations/).fill("1");
      await page.getByLabel("Question", { exact: true }).fill("Who founded Acme?");
      await page.getByLabel("Question", { exact: true }).press("Enter");
      await page.locator(".exchange .badge-done").waitFor({ timeout: 20_000 });
      const forced = page.locator(".iteration", { hasText: "Final answer" });
      await forced.waitFor();
      expect(await forced.locator("h3").textContent()).toBe("Final answer (after the iteration limit (1))");
      expect(await page.locator(".iteration h3", { hasText: "Iteration 2" }).count()).toBe(0);
      const iterations = page.locator(".budget-row", { hasText: "Iterations" });
      expect(await iterations.locator(".figure").textContent()).toBe("1 / 1");
      expect(await page.locator(".budget").textContent()).toContain(
        "Limit reached: the iteration limit (1).",
      );
      expect(await page.locator(".trace-head").textContent()).toContain("1 iteration ·");
      expect(await page.locator(".exchange").textContent()).toContain(
        "Stopped by the iteration limit (1): best-effort answer from what was found.",
      );
      expect(await page.locator(".trace-panel").textContent()).not.toMatch(/max_iterations|maxIterations/);
      // The card grew by the "Limit reached" note: the newest step (the forced answer) is
      // still below it, and so is whatever is scrolled to — a heading brought into view, a hit
      // link reached with the keyboard.
      await expectClearOfBudget(page, NEWEST_STEP);
      await shot(page, "ask-4b-iteration-limit");
      await page.locator(".trace-panel").evaluate((el) => {
        el.scrollTop = el.scrollHeight;
      });
      await page.locator(".grounding h3").evaluate((h) => h.scrollIntoView());
      await expectClearOfBudget(page, ".grounding h3");
      await shot(page, "ask-4b2-grounding-scrolled-to");
      await page.locator(".trace-panel").evaluate((el) => {
        el.scrollTop = el.scrollHeight;
      });
      await page.locator(".grounding .hits a").first().focus();
      await expectClearOfBudget(page, ".grounding .hits li:first-child a");
      await shot(page, "ask-4b3-hit-focused");
      // Scrolled, the sticky budget box sits flush with the top of the trace panel: no strip
      // above it where the scrolled content shows through.
      await page.locator(".trace-panel").evaluate((el) => {
        el.scrollTop = el.scrollHeight;
      });
      const panelBox = await page.locator(".trace-panel").boundingBox();
      const budgetBox = await page.locator(".budget").boundingBox();
      expect(Math.abs(budgetBox!.y - panelBox!.y)).toBeLessThanOrEqual(1);
      // A hit id in the trace opens that document.
      const hit = page.locator(".trace-panel .hits a").first();
      const hitId = await hit.textContent();
      await hit.click();
      await page.locator(".document code", { hasText: hitId! }).waitFor();
      // Usage says the same: ended by a limit, not failed.
      await page.getByRole("link", { name: "Usage" }).click();
      const row = page.locator("table.recent tbody tr").first();
      await row.waitFor();
      expect(await row.textContent()).toContain("ended by the iteration limit");
      // The header counts it as ended by a limit, not as failed.
      const queries = page.locator(".stat", { hasText: "Queries" });
      expect(await queries.textContent()).toContain("1 ended by a limit");
      expect(await queries.textContent()).not.toContain("failed");
      await shot(page, "ask-4d-usage-ended-by-limit");
      expect(errors).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it("says when the time limit cut the run: on the answer and on the cut turn", async () => {
    server.timing.codeTurnMs = 2_500;
    const { context, page, errors } = await openConsole(browser, server.url);
    try {
      await page.getByText(/^Options/).click();
      await page.getByLabel(/Max time/).fill("1");
      await page.getByLabel("Question", { exact: true }).fill("Who founded Acme?");
      await page.getByLabel("Question", { exact: true }).press("Enter");
      await page.locator(".exchange .badge-done").waitFor({ timeout: 20_000 });
      await shot(page, "ask-4c-time-limit");
      expect(await page.locator(".exchange").textContent()).toContain(
        "Stopped by the time limit (1 s): best-effort answer from what was found.",
      );
      expect(await page.locator(".trace-panel").textContent()).toContain(
        "Limit reached: the time limit (1 s).",
      );
      // The turn the limit cut says so rather than being an empty card.
      expect(await page.locator(".iteration").last().textContent()).toContain(
        "Cut off by the time limit (1 s)",
      );
      expect(await page.locator(".trace-panel").textContent()).not.toMatch(/max_time|maxTime/);
      expect(errors).toEqual([]);
    } finally {
      await context.close();
      server.timing.codeTurnMs = 300;
    }
  });

  it("stops a running question with Stop", async () => {
    server.timing.finalTurnMs = 10_000;
    const { context, page, errors } = await openConsole(browser, server.url);
    try {
      await page.getByLabel("Question", { exact: true }).fill("Who founded Acme?");
      await page.getByRole("button", { name: "Send" }).click();
      await page.locator(".trace-panel .trace-code").first().waitFor({ timeout: 15_000 });
      // Well into the long final turn, when no event has come for a while.
      await page.locator(".iteration", { hasText: "Iteration 2" }).waitFor();
      await page.waitForTimeout(1_500);
      await page.getByRole("button", { name: "Stop" }).click();
      await page.locator(".exchange .badge-stopped").waitFor({ timeout: 5_000 });
      expect(await page.locator(".exchange").textContent()).toContain(
        "Stopped before the answer was complete.",
      );
      // The clock kept counting until Stop and holds there (it does not fall back to the last
      // event's time), and the cut turn says it was stopped instead of being an empty card.
      const seconds = (text: string | null) => Number(/([\d.]+) s\b/.exec(text ?? "")?.[1] ?? 0);
      expect(seconds(await page.locator(".trace-head").textContent())).toBeGreaterThanOrEqual(1.5);
      const time = page.locator(".budget-row", { hasText: "Time" });
      expect(seconds(await time.textContent())).toBeGreaterThanOrEqual(1.5);
      const cut = page.locator(".iteration", { hasText: "Iteration 2" });
      expect(await cut.textContent()).toContain("Stopped before this turn finished.");
      expect(await page.getByRole("button", { name: "Stop" }).count()).toBe(0);
      await shot(page, "ask-5-stopped");
      expect(errors).toEqual([]);
    } finally {
      await context.close();
      server.timing.finalTurnMs = 300;
    }
  });

  it("can be used with the keyboard alone: Tab to the question, Enter to send, visible focus", async () => {
    const { context, page, errors } = await openConsole(browser, server.url);
    try {
      // The first Tab lands on the skip link, which moves focus to the content.
      await page.keyboard.press("Tab");
      expect(await page.evaluate(() => document.activeElement?.textContent)).toBe("Skip to content");
      let reached = false;
      for (let i = 0; i < 25 && !reached; i++) {
        await page.keyboard.press("Tab");
        reached = await page.evaluate(() => document.activeElement?.id === "question");
        if (!reached) {
          // Every stop on the way shows where focus is.
          const outline = await page.evaluate(() => {
            const el = document.activeElement as HTMLElement | null;
            return el ? getComputedStyle(el).outlineStyle : "none";
          });
          expect(outline).not.toBe("none");
        }
      }
      expect(reached).toBe(true);
      const outline = await page.evaluate(() => getComputedStyle(document.activeElement!).outlineStyle);
      expect(outline).not.toBe("none");
      await page.keyboard.type("Who founded Acme?");
      await shot(page, "ask-6-keyboard-focus");
      await page.keyboard.press("Enter");
      await page.locator(".exchange .badge-done").waitFor({ timeout: 20_000 });
      // Focus stays in the question box for the next question; Shift+Enter makes a new line.
      expect(await page.evaluate(() => document.activeElement?.id)).toBe("question");
      await page.keyboard.type("line one");
      await page.keyboard.press("Shift+Enter");
      await page.keyboard.type("line two");
      expect(await page.locator("#question").inputValue()).toBe("line one\nline two");
      // The citation link is reachable with Tab and opens with Enter.
      const citation = page.locator('.answer a[href^="#/documents/"]').first();
      await citation.focus();
      await page.keyboard.press("Enter");
      await page.locator(".document-text").waitFor();
      // Focus lands on the document's heading, not lost on the page.
      await expect
        .poll(() => page.evaluate(() => document.activeElement?.tagName), { timeout: UI_TIMEOUT_MS })
        .toBe("H1");
      expect(errors).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it("shows the server's error message, whether the request is refused or the stream fails midway", async () => {
    const { context, page, errors } = await openConsole(browser, server.url);
    try {
      let call = 0;
      await page.route("**/v1/chat/completions", (route) => {
        call += 1;
        if (call === 1) {
          return route.fulfill({
            status: 503,
            contentType: "application/json",
            body: JSON.stringify({
              error: {
                message: "No chat model is configured: set OPENAI_API_KEY.",
                type: "server_error",
                param: null,
                code: "model_not_configured",
              },
            }),
          });
        }
        const chunk = (delta: object) =>
          `data: ${JSON.stringify({ object: "chat.completion.chunk", choices: [{ index: 0, delta, finish_reason: null }] })}\n\n`;
        return route.fulfill({
          status: 200,
          contentType: "text/event-stream",
          body: `${chunk({ role: "assistant", content: "" })}${chunk({ content: "Partial answ" })}data: ${JSON.stringify(
            {
              error: {
                message: "The model provider failed: 502 Bad Gateway",
                type: "server_error",
                param: null,
                code: null,
              },
            },
          )}\n\ndata: [DONE]\n\n`,
        });
      });
      await page.getByLabel("Question", { exact: true }).fill("Who founded Acme?");
      await page.getByLabel("Question", { exact: true }).press("Enter");
      const first = page.locator(".exchange").nth(0);
      await first.locator(".badge-error").waitFor();
      expect(await first.getByRole("alert").textContent()).toBe(
        "No chat model is configured: set OPENAI_API_KEY.",
      );

      await page.getByLabel("Question", { exact: true }).fill("Who founded Acme?");
      await page.getByLabel("Question", { exact: true }).press("Enter");
      const second = page.locator(".exchange").nth(1);
      await second.locator(".badge-error").waitFor();
      expect(await second.locator(".answer").textContent()).toContain("Partial answ");
      expect(await second.getByRole("alert").textContent()).toBe(
        "The model provider failed: 502 Bad Gateway",
      );
      await shot(page, "ask-7-errors");
      expect(errors.filter((e) => !e.includes("503"))).toEqual([]);
    } finally {
      await context.close();
    }
  });
});
