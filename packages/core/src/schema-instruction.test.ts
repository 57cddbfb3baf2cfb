import { describe, expect, it } from "vitest";
import { schemaInstruction, withSchemaInstruction } from "./schema-instruction.ts";

const schema = { type: "object", properties: { city: { type: "string" } }, required: ["city"] };

describe("schemaInstruction", () => {
  it("puts the schema, its name and description in the prompt", () => {
    expect(schemaInstruction({ schema, name: "place", description: "Where it happened." })).toBe(
      `The JSON (\`place\`) must match this JSON Schema. Where it happened.\n${JSON.stringify(schema)}`,
    );
  });

  it("says nothing when any JSON object will do", () => {
    expect(schemaInstruction({ schema: null })).toBeUndefined();
  });
});

describe("withSchemaInstruction", () => {
  it("appends the schema to the user's instructions", () => {
    expect(withSchemaInstruction("Be brief.", { schema })).toBe(
      `Be brief.\n\nThe JSON must match this JSON Schema.\n${JSON.stringify(schema)}`,
    );
  });

  it("keeps the instructions alone without a schema, and is undefined with neither", () => {
    expect(withSchemaInstruction("Be brief.", { schema: null })).toBe("Be brief.");
    expect(withSchemaInstruction(undefined, undefined)).toBeUndefined();
    expect(withSchemaInstruction("  ", { schema: null })).toBeUndefined();
  });
});
