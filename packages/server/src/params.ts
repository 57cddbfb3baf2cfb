/**
 * OpenAI request parameters shared by chat completions, responses and completions: the model
 * check, `stop`, sampling, structured output (`response_format` / `text.format`) and forced
 * tool choice. Each endpoint reads its own field names and hands the result to the pipeline.
 */
import type { QueryBudget, QueryOptions } from "@deeprecall/core";
import { validateFilter } from "@deeprecall/core";
import { ApiError } from "./errors.ts";
import { resolveRef } from "./json-schema.ts";
import type { Shape } from "./pipeline.ts";
import { checkStrictSchema } from "./strict-schema.ts";

/** The 404 OpenAI answers for a model it does not serve, naming the ids this server serves. */
export function checkModel(
  model: string | null | undefined,
  served: readonly string[],
  param = "model",
): void {
  if (model === undefined || model === null || served.includes(model)) return;
  throw new ApiError(
    404,
    `The model '${model.slice(0, 200)}' does not exist or you do not have access to it. This server serves: ${served.join(", ")}.`,
    { param, code: "model_not_found" },
  );
}

export function unsupported(param: string, message: string): ApiError {
  return new ApiError(400, message, { param, code: "unsupported_value" });
}

export function invalid(param: string, message: string): ApiError {
  return new ApiError(400, message, { param, code: "invalid_value" });
}

/** OpenAI's 400 for a required parameter left out: `missing_required_parameter` naming it. */
export function missing(param: string): ApiError {
  return new ApiError(400, `Missing required parameter: '${param}'.`, {
    param,
    code: "missing_required_parameter",
  });
}

/** OpenAI's 400 for `stream_options` on a request that does not stream. */
export function checkStreamOptions(body: {
  stream?: boolean | null | undefined;
  stream_options?: unknown;
}): void {
  if (body.stream_options !== undefined && body.stream_options !== null && body.stream !== true) {
    throw invalid(
      "stream_options",
      "The 'stream_options' parameter is only allowed when 'stream' is enabled.",
    );
  }
}

/** `stop` as a list of non-empty sequences (empty strings are ignored, as OpenAI does). */
export function stopList(stop: string | string[] | null | undefined): string[] {
  if (stop === undefined || stop === null) return [];
  return (Array.isArray(stop) ? stop : [stop]).filter((s) => s.length > 0);
}

export interface Sampling {
  temperature?: number;
  topP?: number;
  seed?: number;
  maxOutputTokens?: number;
}

export function sampling(body: {
  temperature?: number | null | undefined;
  top_p?: number | null | undefined;
  seed?: number | null | undefined;
}): Sampling {
  const out: Sampling = {};
  if (typeof body.temperature === "number") out.temperature = body.temperature;
  if (typeof body.top_p === "number") out.topP = body.top_p;
  if (typeof body.seed === "number") out.seed = body.seed;
  return out;
}

interface JsonFormat {
  type: "text" | "json_object" | "json_schema";
  name?: string | undefined;
  description?: string | undefined;
  schema?: Record<string, unknown> | undefined;
  strict?: boolean | null | undefined;
}

/** `response_format` (chat) / `text.format` (responses) → a JSON shape, or null for text. */
export function jsonShape(format: JsonFormat | null | undefined, param: string): Shape | null {
  if (!format || format.type === "text") return null;
  if (format.type === "json_object") return { kind: "json", schema: null };
  if (format.schema !== undefined) checkSchema(format.schema, `${param}.schema`);
  if (format.name === undefined) throw missing(`${param}.name`);
  // OpenAI names the whole format (chat: `response_format`) as the param of these refusals.
  if (format.strict === true) {
    checkStrictSchema(format.schema ?? { type: "object" }, {
      param: param.replace(/\.json_schema$/, ""),
      label: `response_format '${format.name.slice(0, 64)}'`,
      code: "invalid_value",
    });
  }
  return {
    kind: "json",
    schema: format.schema ?? { type: "object" },
    name: format.name,
    ...(format.description ? { description: format.description } : {}),
    ...(format.strict === true ? { strict: true } : {}),
  };
}

/** A JSON Schema we can check values against: an object whose `$ref`s stay inside it. */
export function checkSchema(schema: unknown, param: string): asserts schema is Record<string, unknown> {
  if (typeof schema !== "object" || schema === null || Array.isArray(schema)) {
    throw invalid(param, `Invalid schema for '${param}': expected a JSON Schema object.`);
  }
  const refs = JSON.stringify(schema).match(/"\$ref":"([^"]*)"/g) ?? [];
  for (const ref of refs) {
    const target = ref.slice('"$ref":"'.length, -1);
    if (!target.startsWith("#")) {
      throw unsupported(param, `Invalid schema for '${param}': only local $ref ("#/...") is supported.`);
    }
    try {
      resolveRef(schema, target);
    } catch {
      throw invalid(param, `Invalid schema for '${param}': $ref ${target.slice(0, 100)} does not resolve.`);
    }
  }
}

export interface FunctionTool {
  name: string;
  description?: string | undefined;
  parameters?: Record<string, unknown> | null | undefined;
}

/**
 * A function tool sent with `strict: true` must follow OpenAI's strict rules whether or not it
 * is called, as OpenAI checks every such tool (chat `param`: `tools[i].function.parameters`,
 * responses: `tools[i].parameters`). Without parameters there is nothing to check.
 *
 * @throws ApiError 400 `invalid_function_parameters` (see {@link checkStrictSchema}).
 */
export function checkStrictTool(
  tool: { name: string; parameters?: FunctionTool["parameters"]; strict?: boolean | null | undefined },
  param: string,
): void {
  if (tool.strict !== true || !tool.parameters) return;
  checkStrictSchema(tool.parameters, {
    param,
    label: `function '${tool.name.slice(0, 64)}'`,
    code: "invalid_function_parameters",
  });
}

/**
 * `tool_choice` with the request's function tools → the forced call, or null when the tools are
 * to be ignored ("none", "auto", absent). Anything else is a 400 naming the param.
 */
export function toolShape(
  tools: FunctionTool[],
  otherTools: string[],
  choice: unknown,
  params: { tools: string; toolChoice: string },
  /** How the named function appears in `tool_choice`: chat `{function:{name}}`, responses `{name}`. */
  nameOf: (choice: Record<string, unknown>) => unknown,
): Shape | null {
  if (choice === undefined || choice === null || choice === "none" || choice === "auto") return null;
  let tool: FunctionTool | undefined;
  if (choice === "required") {
    if (otherTools.length > 0) {
      throw unsupported(
        params.tools,
        `Only function tools can be called here; got a tool of type '${otherTools[0]!.slice(0, 40)}'.`,
      );
    }
    if (tools.length !== 1) {
      throw unsupported(
        params.toolChoice,
        `tool_choice "required" is supported with exactly one function tool (got ${tools.length}); name the function to call instead.`,
      );
    }
    tool = tools[0];
  } else if (typeof choice === "object" && (choice as { type?: unknown }).type === "function") {
    const name = nameOf(choice as Record<string, unknown>);
    if (typeof name !== "string") {
      throw invalid(params.toolChoice, "tool_choice of type 'function' needs the function's name.");
    }
    tool = tools.find((t) => t.name === name);
    if (!tool) {
      throw invalid(
        params.toolChoice,
        `tool_choice names the function '${name.slice(0, 64)}', which is not among the request's tools.`,
      );
    }
  } else if (typeof choice === "string") {
    throw invalid(
      params.toolChoice,
      `Invalid value for '${params.toolChoice}': '${choice.slice(0, 40)}'. Supported values are: 'none', 'auto' and 'required' (or a named function).`,
    );
  } else {
    const label = `of type '${String((choice as { type?: unknown }).type).slice(0, 40)}'`;
    throw unsupported(
      params.toolChoice,
      `tool_choice ${label} is not supported: use "none", "auto", "required" (with one function tool) or a named function.`,
    );
  }
  const schema = tool!.parameters ?? { type: "object", properties: {} };
  checkSchema(schema, `${params.tools}.parameters`);
  return {
    kind: "tool",
    name: tool!.name,
    schema,
    ...(tool!.description ? { description: tool!.description } : {}),
  };
}

/** The `deeprecall` extension object of a request → engine query options. */
export function extensionOptions(
  ext:
    | {
        top_k?: number | undefined;
        filters?: Record<string, unknown> | undefined;
        no_cache?: boolean | undefined;
        strategy?: "repl" | "tools" | undefined;
        budget?:
          | {
              max_iterations?: number | undefined;
              max_search_calls?: number | undefined;
              max_tokens?: number | undefined;
              max_time_seconds?: number | undefined;
              max_cost_usd?: number | undefined;
            }
          | undefined;
      }
    | undefined,
): QueryOptions {
  const options: QueryOptions = {};
  if (!ext) return options;
  if (ext.top_k !== undefined) options.topK = ext.top_k;
  if (ext.filters !== undefined) {
    validateFilter(ext.filters, "deeprecall.filters");
    options.filters = ext.filters as NonNullable<QueryOptions["filters"]>;
  }
  if (ext.no_cache) options.noCache = true;
  if (ext.strategy !== undefined) options.strategy = ext.strategy;
  if (ext.budget) {
    const b = ext.budget;
    const budget: QueryBudget = {};
    if (b.max_iterations !== undefined) budget.maxIterations = b.max_iterations;
    if (b.max_search_calls !== undefined) budget.maxSearchCalls = b.max_search_calls;
    if (b.max_tokens !== undefined) budget.maxTokens = b.max_tokens;
    if (b.max_time_seconds !== undefined) budget.maxTimeSeconds = b.max_time_seconds;
    if (b.max_cost_usd !== undefined) budget.maxCostUsd = b.max_cost_usd;
    options.budget = budget;
  }
  return options;
}

/**
 * The text of a message's content parts, joined by newlines: the `text` of parts whose type is
 * in `textTypes` (chat: "text"; responses: "input_text", "output_text", "text"), and the
 * `refusal` of refusal parts in an assistant message (valid history: OpenAI's own answers carry
 * them). Any other part is a 400 naming it, `<param>[j]`; a part without its string is a 400
 * naming that field.
 */
export function partsText(
  parts: readonly unknown[],
  role: string,
  param: string,
  textTypes: ReadonlySet<string>,
): string {
  return parts
    .map((part, j) => {
      const p = (part ?? {}) as { type?: unknown; text?: unknown; refusal?: unknown };
      if (typeof p.type === "string" && textTypes.has(p.type)) {
        if (typeof p.text !== "string")
          throw invalid(`${param}[${j}].text`, "A text content part needs a string `text`.");
        return p.text;
      }
      if (p.type === "refusal" && role === "assistant") {
        if (typeof p.refusal !== "string")
          throw invalid(`${param}[${j}].refusal`, "A refusal content part needs a string `refusal`.");
        return p.refusal;
      }
      throw new ApiError(
        400,
        `Unsupported content part type "${String(p.type).slice(0, 40)}": only text parts (and refusal parts in assistant messages) are supported.`,
        { param: `${param}[${j}]`, code: "unsupported_content" },
      );
    })
    .join("\n");
}
