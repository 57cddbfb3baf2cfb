import { generateText, jsonSchema, Output } from "ai";
import type { DirectCallContext } from "./direct-call.ts";
import { isAbortError } from "./errors.ts";
import { isPlainObject } from "./is-plain-object.ts";
import { toLLMProviderError } from "./retry.ts";
import { schemaInstruction } from "./schema-instruction.ts";
import type { StructureRequest, StructureResult, UsageSummary } from "./types.ts";
import { addCallUsage } from "./usage-summary.ts";

/**
 * One structured-output call with the root model: rewrites `answer` as JSON matching
 * `schema` (any JSON object when null), validated by the AI SDK and by `validate`; a value
 * that fails validation is asked for once more, and then (with `lenient`) the last JSON object
 * the model wrote is returned. Provider failures, and a value that never passed when not
 * `lenient`, become `LLMProviderError`.
 */
export async function structureAnswer(
  ctx: DirectCallContext,
  request: StructureRequest,
): Promise<StructureResult> {
  const { schema, validate } = request;
  const check = (value: unknown) => {
    if (schema === null && !isPlainObject(value)) {
      return "expected a JSON object";
    }
    return validate ? validate(value) : null;
  };
  const output =
    schema === null
      ? Output.json()
      : Output.object({
          schema: jsonSchema<unknown>(schema, {
            validate: (value) => {
              const problem = check(value);
              return problem === null
                ? { success: true, value }
                : { success: false, error: new Error(problem) };
            },
          }),
          ...(request.name ? { name: request.name } : {}),
          ...(request.description ? { description: request.description } : {}),
        });
  const system = [
    "Rewrite the answer below as JSON. Use only facts from the answer; do not add any.",
    schema === null ? "Reply with one JSON object." : "Reply with JSON that matches the given schema.",
    schemaInstruction({
      schema,
      ...(request.name ? { name: request.name } : {}),
      ...(request.description ? { description: request.description } : {}),
    }) ?? "",
    request.instructions ? `Instructions from the user:\n${request.instructions}` : "",
  ]
    .filter(Boolean)
    .join("\n\n");
  const prompt = `Question:\n${request.question}\n\nAnswer:\n${request.answer}`;
  const usage: UsageSummary = { inputTokens: 0, outputTokens: 0, totalTokens: 0, calls: 0, byModel: {} };
  let lastError: unknown;
  /** The last JSON object the model wrote that failed the check (for `lenient`). */
  let lastObject: { value: unknown } | undefined;
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const result = await generateText({
        model: ctx.model,
        system,
        prompt,
        output,
        maxRetries: ctx.retry?.maxRetries ?? 2,
        ...(request.temperature !== undefined ? { temperature: request.temperature } : {}),
        ...(request.topP !== undefined ? { topP: request.topP } : {}),
        ...(request.seed !== undefined ? { seed: request.seed } : {}),
        ...(request.maxOutputTokens !== undefined ? { maxOutputTokens: request.maxOutputTokens } : {}),
        ...(request.signal ? { abortSignal: request.signal } : {}),
      });
      addCallUsage(usage, ctx.modelId, result.totalUsage ?? result.usage, ctx.pricing, result);
      const value: unknown = result.output;
      const problem = check(value);
      if (problem === null) return { value, usage };
      if (isPlainObject(value)) lastObject = { value };
      lastError = new Error(`the structured output did not match the schema: ${problem}`);
    } catch (error) {
      if (isAbortError(error) || request.signal?.aborted) throw error;
      // The AI SDK's NoObjectGeneratedError keeps the reply's text; a failed check leaves it JSON.
      const written = jsonObjectIn((error as { text?: unknown }).text);
      if (written) lastObject = written;
      lastError = error;
    }
  }
  if (request.lenient && lastObject) return { value: lastObject.value, usage };
  throw toLLMProviderError(lastError);
}

/** The JSON object `text` holds (possibly inside a code fence), if it is one. */
function jsonObjectIn(text: unknown): { value: unknown } | undefined {
  if (typeof text !== "string") return undefined;
  const body = text.trim().replace(/^```(?:json)?\s*([\s\S]*?)\s*```$/, "$1");
  try {
    const value: unknown = JSON.parse(body);
    return isPlainObject(value) ? { value } : undefined;
  } catch {
    return undefined;
  }
}
