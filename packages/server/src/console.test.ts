/** The web console's files served by createApp({ console }) over a real port. */
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ConfigError } from "@deeprecall/core";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { Harness } from "./__fixtures__/harness.ts";
import { makeResult, ScriptedEngine } from "./__fixtures__/scripted-engine.ts";
import { createApp } from "./app.ts";
import { CONSOLE_CSP } from "./console.ts";

const harness = new Harness();
afterEach(() => harness.stopAll());

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "deeprecall-console-"));
  await mkdir(join(dir, "assets"));
  await writeFile(join(dir, "index.html"), "<!doctype html><title>DeepRecall</title><div id=app></div>");
  await writeFile(join(dir, "assets", "main-3f2a.js"), "console.log('hi')");
  await writeFile(join(dir, "favicon.svg"), "<svg xmlns='http://www.w3.org/2000/svg'/>");
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe("createApp({ console })", () => {
  it("serves index.html at / and each built file at its path, with a CSP and caching by kind", async () => {
    const { request } = await harness.start({ console: { assetsDir: dir } });
    const index = await request("/");
    expect(index.status).toBe(200);
    expect(index.headers.get("content-type")).toMatch(/^text\/html/);
    expect(await index.text()).toContain("<title>DeepRecall</title>");
    expect(index.headers.get("content-security-policy")).toBe(CONSOLE_CSP);
    expect(index.headers.get("cache-control")).toBe("no-cache");
    expect(index.headers.get("x-request-id")).toBeTruthy();
    const js = await request("/assets/main-3f2a.js");
    expect(js.status).toBe(200);
    expect(js.headers.get("content-type")).toMatch(/javascript/);
    expect(js.headers.get("cache-control")).toContain("immutable");
    expect((await request("/favicon.svg")).status).toBe(200);
    expect((await request("/", { method: "HEAD" })).status).toBe(200);
  });

  it("serves only the built files: other paths keep the API's JSON 404, traversal finds nothing", async () => {
    const { request } = await harness.start({ console: { assetsDir: dir } });
    for (const path of [
      "/assets/missing.js",
      "/assets/../index.html.bak",
      "/%2e%2e/etc/passwd",
      "/v1/nope",
    ]) {
      const res = await request(path);
      expect(res.status, path).toBe(404);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe("unknown_url");
    }
    const post = await request("/", { method: "POST" });
    expect(post.status).toBe(404);
  });

  it("is reachable without a key when the API needs one; the API still does not answer without it", async () => {
    const { request } = await harness.start({ console: { assetsDir: dir }, apiKeys: ["sk-console"] });
    expect((await request("/")).status).toBe(200);
    expect((await request("/assets/main-3f2a.js")).status).toBe(200);
    expect((await request("/v1/models")).status).toBe(401);
    expect((await request("/v1/documents")).status).toBe(401);
    expect((await request("/v1/usage")).status).toBe(401);
    expect((await request("/v1/models", { headers: { authorization: "Bearer sk-console" } })).status).toBe(
      200,
    );
  });

  it("serves the files of a console rebuilt while it runs (new hashed names)", async () => {
    const rebuilt = await mkdtemp(join(tmpdir(), "deeprecall-console-rebuilt-"));
    try {
      await mkdir(join(rebuilt, "assets"));
      await writeFile(join(rebuilt, "index.html"), "<!doctype html><script src=./assets/a-1.js></script>");
      await writeFile(join(rebuilt, "assets", "a-1.js"), "1");
      const { request } = await harness.start({ console: { assetsDir: rebuilt } });
      expect((await request("/assets/a-1.js")).status).toBe(200);
      await writeFile(join(rebuilt, "assets", "a-2.js"), "2");
      await new Promise((resolve) => setTimeout(resolve, 1100));
      const fresh = await request("/assets/a-2.js");
      expect(fresh.status).toBe(200);
      expect(await fresh.text()).toBe("2");
    } finally {
      await rm(rebuilt, { recursive: true, force: true });
    }
  });

  it("is not served unless asked", async () => {
    const { request } = await harness.start();
    expect((await request("/")).status).toBe(404);
  });

  it("refuses a directory without index.html or a relative path, naming the option", () => {
    const engine = new ScriptedEngine();
    expect(() => createApp(engine, { console: { assetsDir: join(dir, "assets") } })).toThrow(ConfigError);
    expect(() => createApp(engine, { console: { assetsDir: "relative/dir" } })).toThrow(/console\.assetsDir/);
  });

  it("links citations to the console's document view", async () => {
    const engine = new ScriptedEngine();
    engine.onQuery = async (q) => ({
      ...makeResult(q, "Acme was founded in 1999 [1]."),
      sources: [
        { id: "doc 1", content: "Acme was founded in 1999.", metadata: { source: "acme.md" }, score: 0.9 },
      ],
    });
    const { post } = await harness.start({ console: { assetsDir: dir } }, engine);
    const res = await post("/v1/chat/completions", {
      model: "deeprecall",
      messages: [{ role: "user", content: "When was Acme founded?" }],
    });
    const body = (await res.json()) as {
      choices: Array<{ message: { annotations: Array<{ url_citation: { url: string; title: string } }> } }>;
    };
    const [citation] = body.choices[0]!.message.annotations;
    expect(citation!.url_citation.url).toMatch(/^http:\/\/[^/]+\/#\/documents\/doc%201$/);
    expect(citation!.url_citation.title).toBe("acme.md");
  });
});
