/** The key the secured servers accept (ours and the original's). Not a secret. */
export const BENCH_API_KEY = "sk-bench-0123456789abcdef";
/** A limit no run can reach: the rate limiter does all its work but never says no. */
export const HUGE_RATE_LIMIT = 1_000_000_000;
/** The chat request every load test sends. */
export const CHAT_BODY = JSON.stringify({
  model: "deeprecall",
  messages: [{ role: "user", content: "What are the key themes?" }],
});
export const STREAM_BODY = JSON.stringify({
  model: "deeprecall",
  stream: true,
  messages: [{ role: "user", content: "What are the key themes?" }],
});
