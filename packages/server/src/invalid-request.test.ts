import { describe, expect, it } from "vitest";
import { z } from "zod";
import { invalidRequest, paramFromPath } from "./invalid-request.ts";

describe("invalidRequest", () => {
  const Body = z.object({
    messages: z.array(z.object({ role: z.enum(["system", "user", "assistant"]), content: z.string() })),
    temperature: z.number().min(0).max(2).optional(),
    n: z.int().min(1).max(8).optional(),
    stop: z.array(z.string()).max(4).optional(),
    user: z.string().max(8).optional(),
    tags: z.array(z.string()).optional(),
    mode: z.union([z.literal("a"), z.number()]).optional(),
  });
  const ok = { messages: [{ role: "user", content: "q" }] };
  /** The 400 for `body`, as [param, code, message]. */
  const refusal = (body: unknown) => {
    const result = Body.safeParse(body);
    expect(result.success).toBe(false);
    const error = invalidRequest(result.error!, body, Body);
    expect(error.status).toBe(400);
    return [error.param, error.code, error.message];
  };

  it("answers in OpenAI's words and codes for the first issue, naming its field", () => {
    expect(refusal({})).toEqual([
      "messages",
      "missing_required_parameter",
      "Missing required parameter: 'messages'.",
    ]);
    expect(refusal({ ...ok, temperature: "hot" })).toEqual([
      "temperature",
      "invalid_type",
      "Invalid type for 'temperature': expected a decimal, but got a string instead.",
    ]);
    expect(refusal({ ...ok, temperature: 3 })).toEqual([
      "temperature",
      "decimal_above_max_value",
      "Invalid 'temperature': decimal above maximum value. Expected a value <= 2, but got 3 instead.",
    ]);
    expect(refusal({ ...ok, n: 0 })).toEqual([
      "n",
      "integer_below_min_value",
      "Invalid 'n': integer below minimum value. Expected a value >= 1, but got 0 instead.",
    ]);
    expect(refusal({ ...ok, n: 1.5 })).toEqual([
      "n",
      "invalid_type",
      "Invalid type for 'n': expected an integer, but got a decimal instead.",
    ]);
    expect(refusal({ ...ok, stop: ["a", "b", "c", "d", "e"] })).toEqual([
      "stop",
      "array_above_max_length",
      "Invalid 'stop': array too long. Expected an array with maximum length 4, but got an array with length 5 instead.",
    ]);
    expect(refusal({ ...ok, user: "x".repeat(9) })).toEqual([
      "user",
      "string_above_max_length",
      "Invalid 'user': string too long. Expected a string with maximum length 8, but got a string with length 9 instead.",
    ]);
    expect(refusal({ messages: [{ role: "robot", content: "q" }] })).toEqual([
      "messages[0].role",
      "invalid_value",
      "Invalid value: 'robot'. Supported values are: 'system', 'user', and 'assistant'.",
    ]);
    expect(refusal({ messages: [{ role: "user" }] })).toEqual([
      "messages[0].content",
      "missing_required_parameter",
      "Missing required parameter: 'messages[0].content'.",
    ]);
    expect(refusal({ ...ok, tags: ["x", 3] })).toEqual([
      "tags[1]",
      "invalid_type",
      "Invalid type for 'tags[1]': expected a string, but got an integer instead.",
    ]);
  });

  it("names a missing field, a wrong type or the wrong part inside for fields of several shapes", () => {
    const Responses = z.object({ input: z.union([z.string(), z.array(z.object({ text: z.string() }))]) });
    const refused = (body: unknown) => {
      const error = invalidRequest(Responses.safeParse(body).error!, body, Responses);
      return [error.param, error.code, error.message];
    };
    expect(refused({})).toEqual([
      "input",
      "missing_required_parameter",
      "Missing required parameter: 'input'.",
    ]);
    expect(refused({ input: 5 })).toEqual([
      "input",
      "invalid_type",
      "Invalid type for 'input': expected one of a string or an array, but got an integer instead.",
    ]);
    expect(refused({ input: [{ text: 5 }] })).toEqual([
      "input[0].text",
      "invalid_type",
      "Invalid type for 'input[0].text': expected a string, but got an integer instead.",
    ]);
  });

  it("falls back to zod's message under invalid_value for other issues, and works without the body", () => {
    const [param, code, message] = refusal({ ...ok, mode: true });
    expect([param, code]).toEqual(["mode", "invalid_value"]);
    expect(message).toMatch(/^Invalid value for 'mode': /);
    const missing = Body.safeParse({});
    expect(invalidRequest(missing.error!).code).toBe("missing_required_parameter");
    expect(paramFromPath([])).toBeNull();
  });
});
