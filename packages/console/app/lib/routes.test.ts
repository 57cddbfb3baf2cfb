import { describe, expect, it } from "vitest";
import { documentHref, documentsHref, parseRoute } from "./routes.ts";

describe("parseRoute", () => {
  it("reads each screen's hash", () => {
    expect(parseRoute("")).toEqual({ name: "ask" });
    expect(parseRoute("#/ask")).toEqual({ name: "ask" });
    expect(parseRoute("#/nonsense")).toEqual({ name: "ask" });
    expect(parseRoute("#/documents")).toEqual({ name: "documents" });
    expect(parseRoute("#/documents?collection=wiki")).toEqual({ name: "documents", collection: "wiki" });
    expect(parseRoute("#/usage")).toEqual({ name: "usage" });
    expect(parseRoute("#/documents/acme")).toEqual({ name: "document", id: "acme" });
    expect(parseRoute("#/documents/a%2Fb%20c?collection=my%20wiki")).toEqual({
      name: "document",
      id: "a/b c",
      collection: "my wiki",
    });
    expect(parseRoute("#/documents/%E0%A4%A")).toEqual({ name: "document", id: "%E0%A4%A" });
  });

  it("round-trips the hrefs it makes", () => {
    for (const id of ["acme", "a/b c", "doc#1?x=y", "東京"]) {
      expect(parseRoute(documentHref(id))).toEqual({ name: "document", id });
      expect(parseRoute(documentHref(id, "c/1"))).toEqual({ name: "document", id, collection: "c/1" });
    }
    expect(parseRoute(documentsHref("w x"))).toEqual({ name: "documents", collection: "w x" });
  });
});
