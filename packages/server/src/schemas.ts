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
  .object({
    type: z.string().openapi({ example: "text" }),
    text: z.string().optional(),
    refusal: z.string().optional(),
  })
  .openapi("ContentPart", {
    description: 'Text parts (`{ "type": "text", "text": ... }`) and, in assistant turns, refusal parts.',
  });

const MessageSchema = z
  .object({
    role: z.enum(["system", "developer", "user", "assistant", "tool", "function"]),
    content: z
      .union([z.string(), z.array(TextPart)])
      .nullable()
      .optional(),
    name: z.string().optional(),
    refusal: z.string().nullable().optional(),
    tool_call_id: z.string().optional(),
    tool_calls: z.array(z.unknown()).nullable().optional(),
  })
  .openapi("ChatMessage");

const FilterSchema = z.record(z.string(), z.unknown()).openapi("MetadataFilter", {
  description:
    "Chroma-style metadata filter: equality shorthand, $eq $ne $gt $gte $lt $lte $in $nin $and $or.",
  example: { source: "report.pdf", year: { $gte: 2020 } },
});

/**
 * The 400 message for fields our own extension does not know: unlike OpenAI's fields, a
 * misspelt one (`max_time` for `max_time_seconds`) would otherwise be ignored without a word.
 */
const unknownFields =
  (what: string, known: readonly string[]) =>
  (issue: { code?: string; keys?: string[] }): string | undefined =>
    issue.code === "unrecognized_keys"
      ? `unknown ${what} field${issue.keys!.length === 1 ? "" : "s"} ${issue.keys!.map((k) => `'${k.slice(0, 40)}'`).join(", ")}; the fields are ${known.join(", ")}`
      : undefined;

const BUDGET_FIELDS = [
  "max_iterations",
  "max_search_calls",
  "max_tokens",
  "max_time_seconds",
  "max_cost_usd",
];

const BudgetSchema = z
  .strictObject(
    {
      max_iterations: z.number().int().positive().optional(),
      max_search_calls: z.number().int().nonnegative().optional(),
      max_tokens: z.number().int().positive().optional(),
      max_time_seconds: z.number().positive().optional(),
      max_cost_usd: z.number().positive().optional(),
    },
    { error: unknownFields("budget", BUDGET_FIELDS) },
  )
  .openapi("QueryBudget");

const EXTENSION_FIELDS = ["top_k", "filters", "budget", "no_cache", "strategy", "trace"];

const DeepRecallRequestSchema = z
  .strictObject(
    {
      top_k: z.number().int().positive().max(1000).optional(),
      filters: FilterSchema.optional(),
      budget: BudgetSchema.optional(),
      no_cache: z.boolean().optional(),
      strategy: z.enum(["repl", "tools"]).optional().openapi({
        description:
          'The reasoning strategy for this request: "repl" (the model writes code that searches) or "tools" (native tool calls). Default: the server\'s.',
      }),
      trace: z.boolean().optional().openapi({
        description:
          "Streaming chat completions only: also send the engine's live trace as `event: deeprecall.trace` SSE events (iterations, code, output, searches with hit scores, sub-LLM calls, budget status), interleaved with the chunks. For SSE readers that dispatch on the event name (a browser's EventSource, a console): OpenAI's official SDKs parse every event as a chunk (they skip only `thread.*` events), so their stream helpers fail on these; leave it off with them.",
      }),
    },
    { error: unknownFields("deeprecall", EXTENSION_FIELDS) },
  )
  .openapi("DeepRecallRequestOptions", {
    description: "DeepRecall extension (not in the OpenAI spec). Unknown fields are a 400.",
  });

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

const usageFields = {
  prompt_tokens: z.number(),
  completion_tokens: z.number(),
  total_tokens: z.number(),
  prompt_tokens_details: z.object({ cached_tokens: z.number() }).optional().openapi({
    description:
      "Prompt tokens read from the provider's prompt cache (part of `prompt_tokens`); present only when the provider reported them.",
  }),
  completion_tokens_details: z.object({ reasoning_tokens: z.number() }).optional().openapi({
    description:
      "Tokens the model spent reasoning (part of `completion_tokens`); present only when the provider reported them.",
  }),
};

const UsageSchema = z.object(usageFields).openapi("Usage");

export const DeepRecallExtensionSchema = z
  .object({
    sources: z.array(SourceSchema),
    confidence: z.number().nullable(),
    budget_status: BudgetStatusSchema.nullable(),
    steps: z.array(StepSchema),
    error: z.string().nullable(),
    execution_time_ms: z.number(),
    cost_usd: z.number().nullable(),
    cached: z.boolean().openapi({ description: "True when the answer came from the answer cache." }),
    // Not the registered Usage component: a nullable $ref is not expressible in OpenAPI 3.0.
    cached_usage: z.object(usageFields).nullable().openapi({
      description: "On a cache hit: what the run that produced the answer spent (`usage` is 0).",
    }),
  })
  .openapi("DeepRecallExtension", {
    description:
      "DeepRecall extension (ignored by OpenAI clients): sources, confidence, budget status, steps.",
  });

export const ChatCompletionSchema = z
  .object({
    id: z.string(),
    object: z.literal("chat.completion"),
    created: z.number(),
    model: z.string(),
    choices: z.array(
      z.object({
        index: z.number(),
        message: z.object({
          role: z.literal("assistant"),
          content: z.string().nullable(),
          refusal: z.string().nullable(),
          tool_calls: z
            .array(
              z.object({
                id: z.string(),
                type: z.literal("function"),
                function: z.object({ name: z.string(), arguments: z.string() }),
              }),
            )
            .optional(),
          annotations: z
            .array(
              z.object({
                type: z.literal("url_citation"),
                url_citation: z.object({
                  url: z.string(),
                  title: z.string(),
                  start_index: z.number().int(),
                  end_index: z.number().int(),
                }),
              }),
            )
            .openapi({
              description:
                "The sources of the answer as citations: one per place the answer cites a source ([1], [2], …; start_index/end_index span it), then one per uncited source at the end of the answer (start_index = end_index = its length). `url` is the source's own http(s) `metadata.url`, else `<server>/v1/documents/<id>`; `title` its metadata title/source/path, else its id. When streaming they come as `delta.annotations` once the answer is complete.",
            }),
        }),
        logprobs: z.null(),
        finish_reason: z.enum(["stop", "length", "tool_calls"]).openapi({
          description:
            '"stop" when the model gave its own answer; "length" when a budget or limit (max_iterations, max_tokens, time, …) ended the run and the answer is a best-effort one (see `deeprecall.error` and `deeprecall.budget_status`); "tool_calls" when a forced `tool_choice` was answered with that tool call.',
        }),
      }),
    ),
    usage: UsageSchema,
    deeprecall: DeepRecallExtensionSchema.optional().openapi({
      description: "Absent on answers of the task model (a direct model call: no sources, no steps).",
    }),
  })
  .openapi("ChatCompletion");

export const CollectionField = z.string().min(1).max(200).optional().openapi({
  description:
    "DeepRecall extension: the collection (served as the model `deeprecall/<collection>`). Default: the default collection (model `deeprecall`); an unknown one is a 404 `collection_not_found`.",
  example: "contracts",
});

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
    collection: CollectionField.openapi({
      description:
        "The collection to add to (created when new; it is then served as the model `deeprecall/<collection>`). Default: the default collection.",
      example: "contracts",
    }),
  })
  .openapi("AddDocumentsRequest");

export const AddDocumentsResponseSchema = z
  .object({ ids: z.array(z.string()), count: z.number() })
  .openapi("AddDocumentsResponse");

export const DeleteDocumentsRequestSchema = z
  .object({ ids: z.array(z.string().min(1)).min(1), collection: CollectionField })
  .openapi("DeleteDocumentsRequest", { example: { ids: ["doc-1"] } });

export const DeleteDocumentsResponseSchema = z
  .object({
    ids: z.array(z.string()).openapi({ description: "The ids that were removed." }),
    count: z.number().openapi({ description: "How many documents were removed." }),
    deleted: z.boolean().openapi({ description: "True when at least one document was removed." }),
    not_found: z.array(z.string()).openapi({ description: "Requested ids the store did not hold." }),
  })
  .openapi("DeleteDocumentsResponse");

export const DocumentSchema = z
  .object({
    object: z.literal("document"),
    id: z.string(),
    content: z.string(),
    metadata: z.record(z.string(), z.unknown()),
  })
  .openapi("Document", { description: "A stored document (chunk): what citation links point at." });

export const CollectionQuerySchema = z.object({ collection: CollectionField });

export const ListDocumentsQuerySchema = z.object({
  collection: CollectionField,
  limit: z.coerce
    .number()
    .int()
    .min(1)
    .max(1000)
    .optional()
    .openapi({ description: "Documents per page (1–1000). Default 100.", example: 100 }),
  after: z.string().min(1).optional().openapi({ description: "The `next_cursor` of the previous page." }),
  q: z.string().max(1000).optional().openapi({
    description:
      "Search: only the documents whose content, or whose `source`, `title` or `path` metadata, contains this text (case-insensitive; surrounding spaces ignored; empty: no search). The page holds up to `limit` matches; continue with `after` and the same `q`.",
    example: "revenue",
  }),
});

export const DocumentListSchema = z
  .object({
    object: z.literal("list"),
    data: z.array(DocumentSchema),
    has_more: z.boolean(),
    next_cursor: z.string().nullable().openapi({ description: "Pass as `after` for the next page." }),
  })
  .openapi("DocumentList");

export const SearchRequestSchema = z
  .object({
    query: z.string().trim().min(1),
    top_k: z.number().int().positive().max(1000).optional(),
    filters: FilterSchema.optional(),
    collection: CollectionField,
  })
  .openapi("SearchRequest", { example: { query: "credit default swaps", top_k: 5 } });

export const SearchResponseSchema = z
  .object({ object: z.literal("list"), data: z.array(SourceSchema), query: z.string() })
  .openapi("SearchResponse");

export const ModelSchema = z
  .object({
    id: z.string(),
    object: z.literal("model"),
    created: z.number(),
    owned_by: z.string(),
    collection: z.string().optional().openapi({
      description:
        "DeepRecall extension, when the server serves several collections: the collection this model answers from.",
    }),
    documents: z.number().int().optional().openapi({
      description: "DeepRecall extension: how many documents (chunks) the collection holds.",
    }),
  })
  .openapi("Model");

export const ModelListSchema = z
  .object({ object: z.literal("list"), data: z.array(ModelSchema) })
  .openapi("ModelList");

const UsageTotalsSchema = z
  .object({
    total_queries: z.number(),
    total_tokens: z.number(),
    total_searches: z.number(),
    total_time: z.number().openapi({ description: "Seconds, summed over queries." }),
    errors: z.number(),
    failed_queries: z.number(),
    prompt_tokens: z.number(),
    completion_tokens: z.number(),
    llm_calls: z.number(),
    search_calls: z.number(),
    total_cost_usd: z.number(),
    average_time_ms: z.number(),
    by_model: z.record(z.string(), z.record(z.string(), z.number())),
    since: z.string(),
    recent_queries: z
      .array(
        z.object({
          query: z.string(),
          started_at: z.string(),
          time_ms: z.number(),
          total_tokens: z.number(),
          cost_usd: z.number().nullable(),
          error: z.string().nullable(),
        }),
      )
      .openapi({ description: "The most recent queries (up to 50), newest first." }),
  })
  .openapi("UsageTotals");

export const UsageReportSchema = z
  .object({
    status: z.literal("ok"),
    usage: UsageTotalsSchema.nullable(),
    message: z.string().optional(),
  })
  .openapi("UsageReport", {
    description:
      "The Python original's shape: `usage` is null (with a message) when no usage tracker is registered.",
  });

export const CacheClearResponseSchema = z
  .object({ status: z.literal("ok"), message: z.string() })
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

// ---- shared OpenAI request fields ------------------------------------------------------------

const StopSchema = z
  .union([z.string(), z.array(z.string())])
  // A refinement, not .max(4) inside the union: a failed union only says "Invalid input".
  .refine((stop) => typeof stop === "string" || stop.length <= 4, "at most 4 stop sequences are allowed")
  .nullable()
  .optional()
  .openapi({ description: "Up to 4 sequences; the answer is cut before the first one found." });

/**
 * OpenAI's `metadata`: at most 16 pairs, keys of at most 64 characters, string values of at most
 * 512 (its `Metadata` schema). Accepted and, on the Responses API, echoed.
 */
const MetadataSchema = z
  .record(z.string(), z.string().max(512))
  .check((ctx) => {
    const keys = Object.keys(ctx.value);
    const long = keys.find((key) => key.length > 64);
    if (keys.length > 16 || long !== undefined) {
      ctx.issues.push({
        code: "custom",
        input: ctx.value,
        message:
          long !== undefined
            ? `keys are at most 64 characters (got one of ${long.length})`
            : `at most 16 key-value pairs (got ${keys.length})`,
      });
    }
  })
  .nullable()
  .optional();

/** OpenAI's `service_tier` values: accepted; every request is served the same way. */
const ServiceTierSchema = z.enum(["auto", "default", "flex", "scale", "priority"]).nullable().optional();

const SamplingFields = {
  temperature: z.number().min(0).max(2).nullable().optional(),
  top_p: z.number().min(0).max(1).nullable().optional(),
  seed: z.number().int().min(Number.MIN_SAFE_INTEGER).max(Number.MAX_SAFE_INTEGER).nullable().optional(),
  presence_penalty: z.number().min(-2).max(2).nullable().optional(),
  frequency_penalty: z.number().min(-2).max(2).nullable().optional(),
  user: z.string().optional(),
};

const JsonSchemaFormat = z.object({
  name: z
    .string()
    .regex(/^[a-zA-Z0-9_-]{1,64}$/, "must be 1-64 characters of a-z, A-Z, 0-9, _ and -")
    .optional(),
  description: z.string().optional(),
  schema: z.record(z.string(), z.unknown()).optional(),
  strict: z.boolean().nullable().optional(),
});

const ResponseFormatSchema = z
  .object({
    type: z.enum(["text", "json_object", "json_schema"]),
    json_schema: JsonSchemaFormat.optional(),
  })
  .nullable()
  .optional()
  .openapi("ResponseFormat", {
    description:
      "json_object / json_schema: the engine answers, then one structured-output call shapes the answer.",
  });

const FunctionDefinition = z.object({
  name: z.string().regex(/^[a-zA-Z0-9_-]{1,64}$/, "must be 1-64 characters of a-z, A-Z, 0-9, _ and -"),
  description: z.string().optional(),
  parameters: z.record(z.string(), z.unknown()).optional(),
  strict: z.boolean().nullable().optional(),
});

const ChatToolSchema = z.object({
  type: z.string().openapi({ example: "function" }),
  function: FunctionDefinition.optional(),
});

const ToolChoiceSchema = z
  .union([z.string(), z.object({ type: z.string() }).loose()])
  .nullable()
  .optional()
  .openapi({
    description:
      '"none"/"auto" ignore the tools; "required" (with one tool) or a named function returns that tool call.',
  });

export const ChatCompletionRequestSchema = z
  .object({
    model: z.string().optional().openapi({ example: "deeprecall" }),
    messages: z.array(MessageSchema).min(1),
    stream: z.boolean().nullable().optional(),
    stream_options: z.object({ include_usage: z.boolean().nullable().optional() }).nullable().optional(),
    max_tokens: z.number().int().positive().nullable().optional(),
    max_completion_tokens: z.number().int().positive().nullable().optional(),
    n: z.number().int().positive().nullable().optional().openapi({ description: "Only 1 is supported." }),
    stop: StopSchema,
    logprobs: z.boolean().nullable().optional().openapi({ description: "Not supported: true is a 400." }),
    top_logprobs: z.number().int().min(0).max(20).nullable().optional(),
    response_format: ResponseFormatSchema,
    tools: z.array(ChatToolSchema).optional(),
    tool_choice: ToolChoiceSchema,
    parallel_tool_calls: z.boolean().nullable().optional(),
    function_call: z
      .union([z.string(), z.object({ name: z.string() }).loose()])
      .nullable()
      .optional()
      .openapi({
        description: 'Deprecated. "none"/"auto" are ignored; naming a function is a 400 (use tool_choice).',
      }),
    modalities: z.array(z.string()).nullable().optional(),
    // Accepted within OpenAI's ranges and not applied (the engine's answer is not sampled token by token).
    logit_bias: z.record(z.string(), z.number().min(-100).max(100)).nullable().optional(),
    service_tier: ServiceTierSchema,
    metadata: MetadataSchema,
    store: z.boolean().nullable().optional(),
    ...SamplingFields,
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

// ---- completions (legacy) ----------------------------------------------------------------------

export const CompletionRequestSchema = z
  .object({
    model: z.string().optional().openapi({ example: "deeprecall" }),
    prompt: z.union([z.string(), z.array(z.string()), z.array(z.number()), z.array(z.array(z.number()))]),
    stream: z.boolean().nullable().optional(),
    stream_options: z.object({ include_usage: z.boolean().nullable().optional() }).nullable().optional(),
    max_tokens: z.number().int().positive().nullable().optional(),
    n: z.number().int().positive().nullable().optional(),
    best_of: z.number().int().positive().nullable().optional(),
    echo: z.boolean().nullable().optional(),
    logprobs: z.number().int().min(0).max(5).nullable().optional(),
    suffix: z.string().nullable().optional(),
    stop: StopSchema,
    ...SamplingFields,
    deeprecall: DeepRecallRequestSchema.optional(),
  })
  .openapi("CompletionRequest", { example: { model: "deeprecall", prompt: "What caused the 2008 crisis?" } });

export type CompletionRequest = z.infer<typeof CompletionRequestSchema>;

export const CompletionSchema = z
  .object({
    id: z.string(),
    object: z.literal("text_completion"),
    created: z.number(),
    model: z.string(),
    choices: z.array(
      z.object({
        text: z.string(),
        index: z.number(),
        logprobs: z.null(),
        finish_reason: z.enum(["stop", "length"]),
      }),
    ),
    usage: UsageSchema,
    deeprecall: DeepRecallExtensionSchema,
  })
  .openapi("Completion");

// ---- responses ---------------------------------------------------------------------------------

const ResponseInputItem = z
  .object({ type: z.string().optional(), role: z.string().optional(), content: z.unknown().optional() })
  .loose();

const ResponseToolSchema = z
  .object({
    type: z.string().openapi({ example: "function" }),
    name: z.string().optional(),
    description: z.string().nullable().optional(),
    parameters: z.record(z.string(), z.unknown()).nullable().optional(),
    strict: z.boolean().nullable().optional(),
  })
  .loose();

export const ResponseRequestSchema = z
  .object({
    model: z.string().optional().openapi({ example: "deeprecall" }),
    input: z.union([z.string(), z.array(ResponseInputItem)]),
    instructions: z.string().nullable().optional(),
    stream: z.boolean().nullable().optional(),
    // OpenAI's minimum for the Responses API.
    max_output_tokens: z.number().int().min(16).nullable().optional(),
    text: z
      .object({
        format: z
          .object({
            type: z.enum(["text", "json_object", "json_schema"]),
            name: z.string().optional(),
            description: z.string().optional(),
            schema: z.record(z.string(), z.unknown()).optional(),
            strict: z.boolean().nullable().optional(),
          })
          .optional(),
        verbosity: z.enum(["low", "medium", "high"]).nullable().optional(),
      })
      .nullable()
      .optional(),
    // Accepted and echoed (OpenAI's values); DeepRecall's own reasoning is the engine's loop.
    reasoning: z
      .object({
        effort: z.enum(["none", "minimal", "low", "medium", "high", "xhigh", "max"]).nullable().optional(),
        summary: z.enum(["auto", "concise", "detailed"]).nullable().optional(),
      })
      .loose()
      .nullable()
      .optional(),
    truncation: z.enum(["auto", "disabled"]).nullable().optional(),
    service_tier: ServiceTierSchema,
    prompt_cache_key: z.string().nullable().optional(),
    safety_identifier: z.string().max(64).nullable().optional(),
    max_tool_calls: z.number().int().min(1).nullable().optional(),
    tools: z.array(ResponseToolSchema).optional(),
    tool_choice: ToolChoiceSchema,
    parallel_tool_calls: z.boolean().nullable().optional(),
    previous_response_id: z.string().nullable().optional().openapi({
      description:
        "A stored response of the same API key: its conversation (inputs and outputs, along its own chain) comes before `input`. Unknown → 400 `previous_response_not_found`.",
    }),
    conversation: z.unknown().optional(),
    background: z.boolean().nullable().optional(),
    store: z.boolean().nullable().optional().openapi({
      description:
        "Keep the finished response (default true) for GET /v1/responses/{response_id} and `previous_response_id`: in this server's memory, bounded, per API key.",
    }),
    metadata: MetadataSchema,
    top_logprobs: z.number().int().min(0).max(20).nullable().optional(),
    prompt: z.unknown().optional(),
    ...SamplingFields,
    deeprecall: DeepRecallRequestSchema.optional(),
  })
  .openapi("ResponseRequest", {
    example: { model: "deeprecall", input: "What caused the 2008 crisis?" },
  });

export type ResponseRequest = z.infer<typeof ResponseRequestSchema>;

export const ResponseObjectSchema = z
  .object({
    id: z.string(),
    object: z.literal("response"),
    created_at: z.number(),
    status: z.enum(["completed", "incomplete", "failed", "in_progress"]),
    model: z.string(),
    output: z.array(z.record(z.string(), z.unknown())),
    usage: z.record(z.string(), z.unknown()).nullable(),
    deeprecall: DeepRecallExtensionSchema.optional(),
  })
  .loose()
  .openapi("Response", { description: "An OpenAI Responses API response object." });

/** An item of a stored response's input (OpenAI's `ItemResource`): a message, function call… */
const ResponseItemSchema = z.object({ id: z.string(), type: z.string() }).loose().openapi("ResponseItem", {
  description:
    "An input item as OpenAI lists it: a `message` (user/system/developer with `input_text` parts, assistant with `output_text` parts), `function_call` or `function_call_output`, each with its `id`.",
});

export const ResponseItemListSchema = z
  .object({
    object: z.literal("list"),
    data: z.array(ResponseItemSchema),
    first_id: z.string().nullable().openapi({ description: "The first item's id (null on an empty page)." }),
    last_id: z
      .string()
      .nullable()
      .openapi({ description: "The last item's id: pass as `after` for the next page." }),
    has_more: z.boolean(),
  })
  .openapi("ResponseItemList");

export const ResponseDeletedSchema = z
  .object({ id: z.string(), object: z.literal("response"), deleted: z.literal(true) })
  .openapi("ResponseDeleted");

export const ResponseIdParamsSchema = z.object({
  response_id: z.string().min(1).openapi({ example: "resp_0123456789abcdef01234567" }),
});

const IncludeQuery = z
  .union([z.string(), z.array(z.string())])
  .optional()
  .openapi({
    description: "Accepted and ignored: a stored response already holds everything this server produces.",
  });

export const RetrieveResponseQuerySchema = z.object({
  stream: z.enum(["true", "false"]).optional().openapi({
    description: "Only `false`: stored responses are finished, not streamed again (`true` → 400).",
  }),
  include: IncludeQuery,
});

export const ResponseInputItemsQuerySchema = z.object({
  limit: z.coerce
    .number()
    .int()
    .min(1)
    .max(100)
    .optional()
    .openapi({ description: "Items per page (1–100). Default 20.", example: 20 }),
  order: z
    .enum(["asc", "desc"])
    .optional()
    .openapi({ description: "`asc`: oldest first; `desc` (default): newest first." }),
  after: z
    .string()
    .min(1)
    .optional()
    .openapi({ description: "An item id (the previous page's `last_id`): the page starts after it." }),
  include: IncludeQuery,
});

// ---- embeddings --------------------------------------------------------------------------------

export const EmbeddingRequestSchema = z
  .object({
    model: z.string().optional().openapi({ example: "deeprecall" }),
    input: z.union([z.string(), z.array(z.string()), z.array(z.number()), z.array(z.array(z.number()))]),
    encoding_format: z.enum(["float", "base64"]).optional(),
    dimensions: z.number().int().positive().optional(),
    user: z.string().optional(),
  })
  .openapi("EmbeddingRequest", { example: { model: "deeprecall", input: ["first text", "second text"] } });

export const EmbeddingListSchema = z
  .object({
    object: z.literal("list"),
    data: z.array(
      z.object({
        object: z.literal("embedding"),
        index: z.number(),
        embedding: z.union([z.array(z.number()), z.string()]),
      }),
    ),
    model: z.string(),
    usage: z.object({ prompt_tokens: z.number(), total_tokens: z.number() }),
  })
  .openapi("EmbeddingList");
