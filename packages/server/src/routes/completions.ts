/** POST /v1/completions: the legacy text completion API, answered like a one-message chat. */
import { createRoute } from "@hono/zod-openapi";
import { targetOfModel } from "../collections.ts";
import { extensionJson, openaiId, usageJson } from "../convert.ts";
import { toApiError } from "../errors.ts";
import { jsonResponse } from "../headers.ts";
import { extensionOptions, invalid, sampling, stopList, unsupported } from "../params.ts";
import { type Outcome, runTurn, streamTurn, type Turn } from "../pipeline.ts";
import { type CompletionRequest, CompletionRequestSchema, CompletionSchema } from "../schemas.ts";
import { sseResponse } from "../sse.ts";
import {
  type App,
  COMMON,
  errors,
  jsonBody,
  jsonOrStream,
  noteStreamFailure,
  type RouteContext,
  streamEventSchema,
} from "./shared.ts";

export function completionTurn(body: CompletionRequest): Turn {
  if (typeof body.n === "number" && body.n > 1) {
    throw unsupported("n", "n > 1 is not supported: DeepRecall returns one answer per request.");
  }
  if (typeof body.best_of === "number" && body.best_of > 1) {
    throw unsupported("best_of", "best_of > 1 is not supported: DeepRecall returns one answer per request.");
  }
  if (body.logprobs !== undefined && body.logprobs !== null) {
    throw unsupported(
      "logprobs",
      "logprobs are not supported: DeepRecall's answer is not one model's token stream.",
    );
  }
  if (body.echo === true) throw unsupported("echo", "echo is not supported.");
  if (typeof body.suffix === "string" && body.suffix !== "") {
    throw unsupported("suffix", "suffix (insertion) is not supported.");
  }
  const prompt = body.prompt;
  let query: string;
  if (typeof prompt === "string") query = prompt;
  else if (prompt.length === 1 && typeof prompt[0] === "string") query = prompt[0];
  else if (prompt.every((p) => typeof p === "string")) {
    throw unsupported("prompt", "Only one prompt per request is supported.");
  } else {
    throw unsupported("prompt", "Token-id prompts are not supported: send the prompt as text.");
  }
  if (query.trim() === "") throw invalid("prompt", "The prompt is empty.");
  const s = sampling(body);
  if (typeof body.max_tokens === "number") s.maxOutputTokens = body.max_tokens;
  return {
    query,
    options: extensionOptions(body.deeprecall),
    stop: stopList(body.stop),
    shape: null,
    sampling: s,
  };
}

function completionJson(outcome: Outcome, model: string, id: string, created: number) {
  return {
    id,
    object: "text_completion" as const,
    created,
    model,
    choices: [{ text: outcome.text ?? "", index: 0, logprobs: null, finish_reason: outcome.finishReason }],
    usage: usageJson(outcome.usage),
    deeprecall: extensionJson(outcome.result),
  };
}

export function registerCompletions(app: App, ctx: RouteContext): void {
  const route = createRoute({
    method: "post",
    path: "/v1/completions",
    tags: ["OpenAI"],
    summary: "Text completion (legacy; regular or streaming)",
    description: "Answers `prompt` as a question with DeepRecall, in the legacy completions format.",
    request: { body: jsonBody(CompletionRequestSchema) },
    responses: {
      200: jsonOrStream(
        CompletionSchema,
        streamEventSchema(
          "CompletionStreamEvent",
          "A JSON text_completion chunk, an OpenAI-shaped error object, or the literal [DONE] (always last).",
        ),
        "The completion (JSON), or an SSE stream of chunks",
      ),
      ...errors(400, 404, 413, 502, 503, ...COMMON),
    },
  });
  app.openapi(route, async (c) => {
    const body = c.req.valid("json");
    const { engine } = await targetOfModel(ctx, body.model);
    const turn = completionTurn(body);
    const id = openaiId("cmpl-");
    const created = Math.floor(Date.now() / 1000);
    const model = body.model ?? ctx.modelName;
    if (!body.stream) {
      const outcome = await runTurn(engine, turn, c.req.raw.signal);
      return jsonResponse(c, JSON.stringify(completionJson(outcome, model, id, created))) as never;
    }
    const includeUsage = body.stream_options?.include_usage === true;
    const base = { id, object: "text_completion", created, model };
    const chunk = (text: string, finishReason: string | null = null, extra: object = {}) => ({
      ...base,
      choices: [{ text, index: 0, logprobs: null, finish_reason: finishReason }],
      ...(includeUsage ? { usage: null } : {}),
      ...extra,
    });
    const record = c.get("requestLog");
    const response = sseResponse({
      signal: c.req.raw.signal,
      keepAliveMs: ctx.keepAliveMs,
      run: async (out) => {
        try {
          // Reasoning progress has no place in this format: only the answer is streamed.
          for await (const event of streamTurn(engine, turn, out.signal, false)) {
            if (event.type === "text") out.send(chunk(event.text));
            else if (event.type === "done") {
              const extension = { deeprecall: extensionJson(event.outcome.result) };
              if (includeUsage) {
                out.send(chunk("", event.outcome.finishReason));
                out.send({ ...base, choices: [], usage: usageJson(event.outcome.usage), ...extension });
              } else out.send(chunk("", event.outcome.finishReason, extension));
            }
          }
          if (out.signal.aborted) return;
          out.raw("data: [DONE]\n\n");
        } catch (error) {
          if (out.signal.aborted) return;
          const apiError = toApiError(error);
          noteStreamFailure(record, error, apiError.status);
          out.send(apiError.toBody());
          out.raw("data: [DONE]\n\n");
        }
      },
    });
    return c.newResponse(response.body, response) as never;
  });
}
