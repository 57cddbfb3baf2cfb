import {
  InvalidPromptError,
  type LanguageModelV4CallOptions,
  type LanguageModelV4Message,
  type LanguageModelV4Prompt,
  type SharedV4Warning,
} from "@ai-sdk/provider";
import type { ModelMessage } from "@deeprecall/core";

export interface MappedPrompt {
  /** The last user message: the question the engine answers. */
  query: string;
  /** System messages, joined: extra instructions for the engine. */
  instructions?: string;
  /** Turns before the last user message, as plain text messages. */
  history?: ModelMessage[];
  warnings: SharedV4Warning[];
}

type Part = Exclude<LanguageModelV4Message, { role: "system" }>["content"][number];

function partText(part: Part, warnings: SharedV4Warning[]): string {
  switch (part.type) {
    case "text":
      return part.text;
    case "file":
      // Inline text documents are text; anything binary is beyond a text retrieval engine.
      if (part.data.type === "text") return part.data.text;
      warnings.push({
        type: "unsupported",
        feature: "file parts",
        details: `A ${part.mediaType} file part was ignored: DeepRecall answers from text.`,
      });
      return "";
    case "tool-call":
      return `[called tool ${part.toolName} with ${JSON.stringify(part.input)}]`;
    case "tool-result": {
      const output = part.output as { type: string; value?: unknown };
      const value = typeof output.value === "string" ? output.value : JSON.stringify(output.value ?? null);
      return `[${part.toolName} returned]\n${value}`;
    }
    default:
      // reasoning, custom and approval parts carry nothing the engine should read.
      return "";
  }
}

function messageText(message: LanguageModelV4Message, warnings: SharedV4Warning[]): string {
  if (message.role === "system") return message.content;
  return (message.content as Part[])
    .map((p) => partText(p, warnings))
    .filter((t) => t !== "")
    .join("\n");
}

/**
 * Maps an AI SDK prompt the way the OpenAI-compatible server maps chat messages: system
 * messages become `instructions`, the turns before the last user message become `history`,
 * the last user message is the query. Anything after the last user message is ignored.
 */
export function mapPrompt(prompt: LanguageModelV4Prompt): MappedPrompt {
  const warnings: SharedV4Warning[] = [];
  const texts = prompt.map((m) => messageText(m, warnings));
  let last = -1;
  for (let i = prompt.length - 1; i >= 0; i--) {
    if (prompt[i]!.role === "user") {
      last = i;
      break;
    }
  }
  if (last === -1) {
    throw new InvalidPromptError({
      prompt,
      message: "DeepRecall needs a user message: the last user message is the question it answers.",
    });
  }
  const query = texts[last]!;
  if (query.trim() === "") {
    throw new InvalidPromptError({ prompt, message: "The last user message has no text." });
  }
  const instructions: string[] = [];
  const history: ModelMessage[] = [];
  prompt.forEach((message, i) => {
    const text = texts[i]!;
    if (message.role === "system") {
      if (text.trim()) instructions.push(text);
      return;
    }
    if (i >= last || text.trim() === "") return;
    if (message.role === "user") history.push({ role: "user", content: text });
    else if (message.role === "assistant") history.push({ role: "assistant", content: text });
    else history.push({ role: "user", content: `[tool output]\n${text}` });
  });
  return {
    query,
    ...(instructions.length ? { instructions: instructions.join("\n\n") } : {}),
    ...(history.length ? { history } : {}),
    warnings,
  };
}

/** Call settings DeepRecall cannot honour, reported as AI SDK warnings instead of silently dropped. */
export function settingWarnings(options: LanguageModelV4CallOptions): SharedV4Warning[] {
  const warnings: SharedV4Warning[] = [];
  if (options.tools?.length) {
    warnings.push({
      type: "unsupported",
      feature: "tools",
      details: "DeepRecall runs its own retrieval tools; caller-supplied tools are not called.",
    });
  }
  if (options.responseFormat?.type === "json") {
    warnings.push({
      type: "unsupported",
      feature: "responseFormat",
      details: "DeepRecall answers in text; JSON response format is not enforced.",
    });
  }
  for (const feature of [
    "stopSequences",
    "topP",
    "topK",
    "presencePenalty",
    "frequencyPenalty",
    "seed",
  ] as const) {
    if (options[feature] !== undefined) warnings.push({ type: "unsupported", feature });
  }
  return warnings;
}
