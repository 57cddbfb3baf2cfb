/**
 * POST /v1/documents/upload: files (multipart/form-data) loaded, chunked and stored with the
 * loaders and the chunker of `deeprecall ingest` (@deeprecall/ingest).
 */
import { ConfigError, type DeepRecallEngineApi, type StoredDocument } from "@deeprecall/core";
import {
  DEFAULT_CHUNK_OVERLAP,
  DEFAULT_CHUNK_SIZE,
  DEFAULT_MAX_FILE_SIZE,
  isUploadChunkOf,
  type PreparedUpload,
  prepareUpload,
  uploadName,
} from "@deeprecall/ingest";
import { createRoute, z } from "@hono/zod-openapi";
import { targetOfCollection } from "../collections.ts";
import { ApiError } from "../errors.ts";
import { CollectionField, ErrorSchema } from "../schemas.ts";
import type { CreateAppOptions } from "../types.ts";
import { type App, COMMON, errors, json, type RouteContext } from "./shared.ts";

export const UPLOAD_PATH = "/v1/documents/upload";
/** The default `uploadLimitBytes`: 50 MiB per request, all files together. */
export const DEFAULT_UPLOAD_LIMIT_BYTES = 50 * 1024 * 1024;

/** Documents read per `list` call while looking for the chunks of earlier versions. */
const LIST_PAGE = 1000;

const FileSchema = z
  .custom<File>((value) => value instanceof File, { message: "expected a file (a part with a filename)" })
  .openapi({ type: "string", format: "binary" });
const FilesField = z.union([FileSchema, z.array(FileSchema)]).optional();

export const UploadRequestSchema = z
  .object({
    files: FilesField.openapi({
      description:
        "The files, one part each (repeat the field for several): text, Markdown, HTML, PDF, JSON, CSV or source code, recognised by the extension of the part's filename. Only the base name of the filename is kept.",
    }),
    file: FilesField.openapi({ description: "Also accepted for the files." }),
    collection: CollectionField,
    chunk_size: z.coerce
      .number()
      .int()
      .min(50)
      .max(100_000)
      .optional()
      .openapi({
        description: `Characters per chunk. Default ${DEFAULT_CHUNK_SIZE}, as \`deeprecall ingest\`.`,
      }),
    chunk_overlap: z.coerce
      .number()
      .int()
      .min(0)
      .max(50_000)
      .optional()
      .openapi({
        description: `Characters shared by consecutive chunks, less than \`chunk_size\`. Default ${DEFAULT_CHUNK_OVERLAP} (or a fifth of a smaller \`chunk_size\`).`,
      }),
  })
  .openapi("DocumentUploadRequest");

const UploadedFileSchema = z
  .object({
    filename: z
      .string()
      .openapi({ description: "The name stored as the chunks' `source` (the base name sent)." }),
    status: z.enum(["ingested", "rejected"]),
    chunks: z.number().int().openapi({ description: "Chunks written (0 when rejected)." }),
    ids: z.array(z.string()).openapi({ description: "The chunk ids written, in order." }),
    bytes: z.number().int().openapi({ description: "Size of the file as received." }),
    reason: z.string().nullable().openapi({
      description: 'Why the file was rejected (e.g. `unsupported file type ".png"`); null when ingested.',
    }),
    replaced: z.number().int().openapi({
      description: "Chunks of an earlier upload of a file with this name (other content) deleted.",
    }),
  })
  .openapi("UploadedFile");

export const UploadResponseSchema = z
  .object({
    files: z
      .array(UploadedFileSchema)
      .openapi({ description: "One entry per file part, in the order sent." }),
    ingested: z.number().int().openapi({ description: "Files ingested." }),
    rejected: z.number().int().openapi({ description: "Files rejected." }),
    chunks: z.number().int().openapi({ description: "Chunks written in all." }),
  })
  .openapi("DocumentUploadResponse");

type UploadedFile = z.infer<typeof UploadedFileSchema>;

/**
 * Reads `uploadLimitBytes`, `maxFileSize` and `uploadChunking` from createApp's options; a
 * ConfigError when invalid.
 */
function uploadOptions(options: CreateAppOptions): {
  maxFileSize: number;
  chunkSize: number;
  chunkOverlap: number | undefined;
} {
  for (const field of ["uploadLimitBytes", "maxFileSize"] as const) {
    const value = options[field];
    if (value !== undefined && !(typeof value === "number" && Number.isInteger(value) && value > 0)) {
      throw new ConfigError(`${field} must be a positive integer (bytes), got ${String(value)}`, { field });
    }
  }
  const chunking = options.uploadChunking ?? {};
  const chunkSize = chunking.chunkSize ?? DEFAULT_CHUNK_SIZE;
  const chunkOverlap = chunking.chunkOverlap;
  if (!Number.isInteger(chunkSize) || chunkSize < 1) {
    throw new ConfigError(`uploadChunking.chunkSize must be a positive integer, got ${String(chunkSize)}`, {
      field: "uploadChunking.chunkSize",
    });
  }
  if (
    chunkOverlap !== undefined &&
    (!Number.isInteger(chunkOverlap) || chunkOverlap < 0 || chunkOverlap >= chunkSize)
  ) {
    throw new ConfigError(
      `uploadChunking.chunkOverlap must be an integer from 0 to chunkSize - 1, got ${String(chunkOverlap)}`,
      { field: "uploadChunking.chunkOverlap" },
    );
  }
  return { maxFileSize: options.maxFileSize ?? DEFAULT_MAX_FILE_SIZE, chunkSize, chunkOverlap };
}

const asList = <T>(value: T | T[] | undefined): T[] =>
  value === undefined ? [] : Array.isArray(value) ? value : [value];

/**
 * The chunks of earlier versions of the uploads in `current` (file name -> the ids its new
 * version has): every id the store holds with the name's upload prefix (`isUploadChunkOf`) that
 * the new version does not have. Uploads have no manifest recording what an earlier upload
 * wrote and a store cannot be queried by id prefix, so this pages through the store's `list()`
 * (one pass for all the files of a request). A store without `list` cannot say: nothing found.
 */
async function earlierVersions(
  store: DeepRecallEngineApi["vectorStore"],
  collection: string,
  current: Map<string, Set<string>>,
  signal: AbortSignal,
): Promise<Map<string, string[]>> {
  const stale = new Map<string, string[]>();
  if (typeof store.list !== "function" || current.size === 0) return stale;
  const owner = (doc: StoredDocument): string | undefined => {
    // The metadata names the file in chunks we wrote; the id prefix is what proves it.
    const name = doc.metadata?.source;
    if (typeof name === "string" && current.has(name) && isUploadChunkOf(doc.id, collection, name)) {
      return name;
    }
    for (const candidate of current.keys())
      if (isUploadChunkOf(doc.id, collection, candidate)) return candidate;
    return undefined;
  };
  let cursor: string | undefined;
  do {
    const page = await store.list({ limit: LIST_PAGE, signal, ...(cursor ? { cursor } : {}) });
    for (const doc of page.documents) {
      const name = owner(doc);
      if (name === undefined || current.get(name)!.has(doc.id)) continue;
      stale.set(name, [...(stale.get(name) ?? []), doc.id]);
    }
    cursor = page.nextCursor ?? undefined;
  } while (cursor);
  return stale;
}

/**
 * Registers `POST /v1/documents/upload`. Other methods on this path are 405s with `Allow: POST`
 * (the method-not-allowed middleware, and `GET /v1/documents/{id}`, which does not take "upload"
 * for an id: the concrete path wins over the templated one, as in OpenAPI). No middleware is
 * registered on the path itself, so Hono's RegExpRouter can route the app.
 */
export function registerUpload(app: App, ctx: RouteContext, options: CreateAppOptions): void {
  const defaults = uploadOptions(options);
  const { maxFileSize } = defaults;
  app.openapi(
    createRoute({
      method: "post",
      path: UPLOAD_PATH,
      tags: ["DeepRecall"],
      summary: "Upload files into the vector store",
      description:
        "Loads each file part (field `files`, or `file`) with the loaders of `deeprecall ingest` (text, Markdown, HTML, PDF, JSON, CSV, source code), cuts it into the same chunks with the same metadata (`source` and `filename`: the file's base name; `chunk`, `chunks`, `type`) and adds them to the default collection or `collection` (created when new). Chunk ids derive from the collection, the file name and its content: uploading the same file again duplicates nothing, and a new version of a file replaces the chunks of the earlier one (deleted once the new ones are written). A file that cannot be read is rejected with its reason while the others are ingested. The request may be up to `uploadLimitBytes` (default 50 MiB, else 413); each file up to `maxFileSize` (default 20 MiB).",
      request: {
        body: { required: true, content: { "multipart/form-data": { schema: UploadRequestSchema } } },
      },
      responses: {
        200: json(UploadResponseSchema, "What happened to each file"),
        ...errors(400, 404, 413, 502, 503, ...COMMON),
        415: json(ErrorSchema, "The body is not multipart/form-data"),
      },
    }),
    async (c) => {
      const form = c.req.valid("form");
      const files = [...asList(form.files), ...asList(form.file)];
      if (files.length === 0) {
        throw new ApiError(
          400,
          "No file in the request: send each file as a multipart/form-data part named 'files' (or 'file'), with a filename.",
          { param: "files", code: "missing_file" },
        );
      }
      const chunkSize = form.chunk_size ?? defaults.chunkSize;
      const chunkOverlap =
        form.chunk_overlap ??
        (form.chunk_size === undefined ? defaults.chunkOverlap : undefined) ??
        Math.min(DEFAULT_CHUNK_OVERLAP, Math.floor(chunkSize / 5));
      if (chunkOverlap >= chunkSize) {
        throw new ApiError(
          400,
          `Invalid value for 'chunk_overlap': must be less than chunk_size (${chunkSize}), got ${chunkOverlap}.`,
          { param: "chunk_overlap", code: "invalid_value" },
        );
      }
      const target = await targetOfCollection(ctx, form.collection, { create: true });
      const { engine } = target;
      // The collection name in the ids: the same for the default collection whether or not it
      // was named in the request (ids must not depend on how the request spelled it).
      const collection = target.collection ?? ctx.collections?.defaultName ?? "";

      // Of several files with one name in a request, the last is the version kept.
      const lastOfName = new Map<string, number>();
      files.forEach((file, i) => {
        const named = uploadName(file.name);
        if (named.ok) lastOfName.set(named.name, i);
      });

      const results: UploadedFile[] = [];
      const current = new Map<string, Set<string>>();
      for (const [i, file] of files.entries()) {
        const bytes = new Uint8Array(await file.arrayBuffer());
        const prepared: PreparedUpload = await prepareUpload(file.name, bytes, {
          collection,
          maxFileSize,
          chunkSize,
          chunkOverlap,
        });
        const rejected = (reason: string): UploadedFile => ({
          filename: prepared.filename,
          status: "rejected",
          chunks: 0,
          ids: [],
          bytes: prepared.bytes,
          reason,
          replaced: 0,
        });
        if (!prepared.ok) {
          results.push(rejected(prepared.reason));
          continue;
        }
        if (lastOfName.get(prepared.filename) !== i) {
          results.push(rejected("a later file in this request has the same name"));
          continue;
        }
        try {
          await engine.addDocuments({
            documents: prepared.documents,
            metadatas: prepared.metadatas,
            ids: prepared.ids,
          });
        } catch (error) {
          // The store refusing this file's documents is this file's problem; a store that is
          // down fails the request (502/503) like every other route.
          if (!ConfigError.isInstance(error)) throw error;
          results.push(rejected(`the vector store refused it: ${error.message}`));
          continue;
        }
        current.set(prepared.filename, new Set(prepared.ids));
        results.push({
          filename: prepared.filename,
          status: "ingested",
          chunks: prepared.ids.length,
          ids: prepared.ids,
          bytes: prepared.bytes,
          reason: null,
          replaced: 0,
        });
      }

      // Only now that every new version is written: delete the chunks of earlier ones.
      const stale = await earlierVersions(engine.vectorStore, collection, current, c.req.raw.signal);
      const deleted = [...stale.values()].flat();
      if (deleted.length > 0) await engine.deleteDocuments(deleted);
      for (const result of results) {
        if (result.status === "ingested") result.replaced = stale.get(result.filename)?.length ?? 0;
      }

      const ingested = results.filter((r) => r.status === "ingested");
      return c.json(
        {
          files: results,
          ingested: ingested.length,
          rejected: results.length - ingested.length,
          chunks: ingested.reduce((sum, r) => sum + r.chunks, 0),
        },
        200,
      );
    },
  );
}
