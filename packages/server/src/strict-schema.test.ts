import { zodResponseFormat } from "openai/helpers/zod";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { ApiError } from "./errors.ts";
import { checkStrictTool } from "./params.ts";
import { checkStrictSchema } from "./strict-schema.ts";

/** The 400's message for `schema`, or null when it passes. */
function refusal(schema: Record<string, unknown>): string | null {
  try {
    checkStrictSchema(schema, {
      param: "response_format",
      label: "response_format 'person'",
      code: "invalid_value",
    });
    return null;
  } catch (error) {
    expect(error).toBeInstanceOf(ApiError);
    const apiError = error as ApiError;
    expect([apiError.status, apiError.param, apiError.code]).toEqual([
      400,
      "response_format",
      "invalid_value",
    ]);
    return apiError.message;
  }
}

const address = {
  type: "object",
  properties: { city: { type: "string" } },
  required: ["city"],
  additionalProperties: false,
};
const person = {
  type: "object",
  properties: {
    name: { type: "string" },
    address,
    tags: { type: "array", items: address },
    nick: { anyOf: [{ type: "string" }, { type: "null" }] },
    home: { $ref: "#/$defs/place" },
  },
  required: ["name", "address", "tags", "nick", "home"],
  additionalProperties: false,
  $defs: { place: address },
};

describe("checkStrictSchema", () => {
  it("passes schemas that follow OpenAI's strict rules, including the openai SDK's zod helper's", () => {
    expect(refusal(person)).toBeNull();
    const Person = z.object({
      name: z.string(),
      age: z.number().nullable(),
      pets: z.array(z.object({ kind: z.enum(["cat", "dog"]) })),
    });
    const format = zodResponseFormat(Person, "person");
    expect(refusal(format.json_schema.schema as Record<string, unknown>)).toBeNull();
  });

  it("refuses, in OpenAI's words, an object without additionalProperties: false at any depth", () => {
    const { additionalProperties: _, ...open } = person;
    expect(refusal(open)).toBe(
      "Invalid schema for response_format 'person': In context=(), 'additionalProperties' is required to be supplied and to be false.",
    );
    const openAddress = { ...address, additionalProperties: true };
    expect(refusal({ ...person, properties: { ...person.properties, address: openAddress } })).toBe(
      "Invalid schema for response_format 'person': In context=('properties', 'address'), 'additionalProperties' is required to be supplied and to be false.",
    );
    expect(refusal({ ...person, $defs: { place: { ...address, additionalProperties: undefined } } })).toMatch(
      /In context=\('\$defs', 'place'\), 'additionalProperties'/,
    );
    expect(
      refusal({
        ...person,
        properties: { ...person.properties, tags: { type: "array", items: openAddress } },
      }),
    ).toMatch(/In context=\('properties', 'tags', 'items'\)/);
  });

  it("refuses a property left out of required, naming it", () => {
    expect(refusal({ ...person, required: ["name", "address", "tags", "home"] })).toBe(
      "Invalid schema for response_format 'person': In context=(), 'required' is required to be supplied and to be an array including every key in properties. Missing 'nick'.",
    );
  });

  it("refuses a root that is not an object", () => {
    expect(refusal({ type: "string" })).toBe(
      `Invalid schema for response_format 'person': schema must be a JSON Schema of 'type: "object"', got 'type: "string"'.`,
    );
    expect(refusal({ anyOf: [person, address] })).toMatch(/got 'type: anyOf'/);
  });
});

describe("checkStrictTool", () => {
  const loose = { type: "object", properties: { q: { type: "string" } }, required: ["q"] };

  it("refuses a strict function tool's loose parameters as OpenAI does, naming the function", () => {
    let caught: unknown;
    try {
      checkStrictTool({ name: "lookup", parameters: loose, strict: true }, "tools[2].function.parameters");
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ApiError);
    expect(caught).toMatchObject({
      status: 400,
      param: "tools[2].function.parameters",
      code: "invalid_function_parameters",
      message:
        "Invalid schema for function 'lookup': In context=(), 'additionalProperties' is required to be supplied and to be false.",
    });
  });

  it("leaves tools that are not strict, or have no parameters, alone", () => {
    for (const strict of [false, null, undefined]) {
      expect(() =>
        checkStrictTool({ name: "lookup", parameters: loose, strict }, "tools[0].parameters"),
      ).not.toThrow();
    }
    expect(() => checkStrictTool({ name: "lookup", strict: true }, "tools[0].parameters")).not.toThrow();
    expect(() =>
      checkStrictTool(
        { name: "lookup", parameters: { ...loose, additionalProperties: false }, strict: true },
        "tools[0].parameters",
      ),
    ).not.toThrow();
  });
});
