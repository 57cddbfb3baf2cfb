import type { LanguageModelV4CallOptions, LanguageModelV4GenerateResult } from "@ai-sdk/provider";
import { abortableDelay, mockUsage } from "@deeprecall/test-utils";
import { MockLanguageModelV4 } from "ai/test";

/** The marker our first-turn code carries, so the second turn knows the search already ran. */
const SEARCH_MARKER = "// hardening: search turn";

function textOf(content: unknown): string {
  if (typeof content === "string") return content;
  if (!Array.isArray(content)) return "";
  return content
    .map((part) => (part && typeof part === "object" && "text" in part ? String(part.text) : ""))
    .join("");
}

/** The question the engine asked (its first user message reads "...Question: <q>\n\nStart by..."). */
export function questionOf(call: LanguageModelV4CallOptions): string | undefined {
  for (const message of call.prompt) {
    if (message.role !== "user") continue;
    const text = textOf(message.content);
    const at = text.indexOf("Question: ");
    if (at < 0) continue;
    const rest = text.slice(at + "Question: ".length);
    const end = rest.lastIndexOf("\n\nStart by searching");
    return end >= 0 ? rest.slice(0, end) : rest;
  }
  return undefined;
}

/** The REPL turn an answering model writes: search for the question, or FINAL from what it found. */
export function answerTurn(call: LanguageModelV4CallOptions): string {
  const searched = call.prompt.some(
    (m) => m.role === "assistant" && textOf(m.content).includes(SEARCH_MARKER),
  );
  const question = questionOf(call);
  if (question === undefined) return "A short answer for the sub-question.";
  if (!searched) {
    return [
      "Let me search first.",
      "```repl",
      SEARCH_MARKER,
      `const q = ${JSON.stringify(question)};`,
      "const hits = q.trim() ? searchDb(q, 3) : [];",
      'print(hits.map((h) => h.id + ": " + h.content.slice(0, 120)).join("\\n"));',
      "```",
    ].join("\n");
  }
  // Questions mentioning "search twice" search again before answering (a run with two searches).
  const again = question.includes("search twice") ? ['const more = searchDb(q + " again", 3);'] : [];
  return [
    "Done.",
    "```repl",
    ...again,
    'FINAL(typeof hits !== "undefined" && hits.length > 0 ? "Found: " + hits[0].content : "The documents do not say.");',
    "```",
  ].join("\n");
}

export interface ReplModelOptions {
  /** Replies; default {@link answerTurn} (search, then FINAL), stateless so it serves any number of runs. */
  reply?: (call: LanguageModelV4CallOptions, callIndex: number) => string | Promise<string>;
  /** Wait this long per call (honouring the abort signal). */
  delayMs?: number;
  modelId?: string;
  /** Awaited before each reply: lets a test inject a fault at an exact point of a run. */
  beforeReply?: (call: LanguageModelV4CallOptions) => Promise<void>;
  /** Called when a call starts (after the abort check). */
  onCall?: (call: LanguageModelV4CallOptions) => void;
  /** Called when a call's abort signal fires while it waits. */
  onAbort?: () => void;
}

/**
 * An AI SDK mock model for the "repl" strategy that answers any question: the default reply
 * searches the store for the question, then FINALs from the top hit.
 */
export function replModel(options: ReplModelOptions = {}) {
  let calls = 0;
  const reply = options.reply ?? answerTurn;
  return new MockLanguageModelV4({
    modelId: options.modelId ?? "hardening-mock",
    doGenerate: async (call): Promise<LanguageModelV4GenerateResult> => {
      const index = calls++;
      call.abortSignal?.throwIfAborted();
      options.onCall?.(call);
      if (options.delayMs) {
        try {
          await abortableDelay(options.delayMs, call.abortSignal);
        } catch (error) {
          options.onAbort?.();
          throw error;
        }
      }
      await options.beforeReply?.(call);
      // A structured-output call (response_format / text.format) gets JSON that fits its schema,
      // as a model that supports structured output would answer.
      const text =
        call.responseFormat?.type === "json"
          ? JSON.stringify(exampleFor(call.responseFormat.schema ?? {}))
          : await reply(call, index);
      return {
        content: [{ type: "text", text }],
        finishReason: { unified: "stop", raw: "stop" },
        usage: mockUsage(12, Math.max(1, Math.ceil(text.length / 4))),
        warnings: [],
      };
    },
  });
}

/** Replies with each snippet as a ```repl block, in turn, then FINALs; for corpus runs. */
export function snippetModel(code: string, finalText = "corpus-done") {
  return replModel({
    reply: (call) => {
      const ran = call.prompt.some((m) => m.role === "assistant");
      if (!ran) return `Running the snippet.\n\`\`\`repl\n${code}\n\`\`\``;
      return `\`\`\`repl\nFINAL(${JSON.stringify(finalText)})\n\`\`\``;
    },
  });
}

/**
 * A small value that satisfies a JSON Schema, for the structured-output calls of the mock model:
 * the first of `const`/`enum`/`anyOf`/`oneOf`, every `required` property of an object, the
 * minimum length of arrays and strings, the minimum of numbers.
 */
export function exampleFor(schema: unknown, depth = 0): unknown {
  if (schema === true || schema === undefined || schema === null || depth > 8) return {};
  if (typeof schema !== "object") return {};
  const s = schema as Record<string, unknown>;
  if ("const" in s) return s.const;
  if (Array.isArray(s.enum) && s.enum.length > 0) return s.enum[0];
  for (const key of ["anyOf", "oneOf"] as const) {
    const options = s[key];
    if (Array.isArray(options) && options.length > 0) return exampleFor(options[0], depth + 1);
  }
  if (Array.isArray(s.allOf) && s.allOf.length > 0) {
    return Object.assign({}, ...s.allOf.map((part) => exampleFor(part, depth + 1)));
  }
  const type = Array.isArray(s.type) ? s.type[0] : s.type;
  switch (type) {
    case "string":
      return "x".repeat(typeof s.minLength === "number" ? s.minLength : 0);
    case "integer":
    case "number":
      return typeof s.minimum === "number" ? s.minimum : 0;
    case "boolean":
      return false;
    case "null":
      return null;
    case "array": {
      const count = typeof s.minItems === "number" ? s.minItems : 0;
      return Array.from({ length: count }, () => exampleFor(s.items, depth + 1));
    }
    default: {
      const out: Record<string, unknown> = {};
      const properties = (s.properties ?? {}) as Record<string, unknown>;
      const required = Array.isArray(s.required) ? (s.required as string[]) : [];
      for (const name of required) out[name] = exampleFor(properties[name], depth + 1);
      return out;
    }
  }
}
