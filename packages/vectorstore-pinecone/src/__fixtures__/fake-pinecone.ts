import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { fakeEmbedding } from "@deeprecall/test-utils";

/**
 * A small, real HTTP fake of Pinecone's REST API (version 2026-07, the one the v9 client speaks):
 * the control-plane `GET /indexes/{name}` and, per index under `/data/{name}`, the data plane
 * (`/vectors/upsert`, `/query`, `/vectors/fetch`, `/vectors/delete`, `/describe_index_stats`,
 * `/records/namespaces/{ns}/upsert|search`). It enforces the documented limits (1000 vectors and
 * 2 MB per upsert, 96 text records, 40 KB metadata, 1000 ids per fetch/delete, topK 10000 or 1000
 * with metadata), Pinecone's metadata types, and its filter language with list semantics (a filter
 * on a list field matches when any element matches; `$ne`/`$nin` need no element to match).
 * Closed-world on missing fields: `$ne`/`$nin` do not match records without the field, so clients
 * must say `$exists: false` when they want those.
 */

export type FakeMetric = "cosine" | "dotproduct" | "euclidean";

export interface FakeIndexSpec {
  name: string;
  dimension: number;
  metric?: FakeMetric;
  /** Integrated embedding: Pinecone embeds this field's text with a hosted model (faked with test-utils' fakeEmbedding). */
  integrated?: { textField: string; model?: string };
}

interface StoredRecord {
  id: string;
  values: number[];
  metadata: Record<string, unknown>;
}

interface FakeIndex extends Required<Omit<FakeIndexSpec, "integrated">> {
  integrated: FakeIndexSpec["integrated"];
  namespaces: Map<string, Map<string, StoredRecord>>;
}

export interface RequestLogEntry {
  method: string;
  path: string;
  apiVersion: string | undefined;
  records?: number;
}

const DEFAULT_NS = "__default__";

class HttpError extends Error {
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.status = status;
  }
}

/** Stands in for Pinecone's hosted embedding model: test-utils' deterministic offline embedding. */
async function hostedEmbed(texts: string[], dimension: number): Promise<number[][]> {
  return fakeEmbedding(dimension)(texts);
}

function score(metric: FakeMetric, a: number[], b: number[]): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  let d2 = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i] ?? 0;
    const y = b[i] ?? 0;
    dot += x * y;
    na += x * x;
    nb += y * y;
    d2 += (x - y) ** 2;
  }
  if (metric === "euclidean") return d2;
  if (metric === "dotproduct") return dot;
  return na === 0 || nb === 0 ? 0 : dot / Math.sqrt(na * nb);
}

function isScalar(v: unknown): boolean {
  return typeof v === "string" || typeof v === "number" || typeof v === "boolean";
}

function validateMetadata(metadata: unknown, where: string): Record<string, unknown> {
  if (metadata === undefined) return {};
  if (typeof metadata !== "object" || metadata === null || Array.isArray(metadata)) {
    throw new HttpError(400, `${where}: metadata must be an object`);
  }
  for (const [key, value] of Object.entries(metadata)) {
    const ok = isScalar(value) || (Array.isArray(value) && value.every((v) => typeof v === "string"));
    if (!ok) {
      throw new HttpError(
        400,
        `${where}: metadata value for key '${key}' must be a string, number, boolean or list of strings`,
      );
    }
  }
  if (Buffer.byteLength(JSON.stringify(metadata)) > 40 * 1024) {
    throw new HttpError(400, `${where}: metadata size exceeds the limit of 40960 bytes per vector`);
  }
  return metadata as Record<string, unknown>;
}

const FIELD_OPS = new Set(["$eq", "$ne", "$gt", "$gte", "$lt", "$lte", "$in", "$nin", "$exists"]);

function compare(actual: unknown, op: string, operand: unknown): boolean {
  const present = actual !== undefined;
  const list = Array.isArray(actual) ? actual : present ? [actual] : [];
  switch (op) {
    case "$exists":
      if (typeof operand !== "boolean") throw new HttpError(400, "$exists takes a boolean");
      return present === operand;
    case "$eq":
      if (!isScalar(operand)) throw new HttpError(400, "$eq takes a number, string or boolean");
      return list.includes(operand);
    case "$ne":
      if (!isScalar(operand)) throw new HttpError(400, "$ne takes a number, string or boolean");
      return present && !list.includes(operand);
    case "$gt":
    case "$gte":
    case "$lt":
    case "$lte": {
      if (typeof operand !== "number") throw new HttpError(400, `${op} takes a number`);
      if (typeof actual !== "number") return false;
      return op === "$gt"
        ? actual > operand
        : op === "$gte"
          ? actual >= operand
          : op === "$lt"
            ? actual < operand
            : actual <= operand;
    }
    case "$in":
    case "$nin": {
      if (!Array.isArray(operand) || !operand.every((v) => typeof v === "string" || typeof v === "number")) {
        throw new HttpError(400, `${op} takes an array of strings or numbers`);
      }
      const hit = list.some((v) => operand.includes(v));
      return op === "$in" ? hit : present && !hit;
    }
    default:
      throw new HttpError(400, `Unsupported filter operator ${op}`);
  }
}

export function matchesPineconeFilter(metadata: Record<string, unknown>, filter: unknown): boolean {
  if (typeof filter !== "object" || filter === null || Array.isArray(filter)) {
    throw new HttpError(400, "filter must be an object");
  }
  for (const [key, value] of Object.entries(filter)) {
    if (key === "$and" || key === "$or") {
      if (!Array.isArray(value)) throw new HttpError(400, `${key} takes an array`);
      const results = value.map((sub) => matchesPineconeFilter(metadata, sub));
      if (key === "$and" ? !results.every(Boolean) : !results.some(Boolean)) return false;
      continue;
    }
    if (key.startsWith("$")) throw new HttpError(400, `Unsupported filter operator ${key}`);
    if (typeof value === "object" && value !== null && !Array.isArray(value)) {
      for (const [op, operand] of Object.entries(value)) {
        if (!FIELD_OPS.has(op)) throw new HttpError(400, `Unsupported filter operator ${op}`);
        if (!compare(metadata[key], op, operand)) return false;
      }
    } else if (!compare(metadata[key], "$eq", value)) {
      return false;
    }
  }
  return true;
}

export class FakePinecone {
  readonly apiKey: string;
  readonly requests: RequestLogEntry[] = [];
  /** When set, data-plane requests fail with this status (to test error mapping)... */
  failDataPlaneWith: number | undefined;
  /** ...but only after this many more data-plane requests have succeeded. */
  failDataPlaneAfter = 0;
  readonly #indexes = new Map<string, FakeIndex>();
  readonly #server: Server;
  #url = "";

  constructor(options: { apiKey: string }) {
    this.apiKey = options.apiKey;
    this.#server = createServer((req, res) => {
      this.#handle(req, res).catch((error: unknown) => {
        const status = error instanceof HttpError ? error.status : 500;
        if (process.env.FAKE_PINECONE_DEBUG) console.error("fake-pinecone", status, (error as Error).stack);
        this.#send(res, status, {
          error: {
            code: status === 400 ? "INVALID_ARGUMENT" : "INTERNAL",
            message: (error as Error).message,
          },
          status,
        });
      });
    });
  }

  /** Base URL, e.g. http://127.0.0.1:1234 (the control plane); data planes live under /data/{index}. */
  get url(): string {
    return this.#url;
  }

  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.#server.listen(0, "127.0.0.1", resolve));
    this.#url = `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
    return this;
  }

  async stop(): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise<void>((resolve, reject) => this.#server.close((e) => (e ? reject(e) : resolve())));
  }

  createIndex(spec: FakeIndexSpec): void {
    this.#indexes.set(spec.name, {
      name: spec.name,
      dimension: spec.dimension,
      metric: spec.metric ?? "cosine",
      integrated: spec.integrated,
      namespaces: new Map(),
    });
  }

  hostOf(index: string): string {
    return `${this.#url}/data/${encodeURIComponent(index)}`;
  }

  /** Direct look at stored records, for assertions. */
  records(index: string, namespace = DEFAULT_NS): StoredRecord[] {
    return [...(this.#indexes.get(index)?.namespaces.get(namespace)?.values() ?? [])];
  }

  #send(res: ServerResponse, status: number, body: unknown): void {
    const text = body === undefined ? "" : JSON.stringify(body);
    res.writeHead(status, { "content-type": "application/json" });
    res.end(text);
  }

  async #readBody(req: IncomingMessage): Promise<string> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks).toString("utf8");
  }

  #namespace(index: FakeIndex, name: unknown): Map<string, StoredRecord> {
    const key = typeof name === "string" && name !== "" ? name : DEFAULT_NS;
    let ns = index.namespaces.get(key);
    if (!ns) {
      ns = new Map();
      index.namespaces.set(key, ns);
    }
    return ns;
  }

  #indexModel(index: FakeIndex): unknown {
    const fields: Record<string, unknown> = index.integrated
      ? {
          [index.integrated.textField]: {
            type: "semantic_text",
            model: index.integrated.model ?? "llama-text-embed-v2",
            dimension: index.dimension,
            metric: index.metric,
          },
        }
      : { _values: { type: "dense_vector", dimension: index.dimension, metric: index.metric } };
    return {
      name: index.name,
      host: this.hostOf(index.name),
      status: { ready: true, state: "Ready" },
      deployment: { deployment_type: "managed", cloud: "aws", region: "us-east-1" },
      schema: { fields },
      deletion_protection: "disabled",
      tags: {},
    };
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "http://fake");
    const apiVersion = req.headers["x-pinecone-api-version"];
    const entry: RequestLogEntry = {
      method: req.method ?? "GET",
      path: url.pathname,
      apiVersion: Array.isArray(apiVersion) ? apiVersion[0] : apiVersion,
    };
    this.requests.push(entry);
    if (req.headers["api-key"] !== this.apiKey) {
      throw new HttpError(401, "Invalid API Key");
    }
    const raw = await this.#readBody(req);
    if (Buffer.byteLength(raw) > 2 * 1024 * 1024) {
      throw new HttpError(400, "Request size exceeds the maximum supported size of 2MB");
    }

    const control = /^\/indexes\/([^/]+)$/.exec(url.pathname);
    if (control && req.method === "GET") {
      const index = this.#indexes.get(decodeURIComponent(control[1] ?? ""));
      if (!index) {
        this.#send(res, 404, { error: { code: "NOT_FOUND", message: "Resource not found" }, status: 404 });
        return;
      }
      this.#send(res, 200, this.#indexModel(index));
      return;
    }

    const data = /^\/data\/([^/]+)(\/.*)$/.exec(url.pathname);
    const index = data ? this.#indexes.get(decodeURIComponent(data[1] ?? "")) : undefined;
    if (!data || !index) throw new HttpError(404, `No route for ${req.method} ${url.pathname}`);
    if (this.failDataPlaneWith) {
      if (this.failDataPlaneAfter > 0) this.failDataPlaneAfter--;
      else throw new HttpError(this.failDataPlaneWith, "Injected failure");
    }
    const route = data[2] ?? "";
    const body =
      raw && req.headers["content-type"]?.startsWith("application/json") ? JSON.parse(raw) : undefined;

    if (route === "/vectors/upsert" && req.method === "POST") {
      const vectors = body?.vectors;
      if (!Array.isArray(vectors) || vectors.length === 0)
        throw new HttpError(400, "vectors must be a non-empty array");
      if (vectors.length > 1000) throw new HttpError(400, "Upsert batch exceeds the maximum of 1000 vectors");
      entry.records = vectors.length;
      const checked = vectors.map((v: { id?: unknown; values?: unknown; metadata?: unknown }, i: number) => {
        if (typeof v.id !== "string" || v.id === "") throw new HttpError(400, `vectors[${i}].id is required`);
        if (!Array.isArray(v.values) || v.values.length !== index.dimension) {
          throw new HttpError(
            400,
            `Vector dimension ${Array.isArray(v.values) ? v.values.length : 0} does not match the dimension of the index ${index.dimension}`,
          );
        }
        return {
          id: v.id,
          values: v.values as number[],
          metadata: validateMetadata(v.metadata, `vectors[${i}]`),
        };
      });
      const ns = this.#namespace(index, body.namespace);
      for (const record of checked) ns.set(record.id, record);
      this.#send(res, 200, { upsertedCount: checked.length });
      return;
    }

    if (route === "/query" && req.method === "POST") {
      const topK = body?.topK;
      if (!Number.isInteger(topK) || topK < 1 || topK > 10_000)
        throw new HttpError(400, "topK must be in 1..10000");
      if (body.includeMetadata && topK > 1000)
        throw new HttpError(400, "topK must be <= 1000 when including metadata");
      if (!Array.isArray(body.vector) || body.vector.length !== index.dimension) {
        throw new HttpError(
          400,
          `Query vector dimension does not match the dimension of the index ${index.dimension}`,
        );
      }
      const ns = this.#namespace(index, body.namespace);
      const candidates = [...ns.values()].filter(
        (r) => body.filter === undefined || matchesPineconeFilter(r.metadata, body.filter),
      );
      const scored = candidates.map((r) => ({ r, s: score(index.metric, body.vector, r.values) }));
      scored.sort((a, b) => (index.metric === "euclidean" ? a.s - b.s : b.s - a.s));
      this.#send(res, 200, {
        matches: scored.slice(0, topK).map(({ r, s }) => ({
          id: r.id,
          score: s,
          values: body.includeValues ? r.values : [],
          ...(body.includeMetadata ? { metadata: r.metadata } : {}),
        })),
        namespace: body.namespace ?? "",
        usage: { readUnits: 1 },
      });
      return;
    }

    if (route === "/vectors/fetch" && req.method === "GET") {
      const ids = url.searchParams.getAll("ids");
      if (ids.length === 0 || ids.length > 1000) throw new HttpError(400, "fetch takes 1..1000 ids");
      const ns = this.#namespace(index, url.searchParams.get("namespace"));
      const vectors: Record<string, StoredRecord> = {};
      for (const id of ids) {
        const record = ns.get(id);
        if (record) vectors[id] = record;
      }
      this.#send(res, 200, {
        vectors,
        namespace: url.searchParams.get("namespace") ?? "",
        usage: { readUnits: 1 },
      });
      return;
    }

    if (route === "/vectors/list" && req.method === "GET") {
      // Ids in lexicographic order, as Pinecone lists them; the token is the last id listed.
      const limit = Number(url.searchParams.get("limit") ?? 100);
      if (!Number.isInteger(limit) || limit < 1 || limit > 100)
        throw new HttpError(400, "limit must be in 1..100");
      const prefix = url.searchParams.get("prefix") ?? "";
      const token = url.searchParams.get("paginationToken");
      let after: string | undefined;
      if (token) {
        after = Buffer.from(token, "base64url").toString("utf8");
        if (Buffer.from(after, "utf8").toString("base64url") !== token)
          throw new HttpError(400, "Invalid pagination token");
      }
      const ns = this.#namespace(index, url.searchParams.get("namespace"));
      const ids = [...ns.keys()]
        .filter((id) => id.startsWith(prefix) && (after === undefined || id > after))
        .sort();
      const page = ids.slice(0, limit);
      this.#send(res, 200, {
        vectors: page.map((id) => ({ id })),
        ...(ids.length > limit
          ? { pagination: { next: Buffer.from(page.at(-1)!).toString("base64url") } }
          : {}),
        namespace: url.searchParams.get("namespace") ?? "",
        usage: { readUnits: 1 },
      });
      return;
    }

    if (route === "/vectors/delete" && req.method === "POST") {
      const ns = this.#namespace(index, body?.namespace);
      if (body?.deleteAll) ns.clear();
      else if (Array.isArray(body?.ids)) {
        if (body.ids.length > 1000) throw new HttpError(400, "delete takes at most 1000 ids");
        for (const id of body.ids) ns.delete(id);
      } else throw new HttpError(400, "delete needs ids, deleteAll or filter");
      this.#send(res, 200, {});
      return;
    }

    if (route === "/describe_index_stats" && req.method === "POST") {
      const namespaces: Record<string, { vectorCount: number }> = {};
      let total = 0;
      for (const [name, ns] of index.namespaces) {
        if (ns.size === 0) continue;
        namespaces[name] = { vectorCount: ns.size };
        total += ns.size;
      }
      this.#send(res, 200, {
        namespaces,
        dimension: index.dimension,
        indexFullness: 0,
        totalVectorCount: total,
        metric: index.metric,
        vectorType: "dense",
      });
      return;
    }

    const records = /^\/records\/namespaces\/([^/]+)\/(upsert|search)$/.exec(route);
    if (records && req.method === "POST") {
      if (!index.integrated) {
        throw new HttpError(400, "Integrated inference is not configured for this index");
      }
      const textField = index.integrated.textField;
      const ns = this.#namespace(index, decodeURIComponent(records[1] ?? ""));
      if (records[2] === "upsert") {
        const lines = raw.split("\n").filter((line) => line.trim() !== "");
        if (lines.length === 0) throw new HttpError(400, "no records");
        if (lines.length > 96)
          throw new HttpError(400, "Batch size exceeds the maximum of 96 records for text");
        entry.records = lines.length;
        const parsed = lines.map((line, i) => {
          const { _id, id, ...fields } = JSON.parse(line) as Record<string, unknown>;
          const recordId = _id ?? id;
          if (typeof recordId !== "string") throw new HttpError(400, `record ${i} needs _id`);
          const text = fields[textField];
          if (typeof text !== "string")
            throw new HttpError(400, `record ${i} is missing field '${textField}'`);
          const { [textField]: _text, ...metadata } = fields;
          return {
            id: recordId,
            text,
            metadata: { ...validateMetadata(metadata, `record ${i}`), [textField]: text },
          };
        });
        const vectors = await hostedEmbed(
          parsed.map((p) => p.text),
          index.dimension,
        );
        parsed.forEach((p, i) => {
          ns.set(p.id, { id: p.id, values: vectors[i] ?? [], metadata: p.metadata });
        });
        res.writeHead(201);
        res.end();
        return;
      }
      const query = body?.query;
      const topK = query?.top_k;
      if (!Number.isInteger(topK) || topK < 1) throw new HttpError(400, "query.top_k is required");
      const text = query?.inputs?.text;
      if (typeof text !== "string") throw new HttpError(400, "query.inputs.text is required");
      const [vector = []] = await hostedEmbed([text], index.dimension);
      const candidates = [...ns.values()].filter(
        (r) => query.filter === undefined || matchesPineconeFilter(r.metadata, query.filter),
      );
      const scored = candidates
        .map((r) => ({ r, s: score(index.metric, vector, r.values) }))
        .sort((a, b) => b.s - a.s)
        .slice(0, topK);
      const fields: string[] | undefined = Array.isArray(body.fields) ? body.fields : undefined;
      this.#send(res, 200, {
        result: {
          hits: scored.map(({ r, s }) => ({
            _id: r.id,
            _score: s,
            fields: fields
              ? Object.fromEntries(fields.filter((f) => f in r.metadata).map((f) => [f, r.metadata[f]]))
              : r.metadata,
          })),
        },
        usage: { read_units: 1, embed_total_tokens: text.split(/\s+/).length },
      });
      return;
    }

    throw new HttpError(404, `No route for ${req.method} ${route}`);
  }
}
