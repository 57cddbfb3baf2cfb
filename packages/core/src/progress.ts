import type { EngineEvent } from "./types.ts";

const MAX_CHARS = 160;

function oneLine(text: string, max = MAX_CHARS): string {
  const flat = text.replace(/\s+/g, " ").trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

/**
 * One human-readable progress line (ending in "\n") for an engine event, or undefined for events
 * that are not progress (answer text, the result, raw model text). Every adapter that shows
 * reasoning progress (the server's `reasoning_content`, the AI SDK provider, LangChain, MCP)
 * uses this, so users see the same words everywhere.
 */
export function describeEngineEvent(event: EngineEvent): string | undefined {
  switch (event.type) {
    case "iteration-start":
      return `Iteration ${event.iteration}: thinking…\n`;
    case "code": {
      const lines = event.code.split("\n").filter((l) => l.trim()).length;
      return `Running code block ${event.index + 1} (${lines} line${lines === 1 ? "" : "s"}): ${oneLine(event.code, 100)}\n`;
    }
    case "code-output":
      return event.error
        ? `Code block ${event.index + 1} failed: ${oneLine(event.error)}\n`
        : `Code block ${event.index + 1} output: ${oneLine(event.output) || "(none)"}\n`;
    case "search":
      return `Searched "${oneLine(event.search.query, 100)}" (top ${event.search.topK}): ${event.search.hits} hit${event.search.hits === 1 ? "" : "s"}${event.search.cached ? " (cached)" : ""}\n`;
    case "sub-llm":
      return `Asked a sub-model (depth ${event.call.depth}): ${oneLine(event.call.prompt, 100)}\n`;
    case "budget-warning":
      return `Budget warning: ${oneLine(event.message)}\n`;
    default:
      return undefined;
  }
}
