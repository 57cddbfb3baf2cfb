import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { generationKey, InMemoryCache } from "@deeprecall/core";
import { InMemoryVectorStore } from "@deeprecall/test-utils";
import { afterAll, describe, expect, it } from "vitest";
import { noticingCache, noticingWrites } from "./write-notices.ts";

const root = mkdtempSync(path.join(tmpdir(), "deeprecall-write-notices-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let counter = 0;
const noticeFile = () => path.join(root, `n${counter++}`, "wiki.written");
const notice = (file: string) => (existsSync(file) ? readFileSync(file, "utf8") : undefined);

describe("noticingWrites", () => {
  it("leaves a new notice after every write, also a failed one, and none for reads", async () => {
    const file = noticeFile();
    const store = noticingWrites(new InMemoryVectorStore(), file);
    await store.search("anything");
    await store.count();
    expect(notice(file)).toBeUndefined();
    await store.addDocuments({ documents: ["one"], ids: ["a"] });
    const first = notice(file);
    expect(first).toBeTruthy();
    await store.delete(["a"]);
    const second = notice(file);
    expect(second).not.toBe(first);
    await expect(store.addDocuments({ documents: ["x"], ids: ["a", "b"] })).rejects.toThrow();
    expect(notice(file)).not.toBe(second);
  });
});

describe("noticingCache", () => {
  const generation = (cache: InMemoryCache | ReturnType<typeof noticingCache>) =>
    cache.get<string>(generationKey("chroma:wiki"));

  it("starts a new generation of a store once another process wrote to it, and only then", async () => {
    const file = noticeFile();
    const shared = new InMemoryCache();
    await shared.set(generationKey("chroma:wiki"), "g0", 0);
    await shared.set(generationKey("chroma:other"), "o0", 0);
    const cache = noticingCache(shared, (name) => (name === "chroma:wiki" ? file : undefined));
    expect(await generation(cache)).toBe("g0"); // no write yet

    const writer = noticingWrites(new InMemoryVectorStore(), file);
    await writer.addDocuments({ documents: ["new"], ids: ["n"] });
    const after = await generation(cache);
    expect(after).not.toBe("g0");
    expect(await generation(cache)).toBe(after); // read again: the same write, the same generation
    expect(await cache.get(generationKey("chroma:other"))).toBe("o0"); // other stores untouched

    await writer.delete(["n"]);
    expect(await generation(cache)).not.toBe(after);
  });

  it("with firstReadOnly (a locked local store) reads each store's notice once, on its first read", async () => {
    const file = noticeFile();
    const persistent = new InMemoryCache();
    const writer = noticingWrites(new InMemoryVectorStore(), file);
    await writer.addDocuments({ documents: ["before the server"], ids: ["d"] });
    await persistent.set(generationKey("chroma:wiki"), "g0", 0);
    const cache = noticingCache(persistent, () => file, { firstReadOnly: true });
    const first = await generation(cache);
    expect(first).not.toBe("g0"); // the write made before this process is noticed
    await writer.addDocuments({ documents: ["later"], ids: ["e"] });
    expect(await generation(cache)).toBe(first); // no further reads of the notice
  });

  it("a server restarted on a persistent cache notices writes made while it was down", async () => {
    const file = noticeFile();
    const persistent = new InMemoryCache(); // stands for sqlite or Redis, outliving the server
    const writer = noticingWrites(new InMemoryVectorStore(), file);
    await writer.addDocuments({ documents: ["v1"], ids: ["d"] });
    const first = noticingCache(persistent, () => file);
    const before = await generation(first);
    // Restarted with nothing written in between: cached results stay usable.
    expect(await generation(noticingCache(persistent, () => file))).toBe(before);
    await writer.addDocuments({ documents: ["v2"], ids: ["d"] });
    expect(await generation(noticingCache(persistent, () => file))).not.toBe(before);
  });
});
