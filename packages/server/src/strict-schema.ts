import { isPlainObject } from "@deeprecall/core";
import { ApiError } from "./errors.ts";

/**
 * Where a strict schema came from, for OpenAI's 400: `param` the request field (chat:
 * `response_format` / `tools[0].function.parameters`; responses: `text.format` /
 * `tools[0].parameters`), `label` what the message names (`response_format 'person'`,
 * `function 'lookup'`), `code` the error code (OpenAI: `invalid_value` for formats,
 * `invalid_function_parameters` for function tools).
 */
export interface StrictSchemaSource {
  param: string;
  label: string;
  code: "invalid_value" | "invalid_function_parameters";
}

/**
 * The rules OpenAI's API applies to a `json_schema` response format or a function tool with
 * `strict: true` before it answers (its structured-outputs guide, "Supported schemas"), as the
 * same 400s: the root is
 * an object (`type: "object"`, not `anyOf`); every object, at any depth (properties, items,
 * `anyOf` branches, `$defs`/`definitions`), has `additionalProperties: false` and lists every
 * property in `required`. Schemas from the SDKs' helpers (`zodResponseFormat`, pydantic) pass.
 *
 * @throws ApiError 400 (`source.code`, `source.param`) naming the first rule broken and where, in
 *   OpenAI's words: "Invalid schema for response_format 'name': In context=('properties',
 *   'address'), 'additionalProperties' is required to be supplied and to be false."
 */
export function checkStrictSchema(schema: Record<string, unknown>, source: StrictSchemaSource): void {
  const fail = (message: string): ApiError =>
    new ApiError(400, `Invalid schema for ${source.label}: ${message}`, {
      param: source.param,
      code: source.code,
    });
  const root = schema.type;
  if (root !== "object" || schema.anyOf !== undefined) {
    const got = root === undefined ? (schema.anyOf !== undefined ? "anyOf" : "none") : JSON.stringify(root);
    throw fail(`schema must be a JSON Schema of 'type: "object"', got 'type: ${got.slice(0, 40)}'.`);
  }
  walk(schema, [], fail);
}

function walk(s: unknown, context: string[], fail: (message: string) => ApiError): void {
  if (!isPlainObject(s)) return;
  const where = `In context=(${context.map((c) => `'${c.slice(0, 64)}'`).join(", ")})`;
  const types = Array.isArray(s.type) ? s.type : [s.type];
  const properties = isPlainObject(s.properties) ? s.properties : undefined;
  if (types.includes("object") || properties !== undefined) {
    if (s.additionalProperties !== false) {
      throw fail(`${where}, 'additionalProperties' is required to be supplied and to be false.`);
    }
    const required = Array.isArray(s.required) ? s.required : [];
    const absent = Object.keys(properties ?? {}).find((key) => !required.includes(key));
    if (absent !== undefined) {
      throw fail(
        `${where}, 'required' is required to be supplied and to be an array including every key in properties. Missing '${absent.slice(0, 64)}'.`,
      );
    }
    for (const [key, value] of Object.entries(properties ?? {}))
      walk(value, [...context, "properties", key], fail);
  }
  if (s.items !== undefined) walk(s.items, [...context, "items"], fail);
  for (const keyword of ["anyOf", "allOf"] as const) {
    const branches = s[keyword];
    if (!Array.isArray(branches)) continue;
    for (const [i, branch] of branches.entries()) walk(branch, [...context, keyword, String(i)], fail);
  }
  for (const keyword of ["$defs", "definitions"] as const) {
    const defs = s[keyword];
    if (isPlainObject(defs))
      for (const [key, value] of Object.entries(defs)) walk(value, [...context, keyword, key], fail);
  }
}
