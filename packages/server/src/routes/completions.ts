/** POST /v1/completions: the legacy text completion API, answered like a one-message chat. */
import { targetOfModel } from "../collections.ts";
import { extensionJson, openaiId, usageJson } from "../convert.ts";
import { jsonResponse } from "../headers.ts";
import { checkStreamOptions, extensionOptions, invalid, sampling, stopList, unsupported } from "../params.ts";
import { type Outcome, runTurn, streamTurn, type Turn } from "../pipeline.ts";
import { type CompletionRequest, CompletionRequestSchema, CompletionSchema } from "../schemas.ts";
import { chunker, chunkStream } from "./chunks.ts";
import { type App, assertModelAvailable, generationRoute, jsonRoute, type RouteContext } from "./shared.ts";

export function completionTurn(body: CompletionRequest): Turn {
  checkStreamOptions(body);
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
  const route = generationRoute({
    path: "/v1/completions",
    summary: "Text completion (legacy; regular or streaming)",
    description: "Answers `prompt` as a question with DeepRecall, in the legacy completions format.",
    body: CompletionRequestSchema,
    schema: CompletionSchema,
    stream: {
      name: "CompletionStreamEvent",
      description:
        "A JSON text_completion chunk, an OpenAI-shaped error object, or the literal [DONE] (always last).",
    },
    responseDescription: "The completion (JSON), or an SSE stream of chunks",
  });
  jsonRoute(app, ctx, route, CompletionRequestSchema, async (c, body) => {
    const { engine } = await targetOfModel(ctx, body.model);
    assertModelAvailable(ctx);
    const turn = completionTurn(body);
    const id = openaiId("cmpl-");
    const created = Math.floor(Date.now() / 1000);
    const model = body.model ?? ctx.modelName;
    if (!body.stream) {
      const outcome = await runTurn(engine, turn, c.req.raw.signal, ctx.budget);
      return jsonResponse(c, JSON.stringify(completionJson(outcome, model, id, created)));
    }
    const meta = { id, object: "text_completion", created, model };
    const { chunk, finish } = chunker<string>(
      { ...meta, includeUsage: body.stream_options?.include_usage === true },
      (text, finishReason) => ({ text, index: 0, logprobs: null, finish_reason: finishReason }),
      "",
    );
    const response = chunkStream({
      signal: c.req.raw.signal,
      keepAliveMs: ctx.keepAliveMs,
      record: c.get("requestLog"),
      run: async (out) => {
        // Reasoning progress has no place in this format: only the answer is streamed.
        for await (const event of streamTurn(engine, turn, out.signal, false, ctx.budget)) {
          if (event.type === "text") out.send(chunk(event.text));
          else if (event.type === "done") {
            finish(out, event.outcome.finishReason, usageJson(event.outcome.usage), {
              deeprecall: extensionJson(event.outcome.result),
            });
          }
        }
      },
    });
    return c.newResponse(response.body, response);
  });
}
