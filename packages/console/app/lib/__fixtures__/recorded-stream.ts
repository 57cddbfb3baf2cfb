/**
 * A chat completion stream with `deeprecall.trace: true` and `include_usage`, in the server's
 * exact framing (chat.ts / sse.ts / trace.ts): role chunk, progress, trace events interleaved,
 * answer text, annotations, finish, the usage chunk carrying the `deeprecall` extension, [DONE].
 * One keep-alive comment sits in the middle, as after a silence.
 */
const base = {
  id: "chatcmpl-abc",
  object: "chat.completion.chunk",
  created: 1767225600,
  model: "deeprecall",
};
const chunk = (delta: Record<string, unknown>, finish: string | null = null) => ({
  ...base,
  choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }],
  usage: null,
});
const trace = (event: Record<string, unknown>) =>
  `event: deeprecall.trace\ndata: ${JSON.stringify(event)}\n\n`;
const data = (payload: unknown) => `data: ${JSON.stringify(payload)}\n\n`;

const budget = (iterations: number, searches: number, tokens: number, seconds: number) => ({
  iterations,
  search_calls: searches,
  tokens,
  elapsed_seconds: seconds,
  cost_usd: null,
  utilization: iterations / 5,
  exceeded: false,
  exceeded_limit: null,
  limits: { max_iterations: 5, max_time_seconds: 300 },
});

export const ANSWER = "Acme was founded by Jane Doe in 1999 [1]. She was born in Lyon [2].";

export const RECORDED_STREAM = [
  data(chunk({ role: "assistant", content: "" })),
  trace({ type: "query-start", elapsed_ms: 1, run_id: "run-1", query: "Who founded Acme?" }),
  trace({
    type: "search",
    elapsed_ms: 4,
    iteration: 0,
    query: "Who founded Acme?",
    top_k: 5,
    hits: [
      { id: "acme", score: 0.91 },
      { id: "jane", score: 0.42 },
    ],
    time_ms: 3,
    cached: false,
  }),
  trace({ type: "iteration-start", elapsed_ms: 5, iteration: 1 }),
  data(chunk({ reasoning_content: "Iteration 1: thinking…\n" })),
  trace({
    type: "model-text",
    elapsed_ms: 610,
    iteration: 1,
    text: "Let me look.\n```repl\nconst hits = searchDb('Acme founder')\nprint(hits[0].id)\n```",
  }),
  trace({
    type: "code",
    elapsed_ms: 611,
    iteration: 1,
    index: 0,
    code: "const hits = searchDb('Acme founder')\nprint(hits[0].id)",
  }),
  ": keep-alive\n\n",
  trace({
    type: "search",
    elapsed_ms: 640,
    iteration: 1,
    query: "Acme founder",
    top_k: 5,
    hits: [
      { id: "acme", score: 0.88 },
      { id: "weather", score: null },
    ],
    time_ms: 12,
    cached: true,
  }),
  trace({
    type: "sub-llm",
    elapsed_ms: 900,
    iteration: 1,
    depth: 1,
    prompt: "Where was Jane born?",
    response: "Lyon",
    time_ms: 250,
    error: null,
  }),
  trace({ type: "code-output", elapsed_ms: 905, iteration: 1, index: 0, output: "acme\n", error: null }),
  trace({
    type: "iteration-complete",
    elapsed_ms: 906,
    iteration: 1,
    time_ms: 901,
    usage: { prompt_tokens: 10, completion_tokens: 5, total_tokens: 15 },
    final: false,
    budget_status: budget(1, 2, 15, 0.9),
  }),
  trace({
    type: "budget-warning",
    elapsed_ms: 907,
    message: "80% of max_iterations used",
    budget_status: budget(4, 2, 15, 0.9),
  }),
  trace({ type: "iteration-start", elapsed_ms: 908, iteration: 2 }),
  trace({ type: "model-text", elapsed_ms: 1500, iteration: 2, text: `FINAL(${ANSWER})` }),
  trace({
    type: "iteration-complete",
    elapsed_ms: 1501,
    iteration: 2,
    time_ms: 593,
    usage: { prompt_tokens: 20, completion_tokens: 10, total_tokens: 30 },
    final: true,
    budget_status: budget(2, 2, 45, 1.5),
  }),
  data(chunk({ content: "Acme was founded by Jane Doe in 1999 [1]. " })),
  data(chunk({ content: "She was born in Lyon [2]." })),
  data(
    chunk({
      annotations: [
        {
          type: "url_citation",
          url_citation: {
            url: "http://127.0.0.1:8000/v1/documents/acme",
            title: "acme.txt",
            start_index: 37,
            end_index: 40,
          },
        },
        {
          type: "url_citation",
          url_citation: {
            url: "http://127.0.0.1:8000/v1/documents/jane",
            title: "people.txt",
            start_index: 63,
            end_index: 66,
          },
        },
      ],
    }),
  ),
  data(chunk({}, "stop")),
  data({
    ...base,
    choices: [],
    usage: { prompt_tokens: 30, completion_tokens: 15, total_tokens: 45 },
    deeprecall: {
      sources: [
        {
          id: "acme",
          content: "Acme Corporation was founded by Jane Doe in 1999.",
          metadata: { source: "acme.txt" },
          score: 0.91,
        },
        {
          id: "jane",
          content: "Jane Doe was born in Lyon.",
          metadata: { source: "people.txt" },
          score: 0.42,
        },
      ],
      confidence: 0.8,
      budget_status: budget(2, 2, 45, 1.5),
      steps: [
        {
          iteration: 1,
          searches: [
            { query: "Who founded Acme?", ids: ["acme", "jane"] },
            { query: "Acme founder", ids: ["acme", "weather"] },
          ],
        },
      ],
      error: null,
      execution_time_ms: 1502,
      cost_usd: null,
      cached: false,
      cached_usage: null,
    },
  }),
  "data: [DONE]\n\n",
].join("");
