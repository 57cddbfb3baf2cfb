import fc from "fast-check";

/** Anything JSON, biased towards what our endpoints look at. */
const anyJson = fc.jsonValue({ maxDepth: 3 });
const text = fc.oneof(
  fc.string(),
  fc.string({ unit: "grapheme" }),
  fc.constantFrom("", " ", "\u0000", "\uD800", "𝕏".repeat(50), "a".repeat(5000)),
);
const number = fc.oneof(
  fc.integer(),
  fc.double(),
  fc.constantFrom(0, -1, 1e308, Number.MAX_SAFE_INTEGER + 2),
);

const contentPart = fc.oneof(
  fc.record({ type: fc.constant("text"), text }),
  fc.record({ type: fc.constantFrom("image_url", "input_audio", "file", "TEXT"), text: fc.option(text) }),
  anyJson,
);
const message = fc.record(
  {
    role: fc.oneof(fc.constantFrom("system", "developer", "user", "assistant", "tool", "function"), text),
    content: fc.oneof(text, fc.array(contentPart, { maxLength: 4 }), fc.constant(null), anyJson),
    name: fc.option(text),
  },
  { requiredKeys: [] },
);
const filter = fc.oneof(
  anyJson,
  fc.dictionary(
    fc.constantFrom("source", "year", "$and", "$or", "$gt", "__proto__", "constructor"),
    anyJson,
    { maxKeys: 3 },
  ),
  fc.record({ year: fc.record({ $gte: number }) }),
);

export const chatRequest = fc.record(
  {
    model: fc.oneof(text, anyJson),
    messages: fc.oneof(fc.array(message, { maxLength: 5 }), anyJson),
    stream: fc.oneof(fc.boolean(), fc.constant(null), anyJson),
    stream_options: fc.oneof(fc.record({ include_usage: fc.oneof(fc.boolean(), anyJson) }), anyJson),
    temperature: fc.oneof(number, anyJson),
    max_tokens: fc.oneof(number, anyJson),
    n: fc.oneof(fc.integer({ min: -2, max: 3 }), anyJson),
    deeprecall: fc.oneof(
      fc.record(
        {
          top_k: fc.oneof(number, anyJson),
          filters: filter,
          budget: fc.oneof(
            fc.dictionary(
              fc.constantFrom(
                "max_iterations",
                "max_search_calls",
                "max_tokens",
                "max_time_seconds",
                "max_cost_usd",
                "bogus",
              ),
              fc.oneof(number, anyJson),
            ),
            anyJson,
          ),
          no_cache: fc.oneof(fc.boolean(), anyJson),
        },
        { requiredKeys: [] },
      ),
      anyJson,
    ),
  },
  { requiredKeys: [] },
);

export const documentsRequest = fc.record(
  {
    documents: fc.oneof(fc.array(text, { maxLength: 4 }), anyJson),
    ids: fc.oneof(fc.array(text, { maxLength: 4 }), anyJson),
    metadatas: fc.oneof(fc.array(fc.dictionary(text, anyJson, { maxKeys: 3 }), { maxLength: 4 }), anyJson),
    embeddings: fc.oneof(fc.array(fc.array(number, { maxLength: 4 }), { maxLength: 4 }), anyJson),
  },
  { requiredKeys: [] },
);

export const searchRequest = fc.record(
  { query: fc.oneof(text, anyJson), top_k: fc.oneof(number, anyJson), filters: filter },
  { requiredKeys: [] },
);

export const deleteRequest = fc.record(
  { ids: fc.oneof(fc.array(text, { maxLength: 4 }), anyJson) },
  { requiredKeys: [] },
);

/** A request as raw bytes: any method, path, content type and body, JSON or not. */
export const rawRequest = fc.record({
  method: fc.constantFrom("GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD"),
  path: fc.oneof(
    fc.constantFrom(
      "/v1/chat/completions",
      "/v1/documents",
      "/v1/search",
      "/v1/models",
      "/v1/models/deeprecall",
      "/v1/usage",
      "/v1/cache/clear",
      "/health",
      "/openapi.json",
    ),
    fc.webPath(),
    fc.string().map((s) => `/v1/models/${encodeURIComponent(s)}`),
  ),
  contentType: fc.constantFrom(
    "application/json",
    "text/plain",
    "application/x-www-form-urlencoded",
    "multipart/form-data",
    "",
    "application/json; charset=latin1",
  ),
  body: fc.oneof(
    fc.string(),
    fc.jsonValue().map((v) => JSON.stringify(v)),
    fc.uint8Array({ maxLength: 200 }).map((b) => Buffer.from(b).toString("latin1")),
  ),
});

/** Requests that are valid or nearly so, so the property also drives full engine runs. */
export const validishChat = fc.record(
  {
    messages: fc
      .array(
        fc.record({
          role: fc.constantFrom("system", "user", "assistant", "user"),
          content: fc.oneof(
            text,
            fc.array(fc.record({ type: fc.constant("text"), text }), { minLength: 1, maxLength: 2 }),
          ),
        }),
        { minLength: 1, maxLength: 4 },
      )
      .map((m) => [...m, { role: "user", content: "Who developed the first compiler?" }]),
    stream: fc.boolean(),
    stream_options: fc.record({ include_usage: fc.boolean() }),
    temperature: fc.double({ min: 0, max: 2, noNaN: true }),
    deeprecall: fc.record(
      {
        top_k: fc.integer({ min: 1, max: 20 }),
        no_cache: fc.boolean(),
        filters: fc.constantFrom(undefined, { source: "x" }, { year: { $gte: 2000 } }),
      },
      { requiredKeys: [] },
    ),
  },
  { requiredKeys: ["messages"] },
);

/** Valid document batches (ids sometimes reused: a re-sent batch must not duplicate anything). */
export const validishDocuments = fc
  .array(
    fc.tuple(
      fc.string({ minLength: 1, maxLength: 200 }).filter((s) => s.trim() !== ""),
      fc.integer({ min: 0, max: 30 }),
    ),
    {
      minLength: 1,
      maxLength: 4,
    },
  )
  .map((pairs) => {
    const unique = [...new Map(pairs.map(([doc, id]) => [`fuzz-${id}`, doc])).entries()];
    return {
      documents: unique.map(([, doc]) => doc),
      ids: unique.map(([id]) => id),
      metadatas: unique.map(([id]) => ({ source: id })),
    };
  });
