import { mkdirSync, mkdtempSync, rmSync, unlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { chromaForTests } from "./testing/chroma.ts";
import { runCli, type ServeProcess, startServe } from "./testing/cli-process.ts";
import { type FakeLlm, startFakeLlm } from "./testing/fake-llm.ts";

// Issue 12's folders that stay in sync, with the server left running: on Chroma (which other
// processes may write while it is served) `deeprecall ingest --sync` changes a collection under
// a running `deeprecall serve`, and what the server's search and chat return follows at once.
// The server caches search results; it used to serve deleted and replaced chunks from that cache.

const root = mkdtempSync(path.join(tmpdir(), "deeprecall-serve-sync-"));
// Started while the file is collected, so that a machine without Chroma skips the suite by name.
const { chroma, skip } = await chromaForTests(path.join(root, "chroma-data"));
if (!chroma) rmSync(root, { recursive: true, force: true });
let llm: FakeLlm;
let server: ServeProcess | undefined;

beforeAll(async () => {
  llm = await startFakeLlm();
}, 60_000);

afterAll(async () => {
  await server?.stop();
  await chroma?.stop();
  await llm?.close();
  rmSync(root, { recursive: true, force: true });
});

function put(dir: string, name: string, text: string): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, name), text);
}

describe.skipIf(!chroma)(`deeprecall ingest --sync under a running deeprecall serve (Chroma)${skip}`, () => {
  it("search and answers follow edits, deletions and additions at once", async () => {
    const cwd = path.join(root, "project");
    const wiki = path.join(cwd, "wiki");
    put(wiki, "cannon.md", "The orbital cannon is serviced every Tuesday by the platform team.");
    put(wiki, "lunch.md", "Lunch in the wiki office is served at noon.");
    const env = {
      DEEPRECALL_VECTORSTORE: "chroma",
      DEEPRECALL_CHROMA_URL: chroma!.url,
      DEEPRECALL_BACKEND: "openai-compatible",
      DEEPRECALL_BASE_URL: llm.baseUrl,
      DEEPRECALL_MODEL: "fake-model",
      DEEPRECALL_EMBEDDING_MODEL: "fake-embedding",
    };
    const sync = async () => {
      const run = await runCli(["ingest", "--path", "wiki", "--collection", "wiki", "--sync"], { cwd, env });
      expect(run.code, run.stderr).toBe(0);
      return run.stdout;
    };
    await sync();

    server = await startServe(["--port", "0"], { cwd, env });
    const client = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: "unused", maxRetries: 0 });
    const search = async (query: string) => {
      const response = await fetch(`${server!.url}/v1/search`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ query, collection: "wiki", top_k: 10 }),
      });
      expect(response.status).toBe(200);
      const body = (await response.json()) as { data: Array<{ content: string }> };
      return body.data.map((hit) => hit.content).sort();
    };
    const ask = async (question: string) => {
      const completion = await client.chat.completions.create({
        model: "deeprecall/wiki",
        messages: [{ role: "user", content: question }],
      });
      return completion.choices[0]?.message.content ?? "";
    };
    const documents = async () => {
      const models = (await client.models.list()).data as unknown as Array<{
        id: string;
        documents?: number;
      }>;
      return models.find((m) => m.id === "deeprecall/wiki")?.documents;
    };

    // Asked once before the sync, so the server has cached the old search results.
    expect(await search("orbital cannon serviced")).toEqual([
      "Lunch in the wiki office is served at noon.",
      "The orbital cannon is serviced every Tuesday by the platform team.",
    ]);
    expect(await ask("When is the orbital cannon serviced?")).toContain("every Tuesday");
    expect(await documents()).toBe(2);

    put(wiki, "cannon.md", "The orbital cannon is now serviced every Friday by the ops team.");
    unlinkSync(path.join(wiki, "lunch.md"));
    put(wiki, "parking.md", "The parking garage opens at six for wiki staff.");
    expect(await sync()).toMatch(/\(1 added, 1 updated, 1 removed, 0 unchanged\)/);

    expect(await search("orbital cannon serviced")).toEqual([
      "The orbital cannon is now serviced every Friday by the ops team.",
      "The parking garage opens at six for wiki staff.",
    ]);
    const answer = await ask("When is the orbital cannon serviced?");
    expect(answer).toContain("every Friday");
    expect(answer).not.toContain("Tuesday");
    expect(await documents()).toBe(2);

    // Removing a file's chunks by path counts as a write too.
    const removed = await runCli(["delete", "--path", "wiki/parking.md", "--collection", "wiki"], {
      cwd,
      env,
    });
    expect(removed.code, removed.stderr).toBe(0);
    expect(await search("orbital cannon serviced")).toEqual([
      "The orbital cannon is now serviced every Friday by the ops team.",
    ]);
    expect(await documents()).toBe(1);
  });
});
