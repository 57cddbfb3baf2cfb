export interface RetryOptions {
  /** Retries after the first attempt. Default 3. */
  maxRetries?: number;
  /** First backoff delay in ms; doubles each attempt, with full jitter. Default 500. */
  baseDelayMs?: number;
  /** Cap on one backoff delay. Default 10 000. */
  maxDelayMs?: number;
}
