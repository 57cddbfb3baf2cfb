import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DeepRecallEngine } from "@deeprecall/core";
import { prepareUpload } from "@deeprecall/ingest";
import { enginePerCollection, makePdf, scriptedModel } from "@deeprecall/test-utils";
import { LocalStore } from "@deeprecall/vectorstore-local";
import { afterEach, describe, expect, it } from "vitest";
import { type ErrorJson, hasStack } from "../__fixtures__/harness.ts";
import { createApp } from "../app.ts";
import { type RunningServer, startServer } from "../serve.ts";
import type { CreateAppOptions } from "../types.ts";

// Uploads over a real port: real engines over real LocalStore collections, multipart bodies
// built with FormData and Blob as a browser's console would send them.

type Uploaded = {
  filename: string;
  status: "ingested" | "rejected";
  chunks: number;
  ids: string[];
  bytes: number;
  reason: string | null;
  replaced: number;
};
type UploadJson = { files: Uploaded[]; ingested: number; rejected: number; chunks: number };
type Page = {
  data: Array<{ id: string; content: string; metadata: Record<string, unknown> }>;
  has_more: boolean;
  next_cursor: string | null;
};

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

async function setup(options: CreateAppOptions = {}) {
  const dir = await mkdtemp(join(tmpdir(), "deeprecall-upload-"));
  const stores = LocalStore.collections({ directory: dir });
  const served = enginePerCollection(
    stores,
    (store) => new DeepRecallEngine({ vectorStore: store, model: scriptedModel([]) }),
  );
  const server: RunningServer = await startServer({
    app: createApp(served.engineOf("main"), { collections: served.served, ...options }),
  });
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  cleanups.push(() => served.close());
  cleanups.push(() => server.close());

  const upload = (form: FormData, headers: Record<string, string> = {}) =>
    fetch(`${server.url}/v1/documents/upload`, { method: "POST", body: form, headers });
  const uploadJson = async (form: FormData) => {
    const res = await upload(form);
    const text = await res.text();
    expect(res.status, text).toBe(200);
    return JSON.parse(text) as UploadJson;
  };
  /** Every document of a collection (all pages). */
  const all = async (query = "") => {
    const docs: Page["data"] = [];
    let after: string | null = null;
    do {
      const params = new URLSearchParams(query);
      params.set("limit", "50");
      if (after) params.set("after", after);
      const res = await fetch(`${server.url}/v1/documents?${params}`);
      expect(res.status).toBe(200);
      const page = (await res.json()) as Page;
      docs.push(...page.data);
      after = page.next_cursor;
    } while (after);
    return docs;
  };
  return { server, upload, uploadJson, all, engineOf: served.engineOf };
}

/** A multipart form with `files` parts (name, content) and optional fields. */
function formOf(
  files: Array<[string, string | Uint8Array]>,
  fields: Record<string, string> = {},
  field = "files",
) {
  const form = new FormData();
  for (const [name, content] of files) form.append(field, new Blob([content]), name);
  for (const [key, value] of Object.entries(fields)) form.append(key, value);
  return form;
}

async function errorOf(res: Response, status: number): Promise<ErrorJson["error"]> {
  const text = await res.text();
  expect(res.status, text).toBe(status);
  expect(hasStack(text)).toBe(false);
  const body = JSON.parse(text) as ErrorJson;
  expect(Object.keys(body)).toEqual(["error"]);
  return body.error;
}

const longText = (word: string, n = 60) =>
  Array.from({ length: n }, (_, i) => `Paragraph ${i} of the ${word} notes says something.`).join("\n\n");

describe("POST /v1/documents/upload", () => {
  it("ingests every readable file and rejects each bad one with its reason", async () => {
    const { uploadJson, all } = await setup({ maxFileSize: 4000 });
    const latin1 = Uint8Array.from([0x63, 0x61, 0x66, 0xe9]);
    const body = await uploadJson(
      formOf([
        ["notes.txt", "Acme was founded by Jane Doe in 1999."],
        ["readme.md", "# Title\n\nSome *markdown*."],
        [
          "page.html",
          "<html><body><h1>Heading</h1><p>Para <b>text</b>.</p><script>x()</script></body></html>",
        ],
        ["report.pdf", new Uint8Array(makePdf(["Quarterly revenue grew 12 percent."]))],
        ["data.json", '{"k": "json value"}'],
        ["table.csv", "name,age\nada,36\n"],
        ["main.py", "def answer():\n    return 42\n"],
        ["image.png", Uint8Array.from([0x89, 0x50, 0x4e, 0x47])],
        ["legacy.txt", latin1],
        ["binary.txt", Uint8Array.from([0x61, 0x00, 0x62])],
        ["blank.md", "  \n "],
        ["broken.pdf", "%PDF-1.4 not really"],
        ["big.txt", "z".repeat(5000)],
        ["../../etc/evil.txt", "a path in the name"],
        ["..", "no name"],
      ]),
    );
    const byName = Object.fromEntries(body.files.map((f) => [f.filename, f]));
    expect(body.files.map((f) => f.filename)).toEqual([
      "notes.txt",
      "readme.md",
      "page.html",
      "report.pdf",
      "data.json",
      "table.csv",
      "main.py",
      "image.png",
      "legacy.txt",
      "binary.txt",
      "blank.md",
      "broken.pdf",
      "big.txt",
      "evil.txt",
      "..",
    ]);
    const reasons = Object.fromEntries(body.files.filter((f) => f.reason).map((f) => [f.filename, f.reason]));
    expect(reasons).toEqual({
      "image.png": 'unsupported file type ".png"',
      "legacy.txt": "not UTF-8 text",
      "binary.txt": "binary data, not text",
      "blank.md": "no text",
      "broken.pdf": expect.stringMatching(/^unreadable PDF \(.+\)$/),
      "big.txt": "too large (4.9 KiB > 3.9 KiB)",
      "..": 'invalid file name "..": no base name',
    });
    expect(body.ingested).toBe(8);
    expect(body.rejected).toBe(7);
    for (const f of body.files) {
      if (f.status === "rejected") expect(f).toMatchObject({ chunks: 0, ids: [], replaced: 0 });
      else expect(f).toMatchObject({ chunks: f.ids.length, reason: null, replaced: 0 });
    }
    expect(byName["big.txt"]!.bytes).toBe(5000);
    expect(body.chunks).toBe(body.files.reduce((n, f) => n + f.chunks, 0));

    // Stored with the loaders' text and `deeprecall ingest`'s metadata; `source` is the base name.
    const docs = await all();
    expect(docs.length).toBe(body.chunks);
    const pdf = docs.find((d) => d.metadata.filename === "report.pdf")!;
    expect(pdf.content).toContain("Quarterly revenue grew 12 percent.");
    expect(pdf.metadata).toEqual({
      source: "report.pdf",
      filename: "report.pdf",
      chunk: 0,
      chunks: 1,
      type: "pdf",
    });
    const html = docs.find((d) => d.metadata.source === "page.html")!;
    expect(html.content).not.toContain("x()");
    expect(html.metadata.type).toBe("html");
    expect(docs.find((d) => d.metadata.source === "main.py")!.metadata.type).toBe("code");
    expect(docs.find((d) => d.metadata.source === "evil.txt")!.content).toBe("a path in the name");
    expect(docs.some((d) => String(d.metadata.source).includes("/"))).toBe(false);
  });

  it("stores exactly what prepareUpload (the loaders and chunker of `deeprecall ingest`) gives", async () => {
    const { uploadJson, all } = await setup();
    const text = longText("alpha");
    const body = await uploadJson(formOf([["alpha.md", text]], { chunk_size: "300", chunk_overlap: "40" }));
    const expected = await prepareUpload("alpha.md", new TextEncoder().encode(text), {
      collection: "main",
      maxFileSize: 1_000_000,
      chunkSize: 300,
      chunkOverlap: 40,
    });
    if (!expected.ok) throw new Error(expected.reason);
    expect(body.files[0]!.ids).toEqual(expected.ids);
    const docs = (await all()).sort((a, b) => (a.metadata.chunk as number) - (b.metadata.chunk as number));
    expect(docs.map((d) => d.id)).toEqual(expected.ids);
    expect(docs.map((d) => d.content)).toEqual(expected.documents);
    expect(docs.map((d) => d.metadata)).toEqual(expected.metadatas);
    // Naming the default collection changes nothing: same ids.
    const again = await uploadJson(
      formOf([["alpha.md", text]], { chunk_size: "300", chunk_overlap: "40", collection: "main" }),
    );
    expect(again.files[0]!.ids).toEqual(expected.ids);
  });

  it("uploading the same file twice duplicates nothing", async () => {
    const { uploadJson, all } = await setup();
    const first = await uploadJson(formOf([["alpha.md", longText("alpha")]]));
    const second = await uploadJson(formOf([["alpha.md", longText("alpha")]]));
    expect(second.files[0]!.ids).toEqual(first.files[0]!.ids);
    expect(second.files[0]!.replaced).toBe(0);
    expect((await all()).length).toBe(first.chunks);
  });

  it("a new version of a file replaces its old chunks, and nothing else", async () => {
    const { uploadJson, all, server } = await setup();
    const v1 = await uploadJson(
      formOf([
        ["alpha.md", longText("alpha", 80)],
        ["beta.md", longText("beta")],
      ]),
    );
    // A document added by id with the same source is not an upload: never touched.
    const added = await fetch(`${server.url}/v1/documents`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        documents: ["hand-made"],
        ids: ["manual-1"],
        metadatas: [{ source: "alpha.md" }],
      }),
    });
    expect(added.status).toBe(200);
    const oldAlpha = v1.files[0]!.ids;
    expect(oldAlpha.length).toBeGreaterThan(3);

    const v2 = await uploadJson(formOf([["alpha.md", "Alpha, rewritten and much shorter."]]));
    expect(v2.files[0]).toMatchObject({ status: "ingested", chunks: 1, replaced: oldAlpha.length });
    const ids = new Set((await all()).map((d) => d.id));
    for (const id of oldAlpha) expect(ids.has(id)).toBe(false);
    expect(ids.has(v2.files[0]!.ids[0]!)).toBe(true);
    for (const id of v1.files[1]!.ids) expect(ids.has(id)).toBe(true);
    expect(ids.has("manual-1")).toBe(true);
    const alpha = (await all()).filter((d) => d.metadata.source === "alpha.md").map((d) => d.content);
    expect(alpha.sort()).toEqual(["Alpha, rewritten and much shorter.", "hand-made"]);
  });

  it("keeps the last of several files with one name in a request", async () => {
    const { uploadJson, all } = await setup();
    const body = await uploadJson(
      formOf([
        ["a.txt", "first version"],
        ["a.txt", "second version"],
      ]),
    );
    expect(body.files.map((f) => [f.status, f.reason])).toEqual([
      ["rejected", "a later file in this request has the same name"],
      ["ingested", null],
    ]);
    expect((await all()).map((d) => d.content)).toEqual(["second version"]);
  });

  it("accepts the field `file`, and uploads into `collection` (created when new)", async () => {
    const { uploadJson, all } = await setup();
    const intoDocs = await uploadJson(
      formOf([["c.txt", "In the docs collection."]], { collection: "docs" }, "file"),
    );
    expect(intoDocs.ingested).toBe(1);
    expect((await all("collection=docs")).map((d) => d.content)).toEqual(["In the docs collection."]);
    expect(await all()).toEqual([]);
    // The same file in another collection gets other ids.
    const intoMain = await uploadJson(formOf([["c.txt", "In the docs collection."]]));
    expect(intoMain.files[0]!.ids[0]).not.toBe(intoDocs.files[0]!.ids[0]);
  });

  it("400 with param: no file part, a field that is not a file, a bad chunk setting", async () => {
    const { upload } = await setup();
    const none = await errorOf(await upload(formOf([], { collection: "main" })), 400);
    expect(none).toMatchObject({ param: "files", code: "missing_file", type: "invalid_request_error" });
    expect(none.message).toMatch(/multipart\/form-data part named 'files'/);
    const text = new FormData();
    text.append("files", "just a string");
    expect((await errorOf(await upload(text), 400)).param).toBe("files");
    const overlap = await errorOf(
      await upload(formOf([["a.txt", "x"]], { chunk_size: "100", chunk_overlap: "100" })),
      400,
    );
    expect(overlap.param).toBe("chunk_overlap");
    expect((await errorOf(await upload(formOf([["a.txt", "x"]], { chunk_size: "ten" })), 400)).param).toBe(
      "chunk_size",
    );
    expect((await errorOf(await upload(formOf([["a.txt", "x"]], { collection: "" })), 400)).param).toBe(
      "collection",
    );
  });

  it("a JSON body is refused with an OpenAI-shaped error, never a 500", async () => {
    const { server } = await setup();
    const res = await fetch(`${server.url}/v1/documents/upload`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ files: ["a"] }),
    });
    expect(res.status).toBe(415);
    expect((await res.json()) as ErrorJson).toMatchObject({
      error: { type: "invalid_request_error", code: "unsupported_media_type" },
    });
  });

  it("has its own size limit: 413 over `uploadLimitBytes`, and the JSON limit does not apply", async () => {
    const { upload, uploadJson, server } = await setup({ uploadLimitBytes: 20_000, bodyLimitBytes: 1000 });
    // Bigger than the JSON limit, within the upload limit.
    expect((await uploadJson(formOf([["a.txt", longText("alpha", 40)]]))).ingested).toBe(1);
    const err = await errorOf(await upload(formOf([["big.txt", "z".repeat(30_000)]])), 413);
    expect(err).toMatchObject({ code: "request_too_large", type: "invalid_request_error" });
    expect(err.message).toBe("Upload too large: the limit is 20000 bytes per request (all files together).");
    // The JSON limit still holds everywhere else.
    const json = await fetch(`${server.url}/v1/documents`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ documents: ["y".repeat(2000)] }),
    });
    expect((await errorOf(json, 413)).message).toBe("Request body too large: the limit is 1000 bytes.");
  });

  it("413 for a chunked upload (no Content-Length) over the limit too", async () => {
    const { server } = await setup({ uploadLimitBytes: 20_000 });
    const form = formOf([["big.txt", "z".repeat(30_000)]]);
    const encoded = new Response(form);
    const body = encoded.body!;
    const res = await fetch(`${server.url}/v1/documents/upload`, {
      method: "POST",
      headers: { "content-type": encoded.headers.get("content-type")! },
      body,
      duplex: "half",
    } as RequestInit);
    expect((await errorOf(res, 413)).code).toBe("request_too_large");
  });

  it("answers other methods on its path with 405 and Allow: POST ('upload' is not a document id)", async () => {
    const { server } = await setup();
    for (const method of ["GET", "PUT", "DELETE", "PATCH", "OPTIONS"]) {
      const res = await fetch(`${server.url}/v1/documents/upload`, { method });
      expect(res.headers.get("allow"), method).toBe("POST");
      expect((await errorOf(res, 405)).code).toBe("method_not_allowed");
    }
    const head = await fetch(`${server.url}/v1/documents/upload`, { method: "HEAD" });
    expect([head.status, head.headers.get("allow")]).toEqual([405, "POST"]);
  });

  it("needs an API key when the server has keys", async () => {
    const { upload } = await setup({ apiKeys: ["sk-upload"] });
    expect((await errorOf(await upload(formOf([["a.txt", "x"]])), 401)).message).toBe("Missing API key");
    const ok = await upload(formOf([["a.txt", "hello"]]), { authorization: "Bearer sk-upload" });
    expect(ok.status).toBe(200);
  });

  it("refuses invalid limits at createApp", () => {
    const engine = new DeepRecallEngine({
      vectorStore: new LocalStore({ directory: tmpdir() }),
      model: scriptedModel([]),
    });
    expect(() => createApp(engine, { uploadLimitBytes: 0 })).toThrow(
      /uploadLimitBytes must be a positive integer/,
    );
    expect(() => createApp(engine, { maxFileSize: -1 })).toThrow(/maxFileSize must be a positive integer/);
    expect(() => createApp(engine, { uploadChunking: { chunkSize: 100, chunkOverlap: 100 } })).toThrow(
      /uploadChunking.chunkOverlap/,
    );
    expect(() => createApp(engine, { uploadChunking: { chunkSize: 0 } })).toThrow(/uploadChunking.chunkSize/);
  });

  it("chunks as `uploadChunking` says (the server's ingest settings) unless the request sets its own", async () => {
    const text = longText("gamma");
    const { uploadJson, all } = await setup({ uploadChunking: { chunkSize: 200, chunkOverlap: 0 } });
    const configured = await uploadJson(formOf([["gamma.md", text]]));
    expect(configured.files[0]!.chunks).toBeGreaterThan(1);
    for (const doc of await all()) expect(doc.content.length).toBeLessThanOrEqual(200);
    const own = await uploadJson(formOf([["delta.md", text]], { chunk_size: "1000" }));
    expect(own.files[0]!.chunks).toBeLessThan(configured.files[0]!.chunks);
  });
});

describe("GET /v1/documents?q=", () => {
  it("finds documents by content or source/title/path, case-insensitively, paged by cursor", async () => {
    const { server, all } = await setup();
    const documents = Array.from({ length: 30 }, (_, i) =>
      i % 3 === 0 ? `Entry ${i}: the Revenue rose.` : `Entry ${i}: costs.`,
    );
    const metadatas = documents.map((_, i) =>
      i === 1
        ? { title: "Revenue report" }
        : i === 2
          ? { path: "/finance/REVENUE.md" }
          : { source: `e${i}.txt` },
    );
    const ids = documents.map((_, i) => `doc-${String(i).padStart(2, "0")}`);
    const res = await fetch(`${server.url}/v1/documents`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ documents, metadatas, ids }),
    });
    expect(res.status).toBe(200);
    const expected = ids.filter((_, i) => i % 3 === 0 || i === 1 || i === 2);

    const pages: Page[] = [];
    let after: string | null = null;
    do {
      const params = new URLSearchParams({ q: "  revenue ", limit: "4" });
      if (after) params.set("after", after);
      const page = (await (await fetch(`${server.url}/v1/documents?${params}`)).json()) as Page;
      pages.push(page);
      after = page.next_cursor;
      expect(page.has_more).toBe(after !== null);
    } while (after);
    expect(pages.flatMap((p) => p.data.map((d) => d.id))).toEqual(expected);
    expect(pages.every((p) => p.data.length <= 4)).toBe(true);
    expect(pages[0]!.data.length).toBe(4);

    // No q (or a blank one) lists everything.
    expect((await all()).length).toBe(30);
    expect((await all("q=%20")).length).toBe(30);
    expect(await all("q=nothing-like-this")).toEqual([]);
  });
});
