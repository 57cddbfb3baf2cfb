/** POST /v1/embeddings: the configured embedding model (the one the store embeds with). */
import { createRoute } from "@hono/zod-openapi";
import { servedModelIds } from "../collections.ts";
import { ApiError } from "../errors.ts";
import { checkModel, invalid, unsupported } from "../params.ts";
import { EmbeddingListSchema, EmbeddingRequestSchema } from "../schemas.ts";
import { decodeTokenInput } from "../token-input.ts";
import { type App, COMMON, errors, json, jsonBody, jsonRoute, type RouteContext } from "./shared.ts";

const MAX_INPUTS = 2048;

/** A vector as OpenAI's base64 encoding: little-endian float32s. */
function base64(vector: number[]): string {
  const floats = new Float32Array(vector);
  return Buffer.from(floats.buffer, floats.byteOffset, floats.byteLength).toString("base64");
}

export function registerEmbeddings(app: App, ctx: RouteContext): void {
  jsonRoute(
    app,
    ctx,
    createRoute({
      method: "post",
      path: "/v1/embeddings",
      tags: ["OpenAI"],
      summary: "Create embeddings",
      description:
        "Embeds text with the server's embedding model (the one its vector store uses). Without one " +
        "configured, answers 400 `embeddings_not_configured`. `input` may also be token ids (an array " +
        "of integers, or of such arrays, as LangChain's `OpenAIEmbeddings` sends by default): they are " +
        "read as `cl100k_base` tokens, the encoding of OpenAI's embedding models, and decoded to the " +
        "text they encode. `usage` counts token-id input exactly and estimates text (4 characters a token).",
      request: { body: jsonBody(EmbeddingRequestSchema) },
      responses: {
        200: json(EmbeddingListSchema, "One embedding per input, in order"),
        ...errors(400, 404, 413, 502, 503, ...COMMON),
      },
    }),
    EmbeddingRequestSchema,
    async (c, body) => {
      const embedding = ctx.embedding;
      if (!embedding) {
        throw new ApiError(
          400,
          "No embedding model is configured on this server, so /v1/embeddings is not available (configure the store's embedding model).",
          { param: "model", code: "embeddings_not_configured" },
        );
      }
      const model = body.model;
      if (model && model !== ctx.modelName && !embedding.ids.includes(model)) {
        // A chat model of this server (listed by /v1/models): not "does not exist", the wrong endpoint.
        if ((await servedModelIds(ctx)).includes(model)) {
          throw new ApiError(
            404,
            `The model '${model.slice(0, 200)}' is not supported by this endpoint: it is not an embedding model. Use ${embedding.ids.join(", ")}.`,
            { param: "model", code: "model_not_found" },
          );
        }
      }
      checkModel(model, [...embedding.ids, ctx.modelName]);
      const input = body.input;
      let texts: string[];
      // Token-id input is counted exactly; text is estimated (4 characters a token).
      let tokenCount: number | undefined;
      if (typeof input === "string") texts = [input];
      else if (input.every((x) => typeof x === "string")) texts = input as string[];
      else if (input.every((x) => typeof x === "number")) {
        texts = await decodeTokenInput([input as number[]], ["input"]);
        tokenCount = input.length;
      } else if (input.every((x) => Array.isArray(x))) {
        const lists = input as number[][];
        texts = await decodeTokenInput(
          lists,
          lists.map((_, i) => `input[${i}]`),
        );
        tokenCount = lists.reduce((n, list) => n + list.length, 0);
      } else throw invalid("input", "input must be a string, an array of strings, or token ids.");
      if (texts.length === 0) throw invalid("input", "input must not be empty.");
      if (texts.length > MAX_INPUTS) throw invalid("input", `At most ${MAX_INPUTS} inputs per request.`);
      texts.forEach((t, i) => {
        if (t === "")
          throw invalid(
            typeof input === "string" ? "input" : `input[${i}]`,
            "input must not contain empty strings.",
          );
      });
      const vectors = await embedding.embed(texts, { signal: c.req.raw.signal });
      const dimension = vectors[0]?.length ?? 0;
      if (body.dimensions !== undefined && body.dimensions !== dimension) {
        throw unsupported(
          "dimensions",
          `This embedding model returns ${dimension}-dimensional vectors; dimensions=${body.dimensions} is not supported.`,
        );
      }
      const asBase64 = body.encoding_format === "base64";
      const tokens = tokenCount ?? texts.reduce((n, t) => n + Math.ceil(t.length / 4), 0);
      return c.json(
        {
          object: "list" as const,
          data: vectors.map((v, index) => ({
            object: "embedding" as const,
            index,
            embedding: asBase64 ? base64(v) : v,
          })),
          model: body.model ?? embedding.ids[0] ?? ctx.modelName,
          usage: { prompt_tokens: tokens, total_tokens: tokens },
        },
        200,
      );
    },
  );
}
