import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { availableParallelism, tmpdir } from "node:os";
import path from "node:path";
import { type RunningTestLlm, startTestLlm, testModelOrSkip, threadsFromEnv } from "@deeprecall/test-llm";
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli, type ServeProcess, startServe } from "./testing/cli-process.ts";

/**
 * Issue 16's guarantees with a real, messy model: SmolLM2-135M-Instruct (GGUF, run by
 * node-llama-cpp behind @deeprecall/test-llm's OpenAI-compatible endpoint), driven through the
 * built CLI. The model is tiny and rambles (unclosed fences, no searches, no FINAL), so these
 * tests assert what every run must guarantee, not whether the answer is right:
 * it ends within its budgets, the answer is non-empty and grounded (sources), a run that did not
 * finish by itself says so (error + budget status, finish_reason "length"), usage is counted,
 * every model call carries an output-token cap, and streams end with `data: [DONE]`.
 * Under CI=true a missing model fails (testModelOrSkip throws); elsewhere the suite is skipped.
 */
const modelPath = testModelOrSkip();

/** Per-run budgets the tests give: small, so a rambling model ends quickly. */
const MAX_TIME_S = 45;
const MAX_ITERATIONS = 3;
/** A time budget too short for any reply of this model: it cuts a call in flight. */
const CUT_TIME_S = 6;
/** Time budget per benchmark run (2 questions x 2 modes). */
const BENCH_TIME_S = 45;
/** Process start-up, store opening and a forced best-effort answer, beyond the time budget. */
const SLACK_MS = 20_000;

const QUESTION = "In which city was the founder of Zorvex Industries born?";

interface ResultJson {
  answer: string;
  sources: Array<{ id: string; content: string; metadata: Record<string, unknown> }>;
  reasoningTrace: Array<{ usage: { totalTokens: number }; timeMs: number }>;
  usage: { inputTokens: number; outputTokens: number; totalTokens: number; calls: number };
  executionTimeMs: number;
  budgetStatus: { exceeded: boolean; exceededLimit?: string | null };
  error?: string | null;
}

interface ExtensionJson {
  sources: unknown[];
  budget_status: { exceeded: boolean; exceeded_limit: string | null } | null;
  error?: string | null;
}

let root: string;
let corpus: string;
let llm: RunningTestLlm;

function llmFlags(): string[] {
  return [
    "--backend",
    "openai-compatible",
    "--base-url",
    llm.baseUrl,
    "--model",
    llm.modelId,
    "--max-time",
    String(MAX_TIME_S),
    "--max-iterations",
    String(MAX_ITERATIONS),
  ];
}

/** A run that ended without the model's own FINAL says which limit ended it; one that did not, says nothing. */
function expectHonestEnding(
  error: string | null | undefined,
  exceeded: boolean,
  limit: string | null | undefined,
) {
  expect(Boolean(error)).toBe(exceeded);
  expect(Boolean(limit)).toBe(exceeded);
}

function expectUsableAnswer(answer: string) {
  expect(answer.trim().length).toBeGreaterThan(0);
  expect(answer).not.toMatch(/```/);
}

async function until(condition: () => boolean, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (condition()) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return condition();
}

/** Every request the model server got since `from` carried an output-token cap. */
function expectEveryCallCapped(from: number) {
  const sent = llm.requests.slice(from);
  expect(sent.length).toBeGreaterThan(0);
  expect(sent.map((r) => r.maxTokens)).not.toContain(undefined);
}

beforeAll(async () => {
  if (!modelPath) return;
  root = mkdtempSync(path.join(tmpdir(), "deeprecall-real-model-"));
  corpus = path.join(root, "corpus");
  mkdirSync(path.join(corpus, "people"), { recursive: true });
  // A two-hop chain: the company names its founder; only the founder's page names the city.
  writeFileSync(
    path.join(corpus, "zorvex.md"),
    "# Zorvex Industries\n\nZorvex Industries makes marine pumps. Zorvex Industries was founded in 1987 by Mara Quell.\n",
  );
  writeFileSync(
    path.join(corpus, "people", "mara-quell.md"),
    "# Mara Quell\n\nMara Quell is an engineer. Mara Quell was born in the city of Lindenport.\n",
  );
  writeFileSync(
    path.join(corpus, "lindenport.md"),
    "# Lindenport\n\nLindenport is a harbour city known for its lighthouse and its fish market.\n",
  );
  writeFileSync(
    path.join(corpus, "pumps.md"),
    "# Marine pumps\n\nA marine pump moves sea water through a ship's cooling system.\n",
  );
  writeFileSync(
    path.join(corpus, "weather.md"),
    "# Weather\n\nThe rainy season lasts from October to March in the northern valleys.\n",
  );
  // The model server shares the 2 cores with what it tests (CLI processes, the engine's sandbox
  // workers) and with the other test file vitest runs beside this one. llama.cpp's threads wait on
  // each other at every step, so a thread per core stalls whenever one is taken (measured here
  // under load: 100 tokens in 8-61 s with 2 threads, 2 s with 1): leave one core to the rest.
  llm = await startTestLlm({
    modelPath,
    threads: threadsFromEnv() ?? Math.max(1, availableParallelism() - 1),
  });
});

afterAll(async () => {
  await llm?.close();
  if (root) rmSync(root, { recursive: true, force: true });
});

describe.skipIf(!modelPath)("the CLI with a real tiny model (SmolLM2-135M)", () => {
  let cwd: string;
  let ingested: ReturnType<typeof runCli>;
  // Every test queries the same ingested store; the ingest runs once (and is asserted below).
  beforeAll(async () => {
    cwd = path.join(root, "work");
    mkdirSync(cwd);
    ingested = runCli(["ingest", "--path", corpus, "--json"], { cwd });
    await ingested;
  });

  it("ingests a folder of Markdown", async () => {
    const result = await ingested;
    expect(result.code).toBe(0);
    const summary = JSON.parse(result.stdout);
    expect(summary).toMatchObject({ files: 5, ingestedFiles: 5 });
    expect(summary.storeCount).toBeGreaterThanOrEqual(5);
  });

  it(
    "query ends within its budgets with a non-empty, grounded answer, an honest status and counted usage",
    async () => {
      const before = llm.requests.length;
      const started = Date.now();
      const result = await runCli(["query", QUESTION, "--json", ...llmFlags()], {
        cwd,
        timeoutMs: MAX_TIME_S * 1000 + SLACK_MS,
      });
      const wallMs = Date.now() - started;
      // No stack trace, whatever happened.
      expect(result.stderr).not.toMatch(/\n\s+at /);
      expect(result.code, result.stderr).toBe(0);
      const r = JSON.parse(result.stdout) as ResultJson;
      expect(wallMs).toBeLessThan(MAX_TIME_S * 1000 + SLACK_MS);
      expect(r.executionTimeMs).toBeLessThan(MAX_TIME_S * 1000 + 5000);
      expectUsableAnswer(r.answer);
      // Grounded: the store has relevant text, so the run's sources are never empty.
      expect(r.sources.length).toBeGreaterThan(0);
      expect(r.sources.some((s) => /Zorvex|Mara Quell/.test(s.content))).toBe(true);
      expectHonestEnding(r.error, r.budgetStatus.exceeded, r.budgetStatus.exceededLimit);
      if (r.error) expect(result.stderr).toMatch(/^warning: /m);
      // Usage counted, every step included (the forced last one too).
      expect(r.usage.totalTokens).toBeGreaterThan(0);
      expect(r.usage.calls).toBeGreaterThan(0);
      expect(r.usage.calls).toBe(llm.requests.length - before);
      expect(r.reasoningTrace.reduce((n, s) => n + s.usage.totalTokens, 0)).toBe(r.usage.totalTokens);
      expect(r.reasoningTrace.every((s) => s.usage.totalTokens > 0)).toBe(true);
      // Every model call carried an output-token cap, and nothing is left generating.
      expectEveryCallCapped(before);
      expect(await until(() => llm.model.activeGenerations === 0, 5000)).toBe(true);
    },
    MAX_TIME_S * 1000 + SLACK_MS + 10_000,
  );

  it(
    "a time budget that cuts a model call in flight: the run ends on time, says so, and counts the cut step",
    async () => {
      const before = llm.requests.length;
      const started = Date.now();
      const flags = llmFlags().map((f, i, all) => (all[i - 1] === "--max-time" ? String(CUT_TIME_S) : f));
      const result = await runCli(["query", QUESTION, "--json", ...flags], {
        cwd,
        timeoutMs: CUT_TIME_S * 1000 + SLACK_MS,
      });
      const wallMs = Date.now() - started;
      expect(result.stderr).not.toMatch(/\n\s+at /);
      expect(result.code, result.stderr).toBe(0);
      const r = JSON.parse(result.stdout) as ResultJson;
      // The rambling model cannot finish within a few seconds: the time budget ends the run.
      expect(r.budgetStatus.exceededLimit).toBe("maxTimeSeconds");
      expect(r.error).toMatch(/maxTimeSeconds/);
      expect(result.stderr).toMatch(/^warning: .*maxTimeSeconds/m);
      expect(r.executionTimeMs).toBeLessThan(CUT_TIME_S * 1000 + 3000);
      expect(wallMs).toBeLessThan(CUT_TIME_S * 1000 + SLACK_MS);
      expectUsableAnswer(r.answer);
      expect(r.sources.length).toBeGreaterThan(0);
      // The cut call still counts: in the total and in a step of the trace.
      expect(r.usage.totalTokens).toBeGreaterThan(0);
      expect(r.reasoningTrace.length).toBeGreaterThan(0);
      expect(r.reasoningTrace.reduce((n, s) => n + s.usage.totalTokens, 0)).toBe(r.usage.totalTokens);
      expectEveryCallCapped(before);
      // The abort reached the model server: it stopped generating.
      expect(await until(() => llm.model.activeGenerations === 0, 5000)).toBe(true);
      expect(llm.requests.slice(before).some((q) => q.outcome?.aborted)).toBe(true);
    },
    CUT_TIME_S * 1000 + SLACK_MS + 10_000,
  );

  it(
    "benchmark: recursive mode next to single-pass RAG on the same questions, and never worse",
    async () => {
      writeFileSync(
        path.join(cwd, "questions.json"),
        JSON.stringify([
          { query: QUESTION, expected: ["Lindenport"] },
          { query: "Who founded Zorvex Industries?", expected: ["Mara Quell"] },
        ]),
      );
      const flags = llmFlags().map((f, i, all) => (all[i - 1] === "--max-time" ? String(BENCH_TIME_S) : f));
      const result = await runCli(["benchmark", "--queries", "questions.json", "--json", ...flags], {
        cwd,
        timeoutMs: 4 * BENCH_TIME_S * 1000 + 2 * SLACK_MS,
      });
      expect(result.stderr).not.toMatch(/\n\s+at /);
      expect(result.code, result.stderr).toBe(0);
      const report = JSON.parse(result.stdout);
      console.info(
        `[real-model benchmark] ${JSON.stringify(
          Object.fromEntries(
            ["recursive", "rag"].map((mode) => [
              mode,
              report[mode]?.results?.map((r: Record<string, unknown>) => ({
                keywordHit: r.keywordHit,
                exceededLimit: r.exceededLimit,
                timeMs: r.timeMs,
                answer: String(r.answer).slice(0, 200),
              })),
            ]),
          ),
        )}`,
      );
      expect(report.modes).toEqual(["recursive", "rag"]);
      for (const mode of ["recursive", "rag"]) {
        const { summary, results } = report[mode];
        const failures = results
          .filter((r: { failed: boolean }) => r.failed)
          .map((r: { error: string }) => r.error);
        expect(failures, `${mode} runs that failed`).toEqual([]);
        expect(summary).toMatchObject({ queries: 2, errors: 0 });
        expect(summary.totalTokens).toBeGreaterThan(0);
        expect(summary.accuracy).not.toBeNull();
        for (const r of results) {
          expect(r.answer.trim().length).toBeGreaterThan(0);
          expect(r.sources).toBeGreaterThan(0);
          expect(r.timeMs).toBeLessThan(BENCH_TIME_S * 1000 + 5000);
        }
      }
      expect(report.rag.results.every((r: { llmCalls: number }) => r.llmCalls === 1)).toBe(true);
      // Issue 16: the recursive mode is never worse than single-pass RAG with the same model.
      expect(report.recursive.summary.accuracy).toBeGreaterThanOrEqual(report.rag.summary.accuracy);
    },
    4 * BENCH_TIME_S * 1000 + 2 * SLACK_MS + 10_000,
  );

  describe("serve with the official openai client", () => {
    let server: ServeProcess;
    let client: OpenAI;
    beforeAll(async () => {
      server = await startServe(["--port", "0", ...llmFlags()], { cwd });
      client = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: "unused", maxRetries: 0 });
    });
    afterAll(async () => {
      await server?.stop();
    });

    it(
      "non-streaming: a non-empty grounded answer, an honest status and finish_reason, counted usage",
      async () => {
        expect(server.stdout()).toContain(
          `Budget:     ${MAX_TIME_S} s, ${MAX_ITERATIONS} iterations per query`,
        );
        const before = llm.requests.length;
        const started = Date.now();
        const completion = await client.chat.completions.create(
          { model: "deeprecall", messages: [{ role: "user", content: QUESTION }] },
          { timeout: MAX_TIME_S * 1000 + SLACK_MS },
        );
        expect(Date.now() - started).toBeLessThan(MAX_TIME_S * 1000 + SLACK_MS);
        const choice = completion.choices[0]!;
        expectUsableAnswer(choice.message.content ?? "");
        const ext = (completion as unknown as { deeprecall: ExtensionJson }).deeprecall;
        expect(ext.sources.length).toBeGreaterThan(0);
        expect(ext.budget_status).not.toBeNull();
        expectHonestEnding(ext.error, ext.budget_status!.exceeded, ext.budget_status!.exceeded_limit);
        expect(choice.finish_reason).toBe(ext.budget_status!.exceeded ? "length" : "stop");
        expect(completion.usage!.total_tokens).toBeGreaterThan(0);
        expectEveryCallCapped(before);
        expect(await until(() => llm.model.activeGenerations === 0, 5000)).toBe(true);
      },
      MAX_TIME_S * 1000 + SLACK_MS + 10_000,
    );

    it(
      "streaming (raw SSE): role first, a non-empty grounded answer, usage, [DONE] last",
      async () => {
        const before = llm.requests.length;
        const response = await fetch(`${server.url}/v1/chat/completions`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          signal: AbortSignal.timeout(MAX_TIME_S * 1000 + SLACK_MS),
          body: JSON.stringify({
            model: "deeprecall",
            stream: true,
            stream_options: { include_usage: true },
            messages: [{ role: "user", content: QUESTION }],
          }),
        });
        expect(response.status).toBe(200);
        const events = (await response.text())
          .split("\n\n")
          .filter((b) => b.startsWith("data: "))
          .map((b) => b.slice(6));
        expect(events.at(-1)).toBe("[DONE]");
        const chunks = events.slice(0, -1).map((e) => JSON.parse(e));
        expect(chunks[0].choices[0].delta.role).toBe("assistant");
        const answer = chunks.map((c) => c.choices[0]?.delta?.content ?? "").join("");
        expectUsableAnswer(answer);
        const finish = chunks.find((c) => c.choices[0]?.finish_reason)?.choices[0].finish_reason;
        const last = chunks.at(-1);
        const ext = last.deeprecall as ExtensionJson;
        expect(ext.sources.length).toBeGreaterThan(0);
        expectHonestEnding(ext.error, ext.budget_status!.exceeded, ext.budget_status!.exceeded_limit);
        expect(finish).toBe(ext.budget_status!.exceeded ? "length" : "stop");
        expect(last.usage.total_tokens).toBeGreaterThan(0);
        expectEveryCallCapped(before);
      },
      MAX_TIME_S * 1000 + SLACK_MS + 10_000,
    );

    it(
      "streaming (official client): text arrives and the stream closes with usage",
      async () => {
        const stream = await client.chat.completions.create(
          {
            model: "deeprecall",
            stream: true,
            stream_options: { include_usage: true },
            messages: [{ role: "user", content: "Who founded Zorvex Industries?" }],
          },
          { timeout: MAX_TIME_S * 1000 + SLACK_MS },
        );
        let text = "";
        let total = 0;
        for await (const chunk of stream) {
          text += chunk.choices[0]?.delta?.content ?? "";
          if (chunk.usage) total = chunk.usage.total_tokens;
        }
        expectUsableAnswer(text);
        expect(total).toBeGreaterThan(0);
      },
      MAX_TIME_S * 1000 + SLACK_MS + 10_000,
    );
  });
});
