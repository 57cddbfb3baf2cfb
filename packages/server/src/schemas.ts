import { z } from "@hono/zod-openapi";

// Request schemas are deliberately not strict: unknown fields are ignored, as OpenAI clients
// send many (top_p, user, seed, tools, ...) that do not change what DeepRecall does.

export const ErrorSchema = z
  .object({
    error: z.object({
      message: z.string(),
      type: z.string(),
      param: z.string().nullable(),
      code: z.string().nullable(),
    }),
  })
  .openapi("Error");

const TextPart = z
  .object({ type: z.string().openapi({ example: "text" }), text: z.string().optional() })
  .openapi("ContentPart", { description: 'Only `{ "type": "text", "text": ... }` parts are supported.' });

const MessageSchema = z
  .object({
    role: z.enum(["system", "developer", "user", "assistant", "tool", "function"]),
    content: z
      .union([z.string(), z.array(TextPart)])
      .nullable()
      .optional(),
    name: z.string().optional(),
  })
  .openapi("ChatMessage");

const FilterSchema = z.record(z.string(), z.unknown()).openapi("MetadataFilter", {
  description:
    "Chroma-style metadata filter: equality shorthand, $eq $ne $gt $gte $lt $lte $in $nin $and $or.",
  example: { source: "report.pdf", year: { $gte: 2020 } },
});

const BudgetSchema = z
  .object({
    max_iterations: z.number().int().positive().optional(),
    max_search_calls: z.number().int().nonnegative().optional(),
    max_tokens: z.number().int().positive().optional(),
    max_time_seconds: z.number().positive().optional(),
    max_cost_usd: z.number().positive().optional(),
  })
  .openapi("QueryBudget");

const DeepRecallRequestSchema = z
  .object({
    top_k: z.number().int().positive().max(1000).optional(),
    filters: FilterSchema.optional(),
    budget: BudgetSchema.optional(),
    no_cache: z.boolean().optional(),
  })
  .openapi("DeepRecallRequestOptions", { description: "DeepRecall extension (not in the OpenAI spec)." });

export const ChatCompletionRequestSchema = z
  .object({
    model: z.string().optional().openapi({ example: "deeprecall" }),
    messages: z.array(MessageSchema).min(1),
    stream: z.boolean().nullable().optional(),
    stream_options: z.object({ include_usage: z.boolean().nullable().optional() }).nullable().optional(),
    temperature: z.number().min(0).max(2).nullable().optional(),
    max_tokens: z.number().int().positive().nullable().optional(),
    max_completion_tokens: z.number().int().positive().nullable().optional(),
    n: z.number().int().positive().nullable().optional().openapi({ description: "Only 1 is supported." }),
    deeprecall: DeepRecallRequestSchema.optional(),
  })
  .openapi("ChatCompletionRequest", {
    example: {
      model: "deeprecall",
      messages: [
        { role: "system", content: "You are a helpful assistant." },
        { role: "user", content: "What caused the 2008 crisis?" },
      ],
    },
  });

export type ChatCompletionRequest = z.infer<typeof ChatCompletionRequestSchema>;

const SourceSchema = z
  .object({
    id: z.string(),
    content: z.string(),
    metadata: z.record(z.string(), z.unknown()),
    score: z.number(),
  })
  .openapi("Source");

const BudgetStatusSchema = z
  .object({
    iterations: z.number(),
    search_calls: z.number(),
    tokens: z.number(),
    elapsed_seconds: z.number(),
    cost_usd: z.number().nullable(),
    utilization: z.number().nullable(),
    exceeded: z.boolean(),
    exceeded_limit: z.string().nullable(),
    limits: z.record(z.string(), z.number()),
  })
  .openapi("BudgetStatus");

const StepSchema = z
  .object({
    iteration: z.number(),
    model_text: z.string(),
    code: z.array(z.string()),
    output: z.string(),
    searches: z.array(
      z.object({
        query: z.string(),
        top_k: z.number(),
        hits: z.number(),
        ids: z.array(z.string()),
        time_ms: z.number(),
      }),
    ),
    sub_llm_calls: z.number(),
    time_ms: z.number(),
    final: z.boolean(),
  })
  .openapi("ReasoningStep");

export const DeepRecallExtensionSchema = z
  .object({
    sources: z.array(SourceSchema),
    confidence: z.number().nullable(),
    budget_status: BudgetStatusSchema.nullable(),
    steps: z.array(StepSchema),
    error: z.string().nullable(),
    execution_time_ms: z.number(),
    cost_usd: z.number().nullable(),
  })
  .openapi("DeepRecallExtension", {
    description:
      "DeepRecall extension (ignored by OpenAI clients): sources, confidence, budget status, steps.",
  });

const UsageSchema = z
  .object({ prompt_tokens: z.number(), completion_tokens: z.number(), total_tokens: z.number() })
  .openapi("Usage");

export const ChatCompletionSchema = z
  .object({
    id: z.string(),
    object: z.literal("chat.completion"),
    created: z.number(),
    model: z.string(),
    system_fingerprint: z.string().nullable(),
    choices: z.array(
      z.object({
        index: z.number(),
        message: z.object({
          role: z.literal("assistant"),
          content: z.string(),
          refusal: z.string().nullable(),
        }),
        logprobs: z.null(),
        finish_reason: z.enum(["stop", "length"]).openapi({
          description:
            '"stop" when the model gave its own answer; "length" when a budget or limit (max_iterations, max_tokens, time, …) ended the run and the answer is a best-effort one (see `deeprecall.error` and `deeprecall.budget_status`).',
        }),
      }),
    ),
    usage: UsageSchema,
    deeprecall: DeepRecallExtensionSchema,
  })
  .openapi("ChatCompletion");

export const AddDocumentsRequestSchema = z
  .object({
    // Element checks are left to core's validateAddDocumentsInput, so the server rejects
    // exactly what the stores reject, with the same messages.
    documents: z.array(z.unknown()).openapi({ example: ["Document 1 text...", "Document 2 text..."] }),
    metadatas: z
      .array(z.unknown())
      .optional()
      .openapi({ example: [{ source: "a.txt" }, { source: "b.txt" }] }),
    ids: z
      .array(z.unknown())
      .optional()
      .openapi({ example: ["doc-1", "doc-2"] }),
    embeddings: z.array(z.array(z.number())).optional(),
  })
  .openapi("AddDocumentsRequest");

export const AddDocumentsResponseSchema = z
  .object({ ids: z.array(z.string()), count: z.number() })
  .openapi("AddDocumentsResponse");

export const DeleteDocumentsRequestSchema = z
  .object({ ids: z.array(z.string().min(1)).min(1) })
  .openapi("DeleteDocumentsRequest", { example: { ids: ["doc-1"] } });

export const DeleteDocumentsResponseSchema = z
  .object({ ids: z.array(z.string()), count: z.number(), deleted: z.literal(true) })
  .openapi("DeleteDocumentsResponse");

export const SearchRequestSchema = z
  .object({
    query: z.string().trim().min(1),
    top_k: z.number().int().positive().max(1000).optional(),
    filters: FilterSchema.optional(),
  })
  .openapi("SearchRequest", { example: { query: "credit default swaps", top_k: 5 } });

export const SearchResponseSchema = z
  .object({ object: z.literal("list"), data: z.array(SourceSchema), query: z.string() })
  .openapi("SearchResponse");

export const ModelSchema = z
  .object({ id: z.string(), object: z.literal("model"), created: z.number(), owned_by: z.string() })
  .openapi("Model");

export const ModelListSchema = z
  .object({ object: z.literal("list"), data: z.array(ModelSchema) })
  .openapi("ModelList");

export const UsageReportSchema = z
  .object({
    available: z.boolean(),
    message: z.string().optional(),
    total_queries: z.number().optional(),
    failed_queries: z.number().optional(),
    prompt_tokens: z.number().optional(),
    completion_tokens: z.number().optional(),
    total_tokens: z.number().optional(),
    llm_calls: z.number().optional(),
    search_calls: z.number().optional(),
    total_cost_usd: z.number().optional(),
    average_time_ms: z.number().optional(),
    by_model: z.record(z.string(), z.record(z.string(), z.number())).optional(),
    since: z.string().optional(),
  })
  .openapi("UsageReport");

export const CacheClearResponseSchema = z
  .object({ status: z.literal("ok"), cleared: z.boolean() })
  .openapi("CacheClear");

export const HealthSchema = z
  .object({
    status: z.enum(["ok", "degraded"]),
    model: z.string(),
    engine_model: z.string(),
    vector_store: z.string(),
    documents: z.number().nullable(),
    uptime_seconds: z.number(),
    version: z.string(),
  })
  .openapi("Health");
