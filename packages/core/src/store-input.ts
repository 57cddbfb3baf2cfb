import { ConfigError } from "./errors.ts";
import type { AddDocumentsInput } from "./types.ts";

/**
 * Validates `addDocuments` input the same way for every store, before anything is written:
 * documents must be a non-empty array of strings, and `metadatas`/`ids`/`embeddings`, when
 * given, must match its length. Ids must be unique non-empty strings. Returns the ids to use
 * (the given ones, or fresh UUIDs in input order).
 */
export function validateAddDocumentsInput(input: AddDocumentsInput): string[] {
  if (typeof input !== "object" || input === null) {
    throw new ConfigError("addDocuments expects an object { documents, metadatas?, ids?, embeddings? }", {
      field: "documents",
    });
  }
  const { documents, metadatas, ids, embeddings } = input;
  if (!Array.isArray(documents) || documents.length === 0) {
    throw new ConfigError("documents must be a non-empty array of strings", { field: "documents" });
  }
  documents.forEach((doc, i) => {
    if (typeof doc !== "string") {
      throw new ConfigError(`documents[${i}] must be a string, got ${doc === null ? "null" : typeof doc}`, {
        field: `documents[${i}]`,
      });
    }
    if (doc.trim() === "") {
      throw new ConfigError(`documents[${i}] is empty`, { field: `documents[${i}]` });
    }
  });
  const n = documents.length;
  const checkLength = (name: string, value: unknown[] | undefined) => {
    if (value === undefined) return;
    if (!Array.isArray(value)) throw new ConfigError(`${name} must be an array`, { field: name });
    if (value.length !== n) {
      throw new ConfigError(`${name} has ${value.length} entries but documents has ${n}; they must match`, {
        field: name,
      });
    }
  };
  checkLength("metadatas", metadatas);
  checkLength("ids", ids);
  checkLength("embeddings", embeddings);
  metadatas?.forEach((meta, i) => {
    if (typeof meta !== "object" || meta === null || Array.isArray(meta)) {
      throw new ConfigError(`metadatas[${i}] must be an object`, { field: `metadatas[${i}]` });
    }
    for (const key of Object.keys(meta)) {
      const problem = metadataKeyProblem(key);
      if (problem) {
        throw new ConfigError(`metadatas[${i}] has the key ${JSON.stringify(key)}: ${problem}`, {
          field: `metadatas[${i}].${key}`,
        });
      }
    }
  });
  if (ids) {
    const seen = new Set<string>();
    ids.forEach((id, i) => {
      if (typeof id !== "string" || id === "") {
        throw new ConfigError(`ids[${i}] must be a non-empty string`, { field: `ids[${i}]` });
      }
      if (seen.has(id))
        throw new ConfigError(`ids[${i}] ("${id}") is repeated in this batch`, { field: `ids[${i}]` });
      seen.add(id);
    });
    return [...ids];
  }
  return documents.map(() => crypto.randomUUID());
}

/** Key prefixes the stores keep for themselves (Chroma: `$` operators, `#document`, `chroma:document`). */
const RESERVED_KEY_PREFIXES = ["$", "#", "chroma:"];

/**
 * Why `key` cannot be a metadata key, or null when it can. Every store refuses the same keys:
 * the empty key, and keys starting with "$", "#" or "chroma:" (operators and fields reserved by
 * the backends, which one of them would reject or silently drop).
 */
export function metadataKeyProblem(key: string): string | null {
  if (key === "") return "metadata keys must not be empty";
  const prefix = RESERVED_KEY_PREFIXES.find((p) => key.startsWith(p));
  if (prefix) {
    return `metadata keys must not start with ${RESERVED_KEY_PREFIXES.map((p) => JSON.stringify(p)).join(", ")} (reserved by the vector stores); rename it`;
  }
  return null;
}
