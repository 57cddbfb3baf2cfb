import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { request } from "node:http";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli, type ServeProcess, startServe } from "./testing/cli-process.ts";
import { type FakeLlm, startFakeLlm } from "./testing/fake-llm.ts";

// `serve` wiring of --cors, --embedding-model (POST /v1/embeddings) and --cache-answers, through
// a real process on a real port, with the OpenAI-compatible fake LLM (which also serves embeddings).

let root: string;
let llm: FakeLlm;
const serves: ServeProcess[] = [];

beforeAll(async () => {
  root = mkdtempSync(path.join(tmpdir(), "deeprecall-cli-serve-options-"));
  llm = await startFakeLlm();
});

afterAll(async () => {
  await Promise.all(serves.map((s) => s.stop()));
  await llm?.close();
  rmSync(root, { recursive: true, force: true });
});

function dir(name: string): string {
  const d = path.join(root, name);
  mkdirSync(d, { recursive: true });
  return d;
}

const llmFlags = () => ["--backend", "openai-compatible", "--base-url", llm.baseUrl, "--model", "fake-model"];

async function serve(args: string[], cwd: string, env?: Record<string, string>): Promise<ServeProcess> {
  const s = await startServe(["--port", "0", ...args], { cwd, ...(env ? { env } : {}) });
  serves.push(s);
  return s;
}

function preflight(url: string, origin: string): Promise<Response> {
  return fetch(`${url}/v1/chat/completions`, {
    method: "OPTIONS",
    headers: {
      origin,
      "access-control-request-method": "POST",
      "access-control-request-headers": "authorization, content-type",
    },
  });
}

async function chat(url: string, question: string): Promise<string> {
  const res = await fetch(`${url}/v1/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ model: "deeprecall", messages: [{ role: "user", content: question }] }),
  });
  expect(res.status).toBe(200);
  const body = (await res.json()) as { choices: Array<{ message: { content: string } }> };
  return body.choices[0]!.message.content;
}

describe("serve --cors", () => {
  it("answers a preflight from an allowed origin (even with auth on) and exposes x-request-id", async () => {
    const s = await serve(
      ["--cors", "https://app.example.com,https://admin.example.com/", "--api-keys", "sk-cors-test"],
      dir("cors"),
    );
    expect(s.stdout()).toContain("CORS:       https://app.example.com, https://admin.example.com");

    const allowed = await preflight(s.url, "https://app.example.com");
    expect(allowed.status).toBe(204);
    expect(allowed.headers.get("access-control-allow-origin")).toBe("https://app.example.com");
    expect(allowed.headers.get("access-control-allow-methods")).toContain("POST");
    expect(allowed.headers.get("access-control-allow-headers")?.toLowerCase()).toContain("authorization");
    expect(allowed.headers.get("access-control-expose-headers")?.toLowerCase()).toContain("x-request-id");
    // The trailing slash of a configured origin is dropped: browsers never send one.
    const second = await preflight(s.url, "https://admin.example.com");
    expect(second.headers.get("access-control-allow-origin")).toBe("https://admin.example.com");

    // An actual request from the origin can read the request id.
    const res = await fetch(`${s.url}/v1/models`, {
      headers: { origin: "https://app.example.com", authorization: "Bearer sk-cors-test" },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get("access-control-allow-origin")).toBe("https://app.example.com");
    expect(res.headers.get("access-control-expose-headers")?.toLowerCase()).toContain("x-request-id");
    expect(res.headers.get("x-request-id")).toBeTruthy();

    const other = await preflight(s.url, "https://evil.example.com");
    expect(other.headers.get("access-control-allow-origin")).toBeNull();
  });

  it("DEEPRECALL_CORS=* allows any origin; without it there is no CORS", async () => {
    const any = await serve([], dir("cors-any"), { DEEPRECALL_CORS: "*" });
    expect(any.stdout()).toContain("CORS:       any origin");
    const res = await preflight(any.url, "https://anywhere.example.org");
    expect(res.headers.get("access-control-allow-origin")).toBe("*");

    const none = await serve([], dir("cors-none"));
    expect(none.stdout()).not.toContain("CORS:");
    const plain = await preflight(none.url, "https://app.example.com");
    expect(plain.headers.get("access-control-allow-origin")).toBeNull();
  });

  it("rejects an origin with a path, naming the flag", async () => {
    const run = await runCli(["serve", "--port", "0", "--cors", "https://app.example.com/path"], {
      cwd: dir("cors-bad"),
    });
    expect(run.code).toBe(2);
    expect(run.stderr.trim()).toBe(
      'error: --cors: expected a comma-separated list of origins (e.g. https://app.example.com) or *, got "https://app.example.com/path" (from flag)',
    );
  });
});

describe("serve --embedding-model: POST /v1/embeddings", () => {
  it("embeds with the store's embedding model, under its id", async () => {
    const cwd = dir("embeddings");
    writeFileSync(path.join(cwd, "fact.txt"), "The lighthouse of Fredville was built in 1887 by Ada Quill.");
    // `ingest` takes no LLM flags: the openai-compatible base URL comes from the environment.
    const env = { DEEPRECALL_BASE_URL: llm.baseUrl, DEEPRECALL_MODEL: "fake-model" };
    const flags = ["--embedding-model", "openai-compatible:fake-embed"];
    const ingest = await runCli(["ingest", "--path", "fact.txt", ...flags], { cwd, env });
    expect(ingest.code).toBe(0);
    expect(llm.embeddingRequests.some((r) => r.model === "fake-embed")).toBe(true);

    const s = await serve(flags, cwd, env);
    expect(s.stdout()).toContain(`Embeddings: POST ${s.url}/v1/embeddings (model fake-embed)`);
    const res = await fetch(`${s.url}/v1/embeddings`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: "fake-embed", input: ["lighthouse", "Ada Quill"] }),
    });
    expect(res.status).toBe(200);
    const body = (await res.json()) as {
      object: string;
      model: string;
      data: Array<{ index: number; embedding: number[] }>;
    };
    expect(body.object).toBe("list");
    expect(body.model).toBe("fake-embed");
    expect(body.data.map((d) => d.index)).toEqual([0, 1]);
    expect(body.data[0]!.embedding).toHaveLength(256);
    expect(llm.embeddingRequests.at(-1)).toEqual({ model: "fake-embed", input: ["lighthouse", "Ada Quill"] });

    // Search runs on the same embeddings.
    const search = await fetch(`${s.url}/v1/search`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ query: "who built the lighthouse", top_k: 1 }),
    });
    expect(JSON.stringify(await search.json())).toContain("Ada Quill");
  });

  it("answers 400 embeddings_not_configured without --embedding-model", async () => {
    const s = await serve(llmFlags(), dir("no-embeddings"));
    expect(s.stdout()).not.toContain("Embeddings:");
    const res = await fetch(`${s.url}/v1/embeddings`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: "text-embedding-3-small", input: "hello" }),
    });
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe("embeddings_not_configured");
  });
});

describe("serve --cache-answers", () => {
  const question = "When was the lighthouse of Fredville built?";

  async function askTwice(args: string[], name: string) {
    const cwd = dir(name);
    writeFileSync(path.join(cwd, "fact.txt"), "The lighthouse of Fredville was built in 1887 by Ada Quill.");
    expect((await runCli(["ingest", "--path", "fact.txt"], { cwd })).code).toBe(0);
    const s = await serve([...llmFlags(), ...args], cwd);
    const before = llm.requests.length;
    const first = await chat(s.url, question);
    const afterFirst = llm.requests.length;
    const second = await chat(s.url, question);
    return {
      s,
      first,
      second,
      firstCalls: afterFirst - before,
      secondCalls: llm.requests.length - afterFirst,
    };
  }

  it("by default the same question runs fresh: the model is asked again", async () => {
    const { s, first, second, firstCalls, secondCalls } = await askTwice([], "answers-fresh");
    expect(s.stdout()).toContain("Cache:      memory, search results (answers run fresh)");
    expect(first).toContain("1887");
    expect(second).toBe(first);
    expect(firstCalls).toBeGreaterThan(0);
    expect(secondCalls).toBe(firstCalls);
  });

  it("with --cache-answers on the second answer comes from the cache, without a model call", async () => {
    const { s, first, second, firstCalls, secondCalls } = await askTwice(
      ["--cache-answers", "on"],
      "answers-cached",
    );
    expect(s.stdout()).toContain("Cache:      memory, search results and answers");
    expect(first).toContain("1887");
    expect(second).toBe(first);
    expect(firstCalls).toBeGreaterThan(0);
    expect(secondCalls).toBe(0);
  });
});

/** The startup banner, once its last line is out. */
async function banner(s: ServeProcess): Promise<string> {
  for (let i = 0; i < 100 && !s.stdout().includes("OpenAI base URL"); i++) {
    await new Promise((r) => setTimeout(r, 20));
  }
  return s.stdout();
}

describe("serve: the web console", () => {
  it("is served at / by default, names itself in the banner, and --console off / DEEPRECALL_CONSOLE=off turn it off", async () => {
    const on = await serve(["--persist-dir", dir("console-on"), ...llmFlags()], root);
    const page = await fetch(`${on.url}/`);
    expect(page.status).toBe(200);
    expect(page.headers.get("content-type")).toMatch(/^text\/html/);
    expect(page.headers.get("content-security-policy")).toContain("default-src 'self'");
    const html = await page.text();
    // The built page loads its bundle from this server, never a CDN.
    const scripts = [...html.matchAll(/<script[^>]*src="([^"]+)"/g)].map((m) => m[1]!);
    expect(scripts.length).toBeGreaterThan(0);
    for (const src of scripts) {
      const url = new URL(src, `${on.url}/`);
      expect(url.origin).toBe(new URL(on.url).origin);
      expect((await fetch(url)).status).toBe(200);
    }
    expect(await banner(on)).toContain(`Console:    ${on.url}/`);

    const off = await serve(["--persist-dir", dir("console-off"), ...llmFlags(), "--console", "off"], root);
    expect((await fetch(`${off.url}/`)).status).toBe(404);
    expect(await banner(off)).not.toContain("Console:");
    const envOff = await serve(["--persist-dir", dir("console-env-off"), ...llmFlags()], root, {
      DEEPRECALL_CONSOLE: "off",
    });
    expect((await fetch(`${envOff.url}/`)).status).toBe(404);
  });
});

/** A GET from a given loopback address (127.0.0.0/8 is all local on Linux), as another client would send it. */
function getFrom(localAddress: string, url: string, headers: Record<string, string> = {}): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(url, { localAddress, headers }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on("error", reject);
    req.end();
  });
}

describe("serve --body-limit", () => {
  it("raises the largest JSON body from the 1 MiB default; past it is still a 413", async () => {
    // ~1.5 MB of documents in one JSON request.
    const body = JSON.stringify({ documents: ["x".repeat(1_500_000)], ids: ["big"] });
    const post = (url: string, json: string) =>
      fetch(`${url}/v1/documents`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: json,
      });
    const plain = await serve(["--persist-dir", dir("limit-default"), ...llmFlags()], root);
    const refused = await post(plain.url, body);
    expect(refused.status).toBe(413);
    expect(((await refused.json()) as { error: { message: string } }).error.message).toContain("1048576");
    const raised = await serve(
      ["--persist-dir", dir("limit-raised"), ...llmFlags(), "--body-limit", "2MB"],
      root,
    );
    expect((await post(raised.url, body)).status).toBe(200);
    expect((await post(raised.url, JSON.stringify({ documents: ["x".repeat(2_100_000)] }))).status).toBe(413);
  });
});

describe("serve: clients are told apart by address", () => {
  it("one client guessing keys is throttled; another client with the right key is not", async () => {
    const s = await serve(["--persist-dir", dir("throttle"), ...llmFlags(), "--api-keys", "sk-right"], root);
    const models = `${s.url}/v1/models`;
    // Sent at once: the bucket of 10 failures refills one every 2 s, and the address stays
    // refused for about that long after its first 429, so one by one on a slow machine a guess
    // could pass as a fresh 401 and the right key from 127.0.0.2 could get in again.
    const guesses = await Promise.all(
      Array.from({ length: 12 }, (_, i) => getFrom("127.0.0.2", models, { authorization: `Bearer sk-${i}` })),
    );
    expect(guesses.filter((code) => code === 401)).toHaveLength(10);
    expect(guesses.filter((code) => code === 429)).toHaveLength(2);
    const [other, same] = await Promise.all([
      getFrom("127.0.0.1", models, { authorization: "Bearer sk-right" }),
      getFrom("127.0.0.2", models, { authorization: "Bearer sk-right" }),
    ]);
    expect(other).toBe(200);
    expect(same).toBe(429);
  });

  it("--rate-limit without keys counts per address", async () => {
    const s = await serve(["--persist-dir", dir("rate-per-ip"), ...llmFlags(), "--rate-limit", "2"], root);
    const models = `${s.url}/v1/models`;
    const codes = [];
    for (let i = 0; i < 3; i++) codes.push(await getFrom("127.0.0.2", models));
    expect(codes).toEqual([200, 200, 429]);
    expect(await getFrom("127.0.0.3", models)).toBe(200);
  });
});

describe("serve --verbose: one line per request", () => {
  it("gives id, status, total time and outcome: completed, client disconnected, failed in stream", async () => {
    // A model that is slow for "slow" questions and fails for "broken" ones.
    const slow = await startFakeLlm({
      script: async (req, i) => {
        const text = JSON.stringify(req.messages);
        if (text.includes("broken")) return { status: 500, message: "backend exploded" };
        if (text.includes("slow")) await new Promise((r) => setTimeout(r, 3_000));
        return i >= 0 ? "FINAL(The answer is 42.)" : "";
      },
    });
    try {
      const cwd = dir("verbose-log");
      const s = await serve(
        ["--backend", "openai-compatible", "--base-url", slow.baseUrl, "--model", "fake-model", "--verbose"],
        cwd,
      );
      const post = (content: string, signal?: AbortSignal) =>
        fetch(`${s.url}/v1/chat/completions`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ model: "deeprecall", stream: true, messages: [{ role: "user", content }] }),
          ...(signal ? { signal } : {}),
        });
      expect(await (await post("What is the answer?")).text()).toContain("[DONE]");
      const controller = new AbortController();
      const left = await post("A slow question", controller.signal);
      expect(left.status).toBe(200);
      setTimeout(() => controller.abort(), 300);
      await left.text().catch(() => {});
      expect(await (await post("A broken question")).text()).toContain("error");
      const line = (outcome: string) =>
        new RegExp(`POST /v1/chat/completions → 200[^\\n]*\\(\\d+ ms\\) \\[[^\\]]+\\] ${outcome}`);
      await expect.poll(() => s.stderr(), { timeout: 10_000 }).toMatch(line("completed"));
      await expect
        .poll(() => s.stderr(), { timeout: 10_000 })
        .toMatch(line("client disconnected, run aborted"));
      await expect
        .poll(() => s.stderr(), { timeout: 10_000 })
        .toMatch(/→ 200, 50\d in stream \(\d+ ms\) \[[^\]]+\] failed: /);
      expect(s.stderr()).not.toContain(slow.baseUrl);
    } finally {
      await slow.close();
    }
  });
});

describe("serve --store-responses", () => {
  async function respond(url: string): Promise<{ id: string; store: boolean; retrieved: number }> {
    const res = await fetch(`${url}/v1/responses`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: "deeprecall", input: "Who built the lighthouse?" }),
    });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { id: string; store: boolean };
    const retrieved = (await fetch(`${url}/v1/responses/${body.id}`)).status;
    return { id: body.id, store: body.store, retrieved };
  }

  it("keeps Responses API responses by default; --store-responses off / DEEPRECALL_STORE_RESPONSES=off keeps none", async () => {
    const kept = await respond((await serve(llmFlags(), dir("store-default"))).url);
    expect([kept.store, kept.retrieved]).toEqual([true, 200]);
    const flag = await respond(
      (await serve([...llmFlags(), "--store-responses", "off"], dir("store-off"))).url,
    );
    expect([flag.store, flag.retrieved]).toEqual([false, 404]);
    const env = await respond(
      (await serve(llmFlags(), dir("store-env"), { DEEPRECALL_STORE_RESPONSES: "off" })).url,
    );
    expect([env.store, env.retrieved]).toEqual([false, 404]);
  });
});
