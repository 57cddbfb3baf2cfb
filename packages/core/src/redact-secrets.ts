const SECRET_PATTERNS: Array<[RegExp, string]> = [
  [/\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]+/gi, "$1 [redacted]"],
  [/\b(sk|pk|rk)[-_][A-Za-z0-9_-]{6,}[A-Za-z0-9_*.-]*/g, "[redacted-key]"],
  [/\bAIza[0-9A-Za-z_-]{20,}/g, "[redacted-key]"],
  [/\b(xai|gsk|pcsk|hf|r8|pplx|nvapi)[-_][A-Za-z0-9_-]{10,}/gi, "[redacted-key]"],
  [
    /((?:api[-_]?key|access[-_]?token|token|secret|password|authorization)["']?\s*[:=]\s*["']?)[^\s"',&}]+/gi,
    "$1[redacted]",
  ],
  // A password in a URL's user info: scheme://user:password@host
  [/(\/\/[^/\s:@]+:)[^@\s/]+@/g, "$1[redacted]@"],
];

/** Removes things that look like credentials (bearer tokens, provider keys, `api_key=...`) from a message. */
export function redactSecrets(text: string): string {
  let out = text;
  for (const [pattern, replacement] of SECRET_PATTERNS) out = out.replace(pattern, replacement);
  return out;
}
