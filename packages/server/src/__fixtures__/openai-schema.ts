import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { expect } from "vitest";
import { validateJson } from "../json-schema.ts";

/**
 * OpenAI's published OpenAPI document (openai/openai-openapi), kept beside the repository at
 * ../shared/openai/openapi.json, or at /work/shared/openai/openapi.json on the project's machines
 * when the repository is cloned elsewhere (override with OPENAI_OPENAPI_PATH). Missing file =
 * failing tests, on purpose: the contract tests are only worth something against the real document.
 */
const CANDIDATES = [
  process.env.OPENAI_OPENAPI_PATH,
  fileURLToPath(new URL("../../../../../shared/openai/openapi.json", import.meta.url)),
  "/work/shared/openai/openapi.json",
].filter((p): p is string => typeof p === "string" && p !== "");
const PATH = CANDIDATES.find((p) => existsSync(p)) ?? CANDIDATES[0]!;

let doc: { components: { schemas: Record<string, unknown> } } | undefined;
function openapi() {
  doc ??= JSON.parse(readFileSync(PATH, "utf8"));
  return doc!;
}

/** Problems validating `value` against `#/components/schemas/<name>` (nullable honoured). */
export function schemaErrors(name: string, value: unknown): string[] {
  const root = openapi();
  const schema = root.components.schemas[name];
  if (!schema) throw new Error(`OpenAI's document has no schema ${name}`);
  return validateJson(value, schema as Record<string, unknown>, { root, nullable: true });
}

/** Fails the test with the problems when `value` does not match OpenAI's schema `name`. */
export function expectOpenAISchema(name: string, value: unknown): void {
  const errors = schemaErrors(name, value);
  expect(errors, `${name}: ${JSON.stringify(value).slice(0, 400)}`).toEqual([]);
}
