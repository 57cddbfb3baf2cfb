import { formatMs } from "../lib/format.ts";
import type { SubLlmView } from "../lib/trace.ts";

/** One sub-LLM call (`llmQuery`): its depth and time, the prompt and the response (folded when long). */
export function SubLlmItem({ call }: { call: SubLlmView }) {
  return (
    <li class="trace-item trace-subllm">
      <div class="item-label">
        Sub-LLM call <span class="muted">depth {call.depth}</span>
        <span class="muted small"> · {formatMs(call.timeMs)}</span>
      </div>
      <details>
        <summary>Prompt ({call.prompt.length} characters)</summary>
        <pre class="output">{call.prompt}</pre>
      </details>
      {call.error ? (
        <pre class="output output-error">{call.error}</pre>
      ) : (
        <>
          <div class="item-label">Response</div>
          <pre class="output">{call.response}</pre>
        </>
      )}
    </li>
  );
}
