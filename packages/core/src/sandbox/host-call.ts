import { getErrorMessage } from "../errors/get-error-message.ts";
import type { MetadataFilter, SearchResult } from "../types.ts";
import type { HostFunctionName, HostReply, ResolvedLimits } from "./protocol.ts";
import type { SandboxHost } from "./types.ts";

/**
 * Runs one host call on behalf of model code and returns the JSON reply the worker hands back
 * to QuickJS. Never throws: a failure (including the host's own errors, such as a
 * `BudgetExceededError`) becomes `{ ok: false, name, message }`, thrown inside the sandbox as an
 * `Error` with that name and message.
 *
 * The size caps are checked here as well as in the prelude: the prelude gives the model a
 * readable error without a round trip; this copy holds even if model code found a way around it.
 */
export async function invokeHost(
  host: SandboxHost,
  fn: HostFunctionName,
  argsJson: string,
  limits: ResolvedLimits,
  signal: AbortSignal,
): Promise<string> {
  try {
    const args = JSON.parse(argsJson) as unknown[];
    let value: unknown;
    switch (fn) {
      case "searchDb": {
        // The prelude sends the filter as the JSON text it checked (see its searchDb).
        const [query, topK, filterJson] = args;
        const text = String(query);
        checkLength("searchDb", "query", text, limits.maxQueryChars);
        let filters: MetadataFilter | undefined;
        if (typeof filterJson === "string") {
          checkLength("searchDb", "filter (as JSON)", filterJson, limits.maxFilterChars);
          const parsed: unknown = JSON.parse(filterJson);
          if (parsed !== null && typeof parsed === "object" && !Array.isArray(parsed)) {
            filters = parsed as MetadataFilter;
          }
        }
        const hits = await host.searchDb(text, typeof topK === "number" ? topK : undefined, filters, {
          signal,
        });
        value = (Array.isArray(hits) ? hits : []).map(toPlainHit);
        break;
      }
      case "llmQuery": {
        const prompt = String(args[0]);
        checkLength("llmQuery", "prompt", prompt, limits.maxPromptChars);
        value = String(await host.llmQuery(prompt, { signal }));
        break;
      }
      case "llmQueryBatched": {
        const prompts = Array.isArray(args[0]) ? args[0].map(String) : [];
        if (prompts.length > limits.maxBatchSize) {
          throw new RangeError(
            `llmQueryBatched: ${prompts.length} prompts is more than the limit of ${limits.maxBatchSize} per call; send fewer (or fewer at a time)`,
          );
        }
        let total = 0;
        for (const prompt of prompts) {
          checkLength("llmQueryBatched", "prompt", prompt, limits.maxPromptChars);
          total += prompt.length;
        }
        if (total > limits.maxBatchChars) {
          throw new RangeError(
            `llmQueryBatched: the prompts come to more than ${limits.maxBatchChars} characters together (the limit per call); send fewer or shorter prompts at a time`,
          );
        }
        const answers = await host.llmQueryBatched(prompts, { signal });
        value = (Array.isArray(answers) ? answers : []).map(String);
        break;
      }
      default:
        throw new Error(`unknown host function ${String(fn)}`);
    }
    return JSON.stringify({ ok: true, value } satisfies HostReply);
  } catch (error) {
    return errorReply(error);
  }
}

/** The JSON reply that makes the sandbox throw `error` (its name and message only). */
export function errorReply(error: unknown): string {
  const name = error instanceof Error ? error.name : "Error";
  return JSON.stringify({ ok: false, name, message: getErrorMessage(error) } satisfies HostReply);
}

function checkLength(fn: string, what: string, text: string, max: number): void {
  if (text.length > max) {
    throw new RangeError(
      `${fn}: the ${what} is ${text.length} characters, more than the limit of ${max}; shorten it`,
    );
  }
}

function toPlainHit(hit: SearchResult): SearchResult {
  return {
    id: String(hit.id),
    content: String(hit.content),
    metadata: hit.metadata !== null && typeof hit.metadata === "object" ? hit.metadata : {},
    score: Number(hit.score),
  };
}
