/** True under CI (`CI=true` or `CI=1`), where a missing service fails the tests that need it. */
export function isCI(env: Record<string, string | undefined> = process.env): boolean {
  return env.CI === "true" || env.CI === "1";
}

/**
 * What a test file does when a service it needs (a server binary, a browser, a model file) is
 * missing: under CI it throws, so that CI never passes by skipping the real thing; elsewhere it
 * warns once with `message` (which must say what to install) and returns the suffix for the name of
 * the skipped suite, so the skip is visible in the report as well as in the log.
 */
export function skipOrFailForMissing(
  message: string,
  env: Record<string, string | undefined> = process.env,
): string {
  if (isCI(env)) throw new Error(`CI=true and a service the tests need is missing: ${message}`);
  console.warn(`[skipped] ${message}`);
  return ` (skipped: ${message})`;
}
