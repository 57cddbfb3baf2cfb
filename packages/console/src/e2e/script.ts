import type { LanguageModelV4CallOptions } from "@ai-sdk/provider";
import { scriptedModel } from "@deeprecall/test-utils";

/** How long the scripted models think, in ms: slow enough for a browser to see the trace first. */
export interface Timing {
  /** Before the first turn's reply (code that searches and asks a sub-model). */
  codeTurnMs: number;
  /** Before the sub-model's answer. */
  subCallMs: number;
  /** Before the final turn's reply (the answer). */
  finalTurnMs: number;
}

export const DEFAULT_TIMING: Timing = { codeTurnMs: 300, subCallMs: 200, finalTurnMs: 300 };

/** The answer every question gets: markdown, a citation of the first source, and HTML a document could smuggle in. */
export const FINAL_ANSWER =
  'Acme was founded by **Jane Doe** in 1999 [1].\n\nQuoted from a document: <img src=x onerror="window.__xss = 1"><script>window.__xss = 2</script> and [a link](javascript:window.__xss=3).';

export const CODE_REPLY = [
  "Let me search the store and ask a sub-model about the best hit.",
  "```repl",
  "const hits = searchDb('Acme founded Jane Doe')",
  "print(hits.map((h) => h.id).join(', '))",
  "const summary = llmQuery('Who founded Acme? ' + hits[0].content)",
  "print(summary)",
  "```",
].join("\n");

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener(
      "abort",
      () => {
        clearTimeout(timer);
        reject(signal.reason);
      },
      { once: true },
    );
  });

/** Text of the prompt's messages with `role`. */
function textsOf(call: LanguageModelV4CallOptions, role: string): string[] {
  return call.prompt
    .filter((m) => m.role === role)
    .map((m) =>
      typeof m.content === "string"
        ? m.content
        : m.content.map((p) => ("text" in p && typeof p.text === "string" ? p.text : "")).join(""),
    );
}

/**
 * The root model of the console's tests, for any number of questions: a turn whose prompt holds
 * no code run yet searches, prints the hits and calls `llmQuery`; the turn after it answers with
 * FINAL citing [1]. `timing` is read on every call, so a test can slow it down.
 */
export function rootModel(timing: Timing) {
  const reply = async (call: LanguageModelV4CallOptions): Promise<string> => {
    const ranCode = textsOf(call, "assistant").some((t) => t.includes("```repl"));
    await sleep(ranCode ? timing.finalTurnMs : timing.codeTurnMs, call.abortSignal);
    return ranCode ? `FINAL(${FINAL_ANSWER})` : CODE_REPLY;
  };
  return scriptedModel(
    Array.from({ length: 500 }, () => reply),
    "mock-root",
  );
}

/** The sub-model `llmQuery` calls: one short answer, after `timing.subCallMs`. */
export function subModel(timing: Timing) {
  const reply = async (call: LanguageModelV4CallOptions): Promise<string> => {
    await sleep(timing.subCallMs, call.abortSignal);
    return "Jane Doe founded Acme in 1999.";
  };
  return scriptedModel(
    Array.from({ length: 500 }, () => reply),
    "mock-sub",
  );
}
