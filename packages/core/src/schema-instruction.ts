/**
 * A JSON Schema as an instruction to the model, for structured output. The schema must be in the
 * prompt: the AI SDK sends it natively only to providers with structured outputs, while
 * `@ai-sdk/openai-compatible` (the way to Ollama, vLLM, LM Studio) sends
 * `response_format: {"type": "json_object"}` without it, so the model could only guess the fields.
 *
 * @param format `schema` (a JSON Schema object; null for "any JSON object", which needs no
 *   instruction), with the optional `name` and `description` of the output.
 * @returns The instruction, or undefined when the schema is null.
 */
export function schemaInstruction(format: {
  schema: Record<string, unknown> | null;
  name?: string;
  description?: string;
}): string | undefined {
  if (format.schema === null) return undefined;
  const what = `The JSON${format.name ? ` (\`${format.name}\`)` : ""}`;
  const description = format.description ? ` ${format.description}` : "";
  return `${what} must match this JSON Schema.${description}\n${JSON.stringify(format.schema)}`;
}

/** `instructions` followed by the schema's instruction (see {@link schemaInstruction}), if any. */
export function withSchemaInstruction(
  instructions: string | undefined,
  format: Parameters<typeof schemaInstruction>[0] | undefined,
): string | undefined {
  const parts = [instructions, format ? schemaInstruction(format) : undefined].filter(
    (p): p is string => typeof p === "string" && p.trim() !== "",
  );
  return parts.length ? parts.join("\n\n") : undefined;
}
