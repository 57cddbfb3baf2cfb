import { createHash } from "node:crypto";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { makePdf } from "@deeprecall/test-utils";
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { chunkId } from "./ingest/index.ts";
import { runCli, startServe } from "./testing/cli-process.ts";
import { type FakeLlm, startFakeLlm } from "./testing/fake-llm.ts";

const SECRET = "sk-test-supersecret-value-9876";

let root: string;
let docs: string;
let llm: FakeLlm;

function llmFlags(): string[] {
  return ["--backend", "openai-compatible", "--base-url", llm.baseUrl, "--model", "fake-model"];
}

/** A fresh working directory with its own store. */
function workdir(name: string): string {
  const dir = path.join(root, name);
  mkdirSync(dir, { recursive: true });
  return dir;
}

function expectOneLineError(stderr: string, pattern: RegExp): void {
  const lines = stderr.trim().split("\n");
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(/^error: /);
  expect(lines[0]).toMatch(pattern);
  expect(stderr).not.toMatch(/\n\s+at /);
}

beforeAll(async () => {
  root = mkdtempSync(path.join(tmpdir(), "deeprecall-cli-e2e-"));
  docs = path.join(root, "corpus");
  mkdirSync(path.join(docs, "nested"), { recursive: true });
  writeFileSync(
    path.join(docs, "freedonia.txt"),
    "Freedonia facts. The capital of Freedonia is Fredville, a city on three rivers. " +
      "Its national dish is grilled marmot.\n",
  );
  writeFileSync(
    path.join(docs, "moon.md"),
    "# The Moon\n\nThe moon's surface is mostly basalt and anorthosite.\n",
  );
  writeFileSync(
    path.join(docs, "nested", "ships.html"),
    "<html><body><h1>Harbor log</h1><p>The flagship <b>Albatross</b> was launched in 1887.</p><script>var x=1</script></body></html>",
  );
  writeFileSync(path.join(docs, "nested", "report.pdf"), makePdf(["Zanzibar exports cloves and pepper."]));
  writeFileSync(
    path.join(docs, "nested", "data.json"),
    JSON.stringify({ planet: "Kepler-22b", habitable: true }),
  );
  writeFileSync(path.join(docs, "table.csv"), "city,population\nFredville,120000\n");
  writeFileSync(path.join(docs, "tool.py"), "def greet():\n    return 'hello from python'\n");
  writeFileSync(path.join(docs, "legacy.txt"), Buffer.from("caf\xe9 cr\xe8me", "latin1"));
  writeFileSync(path.join(docs, "huge.md"), `${"lorem ipsum ".repeat(10_000)}\n`);
  writeFileSync(path.join(docs, "photo.png"), Buffer.from([0x89, 0x50, 0x4e, 0x47]));
  llm = await startFakeLlm();
});

afterAll(async () => {
  await llm?.close();
  rmSync(root, { recursive: true, force: true });
});

describe("init and status", () => {
  it("init writes a commented deeprecall.toml the other commands read, and refuses to overwrite", async () => {
    const cwd = workdir("init");
    const first = await runCli(["init"], { cwd });
    expect(first.code).toBe(0);
    const toml = readFileSync(path.join(cwd, "deeprecall.toml"), "utf8");
    expect(toml).toContain("# port = 8000");
    writeFileSync(
      path.join(cwd, "deeprecall.toml"),
      toml.replace("# collection = ", "collection = ").replace('"deeprecall"\n', '"from_toml"\n'),
    );
    const status = await runCli(["status", "--json"], { cwd });
    expect(status.code).toBe(0);
    const report = JSON.parse(status.stdout);
    expect(report.config["--collection"]).toEqual({ value: "from_toml", source: "from deeprecall.toml" });

    const again = await runCli(["init"], { cwd });
    expect(again.code).toBe(2);
    expectOneLineError(again.stderr, /already exists; not overwriting/);
  });

  it("status shows versions, config with sources and masked secrets, store size and model", async () => {
    const cwd = workdir("status");
    const result = await runCli(["status", "--port", "9123"], {
      cwd,
      env: {
        OPENAI_API_KEY: SECRET,
        DEEPRECALL_API_KEYS: "sk-server-key-aaaaaaaa1111,k2",
        DEEPRECALL_TOP_K: "7",
      },
    });
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^deeprecall \d+\.\d+\.\d+ \(core \d+\.\d+\.\d+/);
    expect(result.stdout).toMatch(/--port\s+9123\s+\(from flag\)/);
    expect(result.stdout).toMatch(/--top-k\s+7\s+\(from environment\)/);
    expect(result.stdout).toMatch(/--vectorstore\s+local\s+\(default\)/);
    expect(result.stdout).toMatch(/OPENAI_API_KEY\s+sk-…9876/);
    expect(result.stdout).toContain("sk-…1111, ****");
    expect(result.stdout).toMatch(/Store: local store in .*: reachable, 0 documents/);
    expect(result.stdout).toContain("Model: openai gpt-4o-mini");
    expect(result.stdout + result.stderr).not.toContain(SECRET);
    expect(result.stdout + result.stderr).not.toContain("sk-server-key-aaaaaaaa1111");
  });

  it("status says when no LLM key is set, and fails when the store is unreachable", async () => {
    const cwd = workdir("status-bad");
    const ok = await runCli(["status"], { cwd });
    // Not "Model: openai gpt-4o-mini" as if it could answer: what is missing comes first.
    expect(ok.stdout).toMatch(
      /^Model: not configured: OPENAI_API_KEY is not set \(openai gpt-4o-mini would be used;/m,
    );
    const json = JSON.parse((await runCli(["status", "--json"], { cwd })).stdout) as { model: unknown };
    expect(json.model).toMatchObject({ configured: false, missing: "OPENAI_API_KEY" });
    const bad = await runCli(["status", "--vectorstore", "chroma", "--chroma-url", "http://127.0.0.1:9/"], {
      cwd,
    });
    expect(bad.code).toBe(1);
    expect(bad.stdout).toContain("NOT reachable");
    expectOneLineError(bad.stderr, /^error: store not reachable: .*127\.0\.0\.1:9/);
  });
});

describe("ingest, re-ingest and delete", () => {
  it("ingests a directory: every supported type, bad files skipped with warnings and counted", async () => {
    const cwd = workdir("ingest");
    const result = await runCli(["ingest", "--path", docs, "--max-file-size", "50000", "--json"], { cwd });
    expect(result.code).toBe(0);
    const summary = JSON.parse(result.stdout);
    expect(summary.files).toBe(9);
    expect(summary.ingestedFiles).toBe(7);
    expect(summary.ignored).toBe(1); // photo.png
    expect(summary.skipped.map((s: { file: string }) => path.basename(s.file)).sort()).toEqual([
      "huge.md",
      "legacy.txt",
    ]);
    expect(result.stderr).toMatch(/warning: skipped .*legacy\.txt: not UTF-8 text/);
    expect(result.stderr).toMatch(/warning: skipped .*huge\.md: too large/);
    expect(result.stderr).toMatch(/\[\d+\/9\] .*freedonia\.txt: 1 chunk/); // plain lines without a TTY
    expect(summary.storeCount).toBe(summary.chunks);

    // Re-ingesting updates in place: same ids, no duplicates.
    const again = await runCli(["ingest", "--path", docs, "--max-file-size", "50000", "--json"], { cwd });
    expect(again.code).toBe(0);
    expect(JSON.parse(again.stdout).storeCount).toBe(summary.storeCount);

    // Glob input; the human summary line.
    const glob = await runCli(["ingest", "--path", path.join(docs, "**/*.pdf")], { cwd });
    expect(glob.code).toBe(0);
    expect(glob.stdout).toMatch(
      /^Ingested 1 of 1 file \(0 added, 0 updated, 0 removed, 1 unchanged\) as 0 new chunks in .*; skipped 0\. The store now holds \d+ documents?\.\n$/,
    );

    // Delete a chunk by its stable id (collection, path and content hash, chunk index).
    const hash = createHash("sha256")
      .update(readFileSync(path.join(docs, "freedonia.txt")))
      .digest("hex");
    const id = chunkId("deeprecall", path.join(docs, "freedonia.txt"), hash, 0);
    const del = await runCli(["delete", id, "not-there", "--json"], { cwd });
    expect(del.code).toBe(0);
    expect(JSON.parse(del.stdout)).toEqual({ requested: 2, deleted: 1, remaining: summary.storeCount - 1 });
  });

  it("re-ingesting a file that shrank removes its stale chunks", async () => {
    const cwd = workdir("shrink");
    const file = path.join(cwd, "notes.md");
    writeFileSync(
      file,
      Array.from({ length: 3 }, (_, i) => `Paragraph ${i} ${"word ".repeat(30)}`).join("\n\n"),
    );
    const first = await runCli(
      ["ingest", "--path", "notes.md", "--chunk-size", "200", "--chunk-overlap", "0", "--json"],
      { cwd },
    );
    expect(first.code).toBe(0);
    expect(JSON.parse(first.stdout)).toMatchObject({ chunks: 3, storeCount: 3, deletedChunks: 0 });
    writeFileSync(file, "Paragraph 0 only now.");
    const second = await runCli(
      ["ingest", "--path", "notes.md", "--chunk-size", "200", "--chunk-overlap", "0"],
      { cwd },
    );
    expect(second.code).toBe(0);
    expect(second.stdout).toContain("1 updated");
    expect(second.stdout).toContain("deleted 3 old chunks. The store now holds 1 document.");
  });

  it("fails with one line for a missing path, a bad chunk setting, or no ingestible file", async () => {
    const cwd = workdir("ingest-errors");
    const missing = await runCli(["ingest", "--path", "nope"], { cwd });
    expect(missing.code).toBe(2);
    expectOneLineError(missing.stderr, /--path: no such file or directory: nope/);

    const overlap = await runCli(
      ["ingest", "--path", docs, "--chunk-size", "100", "--chunk-overlap", "150"],
      { cwd },
    );
    expect(overlap.code).toBe(2);
    expectOneLineError(
      overlap.stderr,
      /--chunk-overlap: expected less than the chunk size 100, got 150 \(from flag\)/,
    );

    // An empty folder: the error alone, not "Ingesting 0 files" and "Ingested 0 of 0 files" first.
    mkdirSync(path.join(cwd, "empty"));
    const empty = await runCli(["ingest", "empty"], { cwd });
    expect(empty.code).toBe(1);
    expect(empty.stdout).toBe("");
    expectOneLineError(empty.stderr, /^error: no supported files found under empty$/);
    const emptyJson = await runCli(["ingest", "--path", "empty", "--json"], { cwd });
    expect(emptyJson.code).toBe(1);
    expect(emptyJson.stdout).toBe("");

    const onlyBad = await runCli(["ingest", "--path", path.join(docs, "legacy.txt")], { cwd });
    expect(onlyBad.code).toBe(1);
    expect(onlyBad.stderr).toMatch(/error: the file could not be ingested/);

    const noIds = await runCli(["delete"], { cwd });
    expect(noIds.code).toBe(2);
    expectOneLineError(noIds.stderr, /give the ids to delete/);
  });
});

describe("ingest takes its paths as arguments or with --path", () => {
  it("accepts a file as an argument, as its help says, and several paths", async () => {
    const cwd = workdir("ingest-positional");
    const one = await runCli(["ingest", path.join(docs, "moon.md"), "--json"], { cwd });
    expect(one.code, one.stderr).toBe(0);
    expect(JSON.parse(one.stdout)).toMatchObject({ files: 1, ingestedFiles: 1, storeCount: 1 });
    const two = await runCli(["ingest", path.join(docs, "moon.md"), path.join(docs, "table.csv"), "--json"], {
      cwd,
    });
    expect(two.code, two.stderr).toBe(0);
    expect(JSON.parse(two.stdout)).toMatchObject({ files: 2, added: 1, unchanged: 1, storeCount: 2 });
  });

  it("--path still works; both are fine when they name the same paths, a usage error when not", async () => {
    const cwd = workdir("ingest-both");
    writeFileSync(path.join(cwd, "a.md"), "Alpha is the first letter.");
    writeFileSync(path.join(cwd, "b.md"), "Beta is the second letter.");
    const flag = await runCli(["ingest", "--path", "a.md", "--json"], { cwd });
    expect(flag.code, flag.stderr).toBe(0);
    expect(JSON.parse(flag.stdout)).toMatchObject({ files: 1, added: 1 });
    const same = await runCli(["ingest", "./a.md", "--path", path.join(cwd, "a.md"), "--json"], { cwd });
    expect(same.code, same.stderr).toBe(0);
    expect(JSON.parse(same.stdout)).toMatchObject({ files: 1, unchanged: 1 });

    const different = await runCli(["ingest", "a.md", "--path", "b.md"], { cwd });
    expect(different.code).toBe(2);
    expectOneLineError(
      different.stderr,
      /paths given both as arguments \(a\.md\) and with --path \(b\.md\): use one or the other/,
    );
    const none = await runCli(["ingest"], { cwd });
    expect(none.code).toBe(2);
    expectOneLineError(none.stderr, /a path is required: deeprecall ingest <path\.\.\.> or --path <path>/);

    const help = await runCli(["ingest", "--help"], { cwd });
    expect(help.stdout).toMatch(/Usage: deeprecall ingest \[options\] \[paths\.\.\.\]/);
  });
});

describe("errors are one line with a non-zero exit; stacks only with --debug", () => {
  it("bad flag values name the flag and the source", async () => {
    const cwd = workdir("errors");
    const bad = await runCli(["serve", "--port", "abc"], { cwd });
    expect(bad.code).toBe(2);
    expectOneLineError(
      bad.stderr,
      /^error: --port: expected an integer 1-65535 \(0 = any free port\), got "abc" \(from flag\)$/,
    );

    const env = await runCli(["status"], { cwd, env: { DEEPRECALL_BACKEND: "llamas" } });
    expect(env.code).toBe(2);
    expectOneLineError(
      env.stderr,
      /^error: DEEPRECALL_BACKEND: expected one of openai, openai-compatible, anthropic, google, got "llamas" \(from environment\)$/,
    );

    const debug = await runCli(["serve", "--port", "abc", "--debug"], { cwd });
    expect(debug.code).toBe(2);
    expect(debug.stderr).toMatch(/\n\s+at /);
  });

  it("unknown commands and options, missing arguments", async () => {
    const cwd = workdir("errors2");
    const unknown = await runCli(["frobnicate"], { cwd });
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/^error: unknown command 'frobnicate'/);
    const option = await runCli(["status", "--colour"], { cwd });
    expect(option.code).toBe(2);
    expect(option.stderr).toMatch(/^error: unknown option '--colour'/);
    const noQuestion = await runCli(["query"], { cwd });
    expect(noQuestion.code).toBe(2);
    expect(noQuestion.stderr).toMatch(/^error: missing required argument 'question'/);
  });

  it("a model stream that ends without a finish reason: one readable line, no stack trace", async () => {
    const cwd = workdir("broken-stream");
    const { createServer } = await import("node:http");
    // Answers every call (streaming or not) with an SSE stream cut before any finish reason.
    const broken = createServer((req, res) => {
      req.resume();
      req.on("end", () => {
        res.writeHead(200, { "content-type": "text/event-stream" });
        const delta = { role: "assistant", content: "Let me search.\n```repl\nconst hits = searchDb(" };
        res.end(
          `data: ${JSON.stringify({ id: "x", object: "chat.completion.chunk", created: 1, model: "m", choices: [{ index: 0, delta, finish_reason: null }] })}\n\n`,
        );
      });
    });
    await new Promise<void>((resolve) => broken.listen(0, "127.0.0.1", resolve));
    const { port } = broken.address() as { port: number };
    try {
      const flags = [
        "--backend",
        "openai-compatible",
        "--base-url",
        `http://127.0.0.1:${port}/v1`,
        "--model",
        "m",
      ];
      const result = await runCli(["query", "anything?", "--max-time", "20", ...flags], {
        cwd,
        timeoutMs: 40_000,
      });
      expect(result.stderr).not.toMatch(/\n\s+at /);
      expect(result.stderr).not.toMatch(/^\s+at /m);
      for (const line of result.stderr.trim().split("\n").filter(Boolean))
        expect(line).toMatch(/^(error|warning): /);
      if (result.code !== 0) expect(result.stderr.trim().split("\n").at(-1)).toMatch(/^error: \S/);
      // With --debug the details are there for whoever asks.
      const debug = await runCli(["query", "anything?", "--max-time", "20", "--debug", ...flags], {
        cwd,
        timeoutMs: 40_000,
      });
      expect(debug.code).toBe(result.code);
    } finally {
      broken.closeAllConnections();
      await new Promise<void>((resolve) => broken.close(() => resolve()));
    }
  });

  it("query without an LLM key names the variable to set", async () => {
    const cwd = workdir("nokey");
    const result = await runCli(["query", "anything"], { cwd });
    expect(result.code).toBe(2);
    expectOneLineError(result.stderr, /No language model configured: set OPENAI_API_KEY/);
    const anthropic = await runCli(["query", "anything", "--backend", "anthropic"], { cwd });
    expectOneLineError(anthropic.stderr, /set ANTHROPIC_API_KEY/);
  });

  it("benchmark rejects a bad queries file clearly", async () => {
    const cwd = workdir("bench-errors");
    writeFileSync(path.join(cwd, "bad.json"), "{not json");
    writeFileSync(path.join(cwd, "empty.json"), "[]");
    writeFileSync(path.join(cwd, "wrong.json"), '[{"q": "x"}]');
    writeFileSync(path.join(cwd, "big.json"), JSON.stringify(["x".repeat(1_100_000)]));
    const cases: Array<[string, RegExp]> = [
      ["bad.json", /is not valid JSON/],
      ["empty.json", /must hold a non-empty JSON array/],
      ["wrong.json", /item 0 must be a non-empty string or an object with a "query" string/],
      ["big.json", /the limit is 1048576/],
      ["missing.json", /cannot read .*missing\.json \(ENOENT\)/],
    ];
    for (const [file, pattern] of cases) {
      const result = await runCli(["benchmark", "--queries", file, ...llmFlags()], { cwd });
      expect(result.code).toBe(2);
      expectOneLineError(result.stderr, pattern);
    }
  });
});

describe("query and benchmark against an OpenAI-compatible fake LLM", () => {
  let cwd: string;
  beforeAll(async () => {
    cwd = workdir("query");
    const ingest = await runCli(["ingest", "--path", docs, "--max-file-size", "50000"], { cwd });
    expect(ingest.code).toBe(0);
  });

  it("query --json prints the full, grounded result", async () => {
    const before = llm.requests.length;
    const result = await runCli(["query", "What is the capital of Freedonia?", "--json", ...llmFlags()], {
      cwd,
    });
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    const parsed = JSON.parse(result.stdout);
    expect(parsed.answer).toContain("Fredville");
    expect(parsed.answer).toContain("freedonia.txt");
    // The corpus lies outside the working directory: `source` counts from its folder's parent,
    // so clients never see the server's absolute paths.
    expect(parsed.sources[0].metadata).toMatchObject({
      filename: "freedonia.txt",
      chunk: 0,
      source: `${path.basename(docs)}/freedonia.txt`,
    });
    expect(parsed.reasoningTrace.length).toBe(2);
    expect(parsed.reasoningTrace[0].searches[0].query).toBe("What is the capital of Freedonia?");
    expect(parsed.usage.calls).toBe(2);
    expect(llm.requests.length - before).toBe(2);
    expect(llm.requests.at(-1)!.model).toBe("fake-model");
  });

  it("query prints answer, sources, steps, time, LLM calls and confidence; --verbose shows the reasoning live", async () => {
    const result = await runCli(["query", "Which ship was launched in 1887?", "--verbose", ...llmFlags()], {
      cwd,
    });
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^According to ships\.html: .*Albatross/s);
    expect(result.stdout).toMatch(/Sources:\n {2}\[1\] corpus\/nested\/ships\.html #0 {2}score \d\.\d{3}/);
    expect(result.stdout).toMatch(/Steps: 2 · Time: .* · LLM calls: 2 · Tokens: \d+ · Confidence: \d\.\d\d/);
    expect(result.stderr).toContain("── iteration 1");
    expect(result.stderr).toMatch(/ {2}search "Which ship was launched in 1887\?" \(topK 3\) → 1 hit\n/);
    expect(result.stderr).toContain("ships.html: Harbor log The flagship Albatross was launched in 1887.");
    expect(result.stderr).toContain("const hits = searchDb(");
  });

  it("a budget limit shows up as a warning", async () => {
    const result = await runCli(
      ["query", "What is the capital of Freedonia?", "--max-tokens", "10", ...llmFlags()],
      { cwd },
    );
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(/^warning: Budget exceeded: maxTokens \(limit 10\)$/m);
  });

  it("--sub-model sends llmQuery calls to the sub-model", async () => {
    const sub = await startFakeLlm({
      script: (request) =>
        request.model === "fake-sub"
          ? "SUB: Fredville is the capital."
          : '```repl\nconst s = llmQuery("Summarise what Freedonia is known for");\nFINAL("sub said " + s);\n```',
    });
    try {
      const result = await runCli(
        [
          "query",
          "Tell me about Freedonia",
          "--json",
          "--backend",
          "openai-compatible",
          "--base-url",
          sub.baseUrl,
          "--model",
          "fake-root",
          "--sub-model",
          "fake-sub",
        ],
        { cwd },
      );
      expect(result.code).toBe(0);
      expect(JSON.parse(result.stdout).answer).toBe("sub said SUB: Fredville is the capital.");
      expect(sub.requests.map((r) => r.model)).toEqual(["fake-root", "fake-sub"]);
    } finally {
      await sub.close();
    }
  });

  it("benchmark reports the recursive mode and single-pass RAG side by side, and writes --output", async () => {
    writeFileSync(
      path.join(cwd, "q.json"),
      JSON.stringify([
        { query: "What is the capital of Freedonia?", expected: ["Fredville"] },
        { query: "What do the moon rocks consist of?", expected: ["basalt", "anorthosite"] },
      ]),
    );
    const before = llm.requests.length;
    const result = await runCli(
      ["benchmark", "--queries", "q.json", "--output", "report.json", ...llmFlags()],
      { cwd },
    );
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(/\[1\/2\] .* tokens \d+ {2}steps 2 {2}sources \d+ {2}hit 1\.00 {2}ok/);
    expect(result.stderr).toMatch(
      /\[1\/2\] rag .* tokens \d+ {2}steps 1 {2}sources \d+ {2}hit \d\.\d\d {2}ok/,
    );
    expect(result.stdout).toMatch(/^2 queries, 0 errors · p50 .* · p95 .*/);
    expect(result.stdout).toMatch(/^recursive {8}1\.00 /m);
    expect(result.stdout).toMatch(/^single-pass RAG {2}\d\.\d\d /m);
    // Two calls per recursive run (search, then FINAL), one per RAG run.
    expect(llm.requests.length - before).toBe(2 * 2 + 2 * 1);
    const ragRequest = llm.requests
      .slice(before)
      .find((r) => r.messages.some((m) => m.content.includes("Sources:\n")));
    expect(ragRequest?.messages.at(-1)?.content).toMatch(
      /\[1\] freedonia\.txt\n.*Fredville[\s\S]*Question: What is the capital of Freedonia\?$/,
    );
    const report = JSON.parse(readFileSync(path.join(cwd, "report.json"), "utf8"));
    expect(report.modes).toEqual(["recursive", "rag"]);
    expect(report.summary).toMatchObject({ queries: 2, errors: 0, accuracy: 1 });
    expect(report.recursive.summary).toEqual(report.summary);
    expect(report.rag.summary).toMatchObject({ queries: 2, errors: 0, meanSteps: 1 });
    expect(report.rag.summary.totalTokens).toBeGreaterThan(0);
    expect(report.results[1]).toMatchObject({
      query: "What do the moon rocks consist of?",
      steps: 2,
      error: null,
      keywordHit: 1,
    });
    expect(report.rag.results[0]).toMatchObject({ llmCalls: 1, steps: 1, failed: false });
    expect(report.rag.results[0].sources).toBeGreaterThan(0);
    expect(report.machine.node).toBe(process.versions.node);

    const onlyRag = await runCli(
      ["benchmark", "--queries", "q.json", "--mode", "rag", "--json", ...llmFlags()],
      {
        cwd,
      },
    );
    expect(onlyRag.code).toBe(0);
    expect(JSON.parse(onlyRag.stdout).modes).toEqual(["rag"]);
    const badMode = await runCli(["benchmark", "--queries", "q.json", "--mode", "fast", ...llmFlags()], {
      cwd,
    });
    expect(badMode.code).toBe(2);
    expectOneLineError(badMode.stderr, /--mode: expected one of both, recursive, rag, got "fast"/);
  });

  it("--max-iterations N ends a run exactly as a request's budget max_iterations N does", async () => {
    // A model that never calls FINAL: every run ends on the iteration limit.
    const stubborn = await startFakeLlm({ script: () => "Still thinking.\n```repl\nprint('more')\n```" });
    const flags = ["--backend", "openai-compatible", "--base-url", stubborn.baseUrl, "--model", "stubborn"];
    let server: Awaited<ReturnType<typeof startServe>> | undefined;
    try {
      const cli = await runCli(
        ["query", "What is the capital of Freedonia?", "--json", "--max-iterations", "2", ...flags],
        {
          cwd,
        },
      );
      expect(cli.code).toBe(0);
      const fromCli = JSON.parse(cli.stdout);
      const cliCalls = stubborn.requests.length;

      server = await startServe(["--port", "0", "--persist-dir", path.join(cwd, "iter-store"), ...flags], {
        cwd,
      });
      const response = await fetch(`${server.url}/v1/chat/completions`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({
          model: "deeprecall",
          messages: [{ role: "user", content: "What is the capital of Freedonia?" }],
          deeprecall: { budget: { max_iterations: 2 } },
        }),
      });
      expect(response.status).toBe(200);
      const body = (await response.json()) as {
        choices: Array<{ finish_reason: string }>;
        deeprecall: { error: string | null; budget_status: { exceeded_limit?: string | null } };
      };
      // Same model calls, same ending, same status.
      expect(stubborn.requests.length - cliCalls).toBe(cliCalls);
      expect(fromCli.budgetStatus.exceededLimit).toBe("maxIterations");
      expect(body.deeprecall.budget_status.exceeded_limit).toBe("max_iterations");
      expect(fromCli.error).toBe(body.deeprecall.error);
      expect(fromCli.error).toMatch(/maxIterations/);
      expect(cli.stderr).toMatch(/^warning: .*maxIterations/m);
      // Issue 16: a run that did not end with the model's own FINAL says so as OpenAI does.
      expect(body.choices[0]!.finish_reason).toBe("length");
    } finally {
      await server?.stop();
      await stubborn.close();
    }
  });
});

describe("serve", () => {
  it("starts with no LLM key: health, documents, search and usage work; chat is a 503 naming the variable", async () => {
    const cwd = workdir("serve-nokey");
    const server = await startServe(["--port", "0"], { cwd });
    try {
      expect(server.stdout()).toMatch(/Store: +local store in .*\.deeprecall .*, 0 documents/);
      expect(server.stdout()).toContain("OPENAI_API_KEY is not set");
      expect(server.stdout()).toContain("Auth:       off");
      expect(server.stdout()).toContain(`Docs:       ${server.url}/docs`);
      expect(await (await fetch(`${server.url}/health`)).json()).toMatchObject({ status: "ok" });

      const add = await fetch(`${server.url}/v1/documents`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ documents: ["Otters hold hands while sleeping."], ids: ["otter-1"] }),
      });
      expect(add.status).toBe(200);
      expect(await add.json()).toEqual({ ids: ["otter-1"], count: 1 });

      const search = await fetch(`${server.url}/v1/search`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ query: "otters sleeping", top_k: 1 }),
      });
      expect(search.status).toBe(200);
      expect(JSON.stringify(await search.json())).toContain("otter-1");

      const chat = await fetch(`${server.url}/v1/chat/completions`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ messages: [{ role: "user", content: "What do otters do?" }] }),
      });
      expect(chat.status).toBe(503);
      const body = (await chat.json()) as { error: { message: string } };
      expect(body.error.message).toContain("OPENAI_API_KEY");

      // Streaming requests get the same 503 as their status, not a 200 whose stream ends in an error.
      const streamed: Array<[string, Record<string, unknown>]> = [
        [
          "/v1/chat/completions",
          { stream: true, messages: [{ role: "user", content: "What do otters do?" }] },
        ],
        ["/v1/responses", { model: "deeprecall", stream: true, input: "What do otters do?" }],
        ["/v1/completions", { model: "deeprecall", stream: true, prompt: "What do otters do?" }],
        [
          "/v1/chat/completions",
          { model: "deeprecall-task", stream: true, messages: [{ role: "user", content: "Title?" }] },
        ],
      ];
      for (const [path, request] of streamed) {
        const res = await fetch(`${server.url}${path}`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify(request),
        });
        expect(res.status, path).toBe(503);
        expect(res.headers.get("content-type")).toMatch(/^application\/json/);
        const error = ((await res.json()) as { error: { code: string; message: string } }).error;
        expect(error.code).toBe("model_not_configured");
        expect(error.message).toContain("OPENAI_API_KEY");
      }

      expect((await fetch(`${server.url}/v1/usage`)).status).toBe(200);

      // status through this server: its /health names gpt-4o-mini, but it cannot answer.
      const status = await runCli(["status"], { cwd });
      expect(status.code, status.stderr).toBe(0);
      expect(status.stdout).toContain(
        `Model: not configured on the server at ${server.url}: OPENAI_API_KEY is not set where it runs`,
      );
      expect(status.stdout).not.toMatch(/^Model: gpt-4o-mini/m);
      const json = JSON.parse((await runCli(["status", "--json"], { cwd })).stdout) as { model: unknown };
      expect(json.model).toEqual({
        description: "gpt-4o-mini",
        server: server.url,
        configured: false,
        missing: "OPENAI_API_KEY",
      });
    } finally {
      expect(await server.stop("SIGTERM")).toBe(0);
    }
  });

  it("serves grounded answers to the official openai client, streaming and not, with auth", async () => {
    const cwd = workdir("serve-llm");
    const ingest = await runCli(["ingest", "--path", docs, "--max-file-size", "50000"], { cwd });
    expect(ingest.code).toBe(0);
    const server = await startServe(
      ["--port", "0", "--api-keys", "sk-e2e-key-1234567890", "--rate-limit", "100", ...llmFlags()],
      {
        cwd,
      },
    );
    try {
      expect(server.stdout()).toContain("Auth:       on, 1 key (");
      expect(server.stdout()).toContain("Rate limit: 100 requests/min per key");
      expect(server.stdout()).not.toContain("sk-e2e-key-1234567890");

      const denied = await fetch(`${server.url}/v1/models`);
      expect(denied.status).toBe(401);

      const client = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: "sk-e2e-key-1234567890" });
      const completion = await client.chat.completions.create({
        model: "deeprecall",
        messages: [{ role: "user", content: "What is the capital of Freedonia?" }],
      });
      expect(completion.choices[0]!.message.content).toContain("Fredville");

      const stream = await client.chat.completions.create({
        model: "deeprecall",
        stream: true,
        messages: [{ role: "user", content: "What does Zanzibar export?" }],
      });
      let text = "";
      for await (const chunk of stream) text += chunk.choices[0]?.delta?.content ?? "";
      expect(text).toContain("cloves");

      const usage = (await (
        await fetch(`${server.url}/v1/usage`, { headers: { authorization: "Bearer sk-e2e-key-1234567890" } })
      ).json()) as Record<string, unknown>;
      expect(JSON.stringify(usage)).toMatch(/"total_queries":2|"totalQueries":2/);
    } finally {
      expect(await server.stop("SIGINT")).toBe(0);
    }
  });

  it("fails with one line when the port is taken; ingest goes through the server holding the store", async () => {
    const cwd = workdir("serve-port");
    const first = await startServe(["--port", "0"], { cwd });
    const port = new URL(first.url).port;
    try {
      const second = await runCli(["serve", "--port", port, "--persist-dir", path.join(cwd, "other")], {
        cwd,
      });
      expect(second.code).toBe(1);
      expectOneLineError(second.stderr, new RegExp(`port ${port} on 127\\.0\\.0\\.1 is already in use`));

      // The running server holds the local store: ingest sends the documents to it instead
      // (serve-local-sync.e2e.test.ts has the rest, and the lock error when it does not answer).
      const ingest = await runCli(["ingest", "--path", docs, "--max-file-size", "50000"], { cwd });
      expect(ingest.code, ingest.stderr).toBe(0);
      expect(ingest.stderr).toContain(`sending to the running server at ${first.url}`);
    } finally {
      await first.stop();
    }
  });
});
