/** The console's screens, from `location.hash`: `#/ask`, `#/documents`, `#/documents/<id>?collection=<c>`, `#/usage`. */
export type Route =
  | { name: "ask" }
  | { name: "documents"; collection?: string }
  | { name: "document"; id: string; collection?: string }
  | { name: "usage" };

/** The route of a hash such as "#/documents/doc%2F1?collection=wiki"; anything unknown is Ask. */
export function parseRoute(hash: string): Route {
  const raw = hash.replace(/^#/, "");
  const q = raw.indexOf("?");
  const path = q === -1 ? raw : raw.slice(0, q);
  const params = new URLSearchParams(q === -1 ? "" : raw.slice(q + 1));
  const collection = params.get("collection") || undefined;
  const parts = path.split("/").filter((p) => p !== "");
  if (parts[0] === "documents") {
    if (parts.length > 1) {
      const id = safeDecode(parts.slice(1).join("/"));
      return collection ? { name: "document", id, collection } : { name: "document", id };
    }
    return collection ? { name: "documents", collection } : { name: "documents" };
  }
  if (parts[0] === "usage") return { name: "usage" };
  return { name: "ask" };
}

/** "#/documents/<id>" (+ "?collection=<c>" for a collection other than the default one). */
export function documentHref(id: string, collection?: string): string {
  const query = collection ? `?collection=${encodeURIComponent(collection)}` : "";
  return `#/documents/${encodeURIComponent(id)}${query}`;
}

/** "#/documents" (+ "?collection=<c>"). */
export function documentsHref(collection?: string): string {
  return collection ? `#/documents?collection=${encodeURIComponent(collection)}` : "#/documents";
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}
