import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createSandboxPool, DeepRecallEngine } from "@deeprecall/core";
import { enginePerCollection, mockUsage } from "@deeprecall/test-utils";
import { LocalStore } from "@deeprecall/vectorstore-local";
import { MockLanguageModelV4 } from "ai/test";
import OpenAI from "openai";
import { afterEach, describe, expect, it } from "vitest";
import { createApp } from "./app.ts";
import { type RunningServer, startServer } from "./serve.ts";
import type { ServedCollections } from "./types.ts";

// Several collections behind one server: real engines over real LocalStore collections (one
// shared sandbox pool), the real HTTP server and the official openai client. The model double
// answers with the codewords of the passages it was shown, so an answer says which collection's
// documents the engine searched.

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

function promptText(call: { prompt: unknown }): string {
  return JSON.stringify(call.prompt);
}

/** Answers at once from what it sees: every "codeword is X" of the prompt (the grounding hits). */
function groundedModel() {
  return new MockLanguageModelV4({
    modelId: "mock-grounded",
    doGenerate: async (call) => {
      const words = [...new Set([...promptText(call).matchAll(/codeword is ([A-Z]+)/g)].map((m) => m[1]))];
      return {
        content: [{ type: "text", text: `FINAL(The codewords I found: ${words.join(", ") || "none"}.)` }],
        finishReason: { unified: "stop", raw: "stop" },
        usage: mockUsage(10, 5),
        warnings: [],
      };
    },
  });
}

async function setup() {
  const dir = await mkdtemp(join(tmpdir(), "deeprecall-collections-"));
  const stores = LocalStore.collections({ directory: dir });
  const sandbox = createSandboxPool();
  const model = groundedModel();
  const served = enginePerCollection(
    stores,
    (store) => new DeepRecallEngine({ vectorStore: store, model, sandbox }),
  );
  const server: RunningServer = await startServer({
    app: createApp(served.engineOf("main"), { collections: served.served }),
  });
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  cleanups.push(() => sandbox.close());
  cleanups.push(() => served.close());
  cleanups.push(() => server.close());
  const client = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: "unused", maxRetries: 0 });
  const post = (path: string, body: unknown, method = "POST") =>
    fetch(`${server.url}${path}`, {
      method,
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
    });
  for (const [collection, documents, ids] of [
    ["a", ["The alpha codeword is PELICAN.", "Alpha team meets on Mondays."], ["a1", "a2"]],
    [
      "b",
      ["The beta codeword is WALRUS.", "Beta team meets on Fridays.", "Beta has a codeword too."],
      ["b1", "b2", "b3"],
    ],
  ] as const) {
    const res = await post("/v1/documents", { documents, ids, collection });
    expect(res.status).toBe(200);
  }
  return { client, server, post, opened: served.opened };
}

type Page = { object: string; data: Array<{ id: string }>; has_more: boolean; next_cursor: string | null };
type Hits = { data: Array<{ id: string }> };
type ModelWithCount = { id: string; collection?: string; documents?: number };

describe("several collections per server", () => {
  it("lists each collection as a model with its document count", async () => {
    const { client } = await setup();
    const models = (await client.models.list()).data as unknown as ModelWithCount[];
    const ids = models.map((m) => m.id);
    expect(ids).toEqual(["deeprecall", "deeprecall/a", "deeprecall/b", "deeprecall-task"]);
    expect(models.find((m) => m.id === "deeprecall/a")).toMatchObject({
      object: "model",
      owned_by: "deeprecall",
      collection: "a",
      documents: 2,
    });
    expect(models.find((m) => m.id === "deeprecall/b")).toMatchObject({ collection: "b", documents: 3 });
    expect(models.find((m) => m.id === "deeprecall")).toMatchObject({ collection: "main", documents: 0 });
    expect(typeof models[0]!.documents).toBe("number");
    const one = (await client.models.retrieve("deeprecall/b")) as unknown as ModelWithCount;
    expect(one).toMatchObject({ id: "deeprecall/b", documents: 3 });
  });

  it("answers through deeprecall/<collection> only from that collection's documents", async () => {
    const { client, opened } = await setup();
    const a = await client.chat.completions.create({
      model: "deeprecall/a",
      messages: [{ role: "user", content: "What is the codeword?" }],
    });
    expect(a.model).toBe("deeprecall/a");
    expect(a.choices[0]!.message.content).toContain("PELICAN");
    expect(a.choices[0]!.message.content).not.toContain("WALRUS");
    const ext = (a as unknown as { deeprecall: { sources: Array<{ id: string }> } }).deeprecall;
    expect(ext.sources.map((s) => s.id)).toContain("a1");
    expect(ext.sources.every((s) => s.id.startsWith("a"))).toBe(true);
    // Citation links to sources of another collection name it.
    const links = (
      a.choices[0]!.message as unknown as { annotations: Array<{ url_citation: { url: string } }> }
    ).annotations;
    expect(links[0]!.url_citation.url).toMatch(/\/v1\/documents\/a\d\?collection=a$/);

    const b = await client.chat.completions.create({
      model: "deeprecall/b",
      messages: [{ role: "user", content: "What is the codeword?" }],
      stream: true,
    });
    let text = "";
    for await (const chunk of b) text += chunk.choices[0]?.delta.content ?? "";
    expect(text).toContain("WALRUS");
    expect(text).not.toContain("PELICAN");

    const r = await client.responses.create({ model: "deeprecall/b", input: "What is the codeword?" });
    expect(r.output_text).toContain("WALRUS");
    const cmpl = await client.completions.create({ model: "deeprecall/a", prompt: "What is the codeword?" });
    expect(cmpl.choices[0]!.text).toContain("PELICAN");

    // The default collection holds nothing.
    const main = await client.chat.completions.create({
      model: "deeprecall",
      messages: [{ role: "user", content: "What is the codeword?" }],
    });
    expect(main.choices[0]!.message.content).toContain("none");
    // One engine per collection, created on first use, all on the one sandbox pool.
    expect(opened().sort()).toEqual(["a", "b", "main"]);
  });

  it("answers 404 model_not_found for an unknown collection, naming the served models", async () => {
    const { client } = await setup();
    const error = await client.chat.completions
      .create({ model: "deeprecall/nope", messages: [{ role: "user", content: "hi" }] })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.NotFoundError);
    const e = error as InstanceType<typeof OpenAI.NotFoundError>;
    expect(e.code).toBe("model_not_found");
    expect(e.param).toBe("model");
    expect(e.message).toContain("deeprecall/a, deeprecall/b");
    const other = await client.responses.create({ model: "other/a", input: "hi" }).then(
      () => undefined,
      (x: unknown) => x as InstanceType<typeof OpenAI.NotFoundError>,
    );
    expect(other?.status).toBe(404);
    expect(other?.code).toBe("model_not_found");
    const retrieve = await client.models.retrieve("deeprecall/nope").catch((x: unknown) => x);
    expect((retrieve as { status: number }).status).toBe(404);
  });

  it("documents and search take a collection; unknown → 404 collection_not_found; new ones appear as models", async () => {
    const { client, server, post } = await setup();
    const search = async (body: object) => (await post("/v1/search", body)).json() as Promise<Hits>;
    const hitsA = await search({ query: "codeword", collection: "a" });
    expect(hitsA.data.map((h: { id: string }) => h.id)).toEqual(["a1"]);
    const hitsB = await search({ query: "codeword", collection: "b" });
    expect(hitsB.data.map((h: { id: string }) => h.id).sort()).toEqual(["b1", "b3"]);
    expect((await search({ query: "codeword" })).data).toEqual([]);

    const missing = await post("/v1/search", { query: "codeword", collection: "nope" });
    expect(missing.status).toBe(404);
    const body = (await missing.json()) as { error: Record<string, unknown> };
    expect(body.error).toMatchObject({
      type: "invalid_request_error",
      param: "collection",
      code: "collection_not_found",
    });
    expect(body.error.message).toContain("a, b");

    const doc = await fetch(`${server.url}/v1/documents/b1?collection=b`);
    expect(await doc.json()).toMatchObject({
      object: "document",
      id: "b1",
      content: "The beta codeword is WALRUS.",
    });
    expect((await fetch(`${server.url}/v1/documents/b1`)).status).toBe(404);
    expect((await fetch(`${server.url}/v1/documents/b1?collection=zz`)).status).toBe(404);

    const page = (await (await fetch(`${server.url}/v1/documents?collection=b&limit=2`)).json()) as Page;
    expect(page.object).toBe("list");
    expect(page.data).toHaveLength(2);
    expect(page.has_more).toBe(true);
    const rest = (await (
      await fetch(
        `${server.url}/v1/documents?collection=b&limit=2&after=${encodeURIComponent(page.next_cursor!)}`,
      )
    ).json()) as Page;
    expect([...page.data, ...rest.data].map((d: { id: string }) => d.id).sort()).toEqual(["b1", "b2", "b3"]);
    expect(rest.next_cursor).toBeNull();
    expect((await fetch(`${server.url}/v1/documents?collection=nope`)).status).toBe(404);

    const del = await post("/v1/documents", { ids: ["b2", "a1"], collection: "b" }, "DELETE");
    expect(await del.json()).toMatchObject({ ids: ["b2"], not_found: ["a1"] });
    expect((await post("/v1/documents", { ids: ["x"], collection: "nope" }, "DELETE")).status).toBe(404);

    // A new collection is created by adding to it, and is then a model.
    const added = await post("/v1/documents", {
      documents: ["The gamma codeword is OTTER."],
      collection: "c",
    });
    expect(added.status).toBe(200);
    const models = (await client.models.list()).data as unknown as ModelWithCount[];
    expect(models.find((m) => m.id === "deeprecall/c")).toMatchObject({ collection: "c", documents: 1 });
    expect(models.find((m) => m.id === "deeprecall/b")).toMatchObject({ documents: 2 });
    const c = await client.chat.completions.create({
      model: "deeprecall/c",
      messages: [{ role: "user", content: "What is the codeword?" }],
    });
    expect(c.choices[0]!.message.content).toContain("OTTER");

    // The default collection by name is the default engine.
    const hitsMain = await post("/v1/search", { query: "codeword", collection: "main" });
    expect(hitsMain.status).toBe(200);
  });

  it("refuses `collection` on a single-collection server, and bad collections options", async () => {
    const { post } = await setup();
    const bad = await post("/v1/search", { query: "x", collection: "" });
    expect(bad.status).toBe(400);
    const dir = await mkdtemp(join(tmpdir(), "deeprecall-single-"));
    const engine = new DeepRecallEngine({
      vectorStore: new LocalStore({ directory: dir }),
      model: groundedModel(),
    });
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    cleanups.push(() => engine.close());
    const single = createApp(engine);
    const res = await single.request("/v1/search", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ query: "x", collection: "a" }),
    });
    expect(res.status).toBe(404);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe("collection_not_found");
    const chat = await single.request("/v1/chat/completions", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: "deeprecall/a", messages: [{ role: "user", content: "hi" }] }),
    });
    expect(chat.status).toBe(404);
    expect(((await chat.json()) as { error: { code: string } }).error.code).toBe("model_not_found");
    expect(() =>
      createApp(
        new DeepRecallEngine({
          vectorStore: new LocalStore({ directory: tmpdir() }),
          model: groundedModel(),
        }),
        {
          collections: { defaultName: "x" } as unknown as ServedCollections,
        },
      ),
    ).toThrow(/collections must be/);
  });
});
