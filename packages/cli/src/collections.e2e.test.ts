import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli, type ServeProcess, startServe } from "./testing/cli-process.ts";
import { type FakeLlm, startFakeLlm } from "./testing/fake-llm.ts";

// Issue 12, "Several collections per server", as a user does it: two folders ingested into two
// collections, `deeprecall serve`, each collection picked as a model with the official openai
// client (the fake LLM searches, then answers from its top hit), and a third collection created
// over HTTP showing up as a model.

let root: string;
let llm: FakeLlm;
const serves: ServeProcess[] = [];

beforeAll(async () => {
  root = mkdtempSync(path.join(tmpdir(), "deeprecall-cli-collections-"));
  llm = await startFakeLlm();
});

afterAll(async () => {
  await Promise.all(serves.map((s) => s.stop()));
  await llm?.close();
  rmSync(root, { recursive: true, force: true });
});

const llmFlags = () => ["--backend", "openai-compatible", "--base-url", llm.baseUrl, "--model", "fake-model"];

function put(dir: string, name: string, text: string): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, name), text);
}

type ModelInfo = { id: string; object: string; owned_by: string; collection?: string; documents?: number };

describe("deeprecall serve: every collection is a model", () => {
  it("ingests two folders into two collections, serves both, answers each only from its own documents", async () => {
    const cwd = path.join(root, "two");
    put(
      path.join(cwd, "wiki"),
      "cannon.md",
      "The orbital cannon is serviced every Tuesday by the platform team.",
    );
    put(path.join(cwd, "wiki"), "lunch.md", "Lunch in the wiki office is served at noon.");
    put(path.join(cwd, "contracts"), "acme.txt", "The Acme contract says payment is due within 45 days.");
    for (const [folder, collection] of [
      ["wiki", "wiki"],
      ["contracts", "contracts"],
    ] as const) {
      const ingest = await runCli(["ingest", "--path", folder, "--collection", collection], { cwd });
      expect(ingest.code, ingest.stderr).toBe(0);
    }

    const server = await startServe(["--port", "0", ...llmFlags()], { cwd });
    serves.push(server);
    expect(server.stdout()).toMatch(
      /Models: +deeprecall \(collection deeprecall, 0\), deeprecall\/contracts \(1\), deeprecall\/wiki \(2\)/,
    );
    const client = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: "unused", maxRetries: 0 });

    const models = (await client.models.list()).data as unknown as ModelInfo[];
    expect(models.map((m) => m.id)).toEqual([
      "deeprecall",
      "deeprecall/contracts",
      "deeprecall/wiki",
      "deeprecall-task",
    ]);
    expect(models.find((m) => m.id === "deeprecall/wiki")).toMatchObject({
      object: "model",
      owned_by: "deeprecall",
      collection: "wiki",
      documents: 2,
    });
    expect(models.find((m) => m.id === "deeprecall/contracts")).toMatchObject({
      collection: "contracts",
      documents: 1,
    });

    const ask = async (model: string, question: string) => {
      const completion = await client.chat.completions.create({
        model,
        messages: [{ role: "user", content: question }],
      });
      expect(completion.model).toBe(model);
      return completion.choices[0]!.message.content ?? "";
    };
    // The same question through each model: each answers from its own collection.
    const question = "When is payment due for the orbital cannon contract?";
    const fromWiki = await ask("deeprecall/wiki", question);
    expect(fromWiki).toMatch(/According to (cannon|lunch)\.md/);
    expect(fromWiki).not.toContain("Acme");
    const fromContracts = await ask("deeprecall/contracts", question);
    expect(fromContracts).toContain("According to acme.txt");
    expect(fromContracts).not.toContain("orbital");
    // The default collection holds nothing.
    expect(await ask("deeprecall", question)).not.toMatch(/According to/);

    const unknown = await client.chat.completions
      .create({ model: "deeprecall/nope", messages: [{ role: "user", content: question }] })
      .then(
        () => undefined,
        (e: unknown) => e as InstanceType<typeof OpenAI.NotFoundError>,
      );
    expect(unknown?.status).toBe(404);
    expect(unknown?.code).toBe("model_not_found");

    // Search and documents take a collection.
    const search = await fetch(`${server.url}/v1/search`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ query: "payment", collection: "contracts" }),
    });
    const hits = (await search.json()) as { data: Array<{ content: string }> };
    expect(hits.data[0]!.content).toContain("Acme");

    // A third collection, created over HTTP, is listed and answers.
    const add = await fetch(`${server.url}/v1/documents`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        documents: ["The recipe book says bread needs four hours to rise."],
        metadatas: [{ filename: "bread.md" }],
        collection: "recipes",
      }),
    });
    expect(add.status).toBe(200);
    const after = (await client.models.list()).data as unknown as ModelInfo[];
    expect(after.find((m) => m.id === "deeprecall/recipes")).toMatchObject({
      collection: "recipes",
      documents: 1,
    });
    expect(await ask("deeprecall/recipes", "How long does bread rise?")).toContain("four hours");

    // Shutting down closes every engine and store: the collections can be opened again at once.
    expect(await server.stop()).toBe(0);
    const status = await runCli(["ingest", "--path", "wiki", "--collection", "wiki"], { cwd });
    expect(status.code, status.stderr).toBe(0);
  });

  it("--collection serves only that collection", async () => {
    const cwd = path.join(root, "one");
    put(path.join(cwd, "a"), "a.md", "Alpha facts.");
    put(path.join(cwd, "b"), "b.md", "Beta facts.");
    for (const c of ["a", "b"]) {
      expect((await runCli(["ingest", "--path", c, "--collection", c], { cwd })).code).toBe(0);
    }
    const server = await startServe(["--port", "0", "--collection", "a", ...llmFlags()], { cwd });
    serves.push(server);
    const body = (await (await fetch(`${server.url}/v1/models`)).json()) as { data: ModelInfo[] };
    expect(body.data.map((m) => m.id)).toEqual(["deeprecall", "deeprecall-task"]);
    const search = await fetch(`${server.url}/v1/search`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ query: "facts" }),
    });
    expect(
      ((await search.json()) as { data: Array<{ content: string }> }).data.map((h) => h.content),
    ).toEqual(["Alpha facts."]);
    const other = await fetch(`${server.url}/v1/search`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ query: "facts", collection: "b" }),
    });
    expect(other.status).toBe(404);
    expect(await server.stop()).toBe(0);
  });

  it("--task-model and --public-url reach the server; --task-model off serves none", async () => {
    const cwd = path.join(root, "task");
    mkdirSync(cwd, { recursive: true });
    const server = await startServe(
      [
        "--port",
        "0",
        "--task-model",
        "helper",
        "--task-routing",
        "off",
        "--public-url",
        "https://r.example.com",
        ...llmFlags(),
      ],
      { cwd },
    );
    serves.push(server);
    const body = (await (await fetch(`${server.url}/v1/models`)).json()) as { data: ModelInfo[] };
    expect(body.data.map((m) => m.id)).toEqual(["deeprecall", "helper"]);
    const add = await fetch(`${server.url}/v1/documents`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ documents: ["Gamma rays are energetic."], ids: ["g1"], collection: "g" }),
    });
    expect(add.status).toBe(200);
    const client = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: "unused", maxRetries: 0 });
    const completion = await client.chat.completions.create({
      model: "deeprecall/g",
      messages: [{ role: "user", content: "What are gamma rays?" }],
    });
    const annotations = (
      completion.choices[0]!.message as unknown as { annotations: Array<{ url_citation: { url: string } }> }
    ).annotations;
    // The web console is on by default: citations open its document view, in the right collection.
    expect(annotations.map((a) => a.url_citation.url)).toContain(
      "https://r.example.com/#/documents/g1?collection=g",
    );
    expect(await server.stop()).toBe(0);

    const none = await startServe(["--port", "0", "--task-model", "off", ...llmFlags()], { cwd });
    serves.push(none);
    const models = (await (await fetch(`${none.url}/v1/models`)).json()) as { data: ModelInfo[] };
    expect(models.data.map((m) => m.id)).toEqual(["deeprecall", "deeprecall/g"]);
  });
});
