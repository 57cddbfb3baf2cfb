/**
 * The 400 for a request body that failed its zod schema, in OpenAI's wording and codes, naming
 * the field as OpenAI's `param`.
 */
import type { z } from "zod";
import { ApiError } from "./errors.ts";

/** Zod issue path → OpenAI `param`, e.g. ["messages", 0, "content"] → "messages[0].content". */
export function paramFromPath(path: ReadonlyArray<PropertyKey>): string | null {
  let out = "";
  for (const key of path) {
    if (typeof key === "number") out += `[${key}]`;
    else out += out ? `.${String(key)}` : String(key);
  }
  return out || null;
}

/**
 * The 400 for a request that failed its schema, in OpenAI's wording and codes for the first
 * issue (as its API answers them): `missing_required_parameter` ("Missing required parameter:
 * 'messages'."), `invalid_type` ("Invalid type for 'temperature': expected a decimal, but got a
 * string instead."), `decimal_above_max_value` / `integer_below_min_value` and the like for
 * numbers out of range, `string_above_max_length` / `array_above_max_length` (and `_below_min_`)
 * for lengths, `invalid_value` for a value outside an enum ("Invalid value: 'x'. Supported values
 * are: 'a' and 'b'.") and for anything else. `param` names the field ("messages[0].content").
 * `input` is the request body the schema saw (for the value that failed; without it the
 * messages say less).
 */
export function invalidRequest(error: z.ZodError, input?: unknown, schema?: z.ZodType): ApiError {
  const issue = error.issues[0];
  if (!issue) return new ApiError(400, "Invalid request", { code: "invalid_value" });
  const param = paramFromPath(issue.path);
  const name = param ?? "body";
  const value = valueAt(input, issue.path);
  const fail = (message: string, code: string) => new ApiError(400, message, { param, code });
  switch (issue.code) {
    case "invalid_type": {
      const missing = input === undefined ? /received undefined$/.test(issue.message) : value === undefined;
      if (missing) return fail(`Missing required parameter: '${name}'.`, "missing_required_parameter");
      const got = input === undefined ? "another type" : kindOf(value);
      return fail(
        `Invalid type for '${name}': expected ${expectedKind(issue.expected)}, but got ${got} instead.`,
        "invalid_type",
      );
    }
    case "too_big":
    case "too_small": {
      const above = issue.code === "too_big";
      const bound = Number(above ? issue.maximum : issue.minimum);
      const op = `${above ? "<" : ">"}${issue.inclusive ? "=" : ""}`;
      const side = above ? "above_max" : "below_min";
      if (issue.origin === "string" || issue.origin === "array") {
        const kind = issue.origin;
        const length =
          typeof value === "string" || Array.isArray(value) ? ` with length ${value.length}` : "";
        return fail(
          `Invalid '${name}': ${kind} too ${above ? "long" : "short"}. Expected ${article(kind)} with ${above ? "maximum" : "minimum"} length ${bound}, but got ${article(kind)}${length} instead.`,
          `${kind}_${side}_length`,
        );
      }
      if (issue.origin === "number" || issue.origin === "int") {
        const field = schemaAt(schema, issue.path) as { isInt?: boolean } | undefined;
        const isInt = field ? field.isInt === true : Number.isInteger(value);
        const kind = isInt ? "integer" : "decimal";
        const got = typeof value === "number" ? `, but got ${value} instead` : "";
        return fail(
          `Invalid '${name}': ${kind} ${above ? "above maximum" : "below minimum"} value. Expected a value ${op} ${bound}${got}.`,
          `${kind}_${side}_value`,
        );
      }
      break;
    }
    case "invalid_value": {
      const options = issue.values.map((v) => `'${String(v)}'`);
      const list =
        options.length > 1
          ? `${options.slice(0, -1).join(", ")}${options.length > 2 ? "," : ""} and ${options.at(-1)}`
          : (options[0] ?? "");
      const shown =
        typeof value === "string" || typeof value === "number" || typeof value === "boolean"
          ? `'${String(value).slice(0, 100)}'`
          : kindOf(value);
      return fail(`Invalid value: ${shown}. Supported values are: ${list}.`, "invalid_value");
    }
    case "invalid_union": {
      // A field that takes several shapes (`input`: a string or items; `content`: a string or parts).
      if (input !== undefined && value === undefined)
        return fail(`Missing required parameter: '${name}'.`, "missing_required_parameter");
      const firsts = issue.errors.map((option) => option[0]).filter((i) => i !== undefined);
      // An option whose type matched but whose contents did not: what is wrong is in there.
      const inner = firsts.find((i) => i.path.length > 0);
      if (inner) {
        const located = { ...inner, path: [...issue.path, ...inner.path] } as z.core.$ZodIssue;
        return invalidRequest({ issues: [located] } as unknown as z.ZodError, input, schema);
      }
      // Only when every shape was refused for its type (not a literal that did not match).
      const typed = firsts.length > 0 && firsts.every((i) => i.code === "invalid_type");
      if (typed && input !== undefined) {
        const kinds = [...new Set(firsts.map((i) => expectedKind(i.expected)))];
        const expected =
          kinds.length > 1 ? `one of ${kinds.slice(0, -1).join(", ")} or ${kinds.at(-1)}` : kinds[0];
        return fail(
          `Invalid type for '${name}': expected ${expected}, but got ${kindOf(value)} instead.`,
          "invalid_type",
        );
      }
      break;
    }
  }
  const message = param
    ? `Invalid value for '${param}': ${issue.message}`
    : `Invalid request: ${issue.message}`;
  return fail(message, "invalid_value");
}

const WRAPPERS = new Set(["optional", "nullable", "default", "prefault", "readonly", "nonoptional", "catch"]);

/**
 * The schema of the field at `path` inside objects and arrays (optional/nullable wrappers
 * removed), read from zod's definitions (`_zod.def`); undefined past anything else (a union).
 */
function schemaAt(schema: z.ZodType | undefined, path: ReadonlyArray<PropertyKey>): z.ZodType | undefined {
  type Def = {
    type: string;
    innerType?: z.ZodType;
    shape?: Record<PropertyKey, z.ZodType>;
    element?: z.ZodType;
  };
  const def = (s: z.ZodType) => (s as unknown as { _zod: { def: Def } })._zod.def;
  const unwrap = (s: z.ZodType | undefined) => {
    while (s && WRAPPERS.has(def(s).type)) s = def(s).innerType;
    return s;
  };
  let at = unwrap(schema);
  for (const key of path) {
    if (!at) return undefined;
    const d = def(at);
    at = unwrap(d.type === "object" ? d.shape?.[key] : d.type === "array" ? d.element : undefined);
  }
  return at;
}

/** The value at a zod issue's path in `input` (undefined when it is not there). */
function valueAt(input: unknown, path: ReadonlyArray<PropertyKey>): unknown {
  let at = input;
  for (const key of path) {
    if (at === null || typeof at !== "object") return undefined;
    at = (at as Record<PropertyKey, unknown>)[key];
  }
  return at;
}

const article = (noun: string) => (/^[aeiou]/.test(noun) ? `an ${noun}` : `a ${noun}`);

/** A JSON value's kind as OpenAI's messages name it: "a string", "an integer", "a decimal", … */
function kindOf(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (typeof value === "number") return Number.isInteger(value) ? "an integer" : "a decimal";
  if (typeof value === "object") return "an object";
  return article(typeof value);
}

/** A zod `expected` type in OpenAI's words ("number" is "a decimal", "int" "an integer"). */
function expectedKind(expected: string): string {
  if (expected === "number") return "a decimal";
  if (expected === "int") return "an integer";
  return article(expected);
}
