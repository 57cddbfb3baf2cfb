import { useState } from "preact/hooks";
import { getKey } from "../lib/auth.ts";
import { curlSnippet, openaiSdkSnippet } from "../lib/snippets.ts";

/** The server's base URL as the page sees it: origin plus any path prefix, no hash. */
function baseUrl(): string {
  return new URL(".", location.href.split("#")[0]).href;
}

/**
 * "Copy as curl" and "Copy as OpenAI SDK code" for exactly the request this question sent. When
 * the clipboard cannot be written (a page served over plain http from another host), the
 * snippet is shown selected instead, to copy by hand.
 */
export function CopySnippets({ body }: { body: Record<string, unknown> }) {
  const [status, setStatus] = useState("");
  const [fallback, setFallback] = useState<string | null>(null);
  const copy = async (what: "curl" | "sdk") => {
    const withKey = getKey() !== null;
    const text =
      what === "curl" ? curlSnippet(baseUrl(), body, withKey) : openaiSdkSnippet(baseUrl(), body, withKey);
    try {
      await navigator.clipboard.writeText(text);
      setFallback(null);
      setStatus(what === "curl" ? "curl command copied" : "OpenAI SDK code copied");
    } catch {
      setFallback(text);
      setStatus("The clipboard is not available here: copy the snippet below.");
    }
  };
  return (
    <>
      <button type="button" class="btn btn-small" onClick={() => copy("curl")}>
        Copy as curl
      </button>
      <button type="button" class="btn btn-small" onClick={() => copy("sdk")}>
        Copy as OpenAI SDK code
      </button>
      <span class="muted small" role="status">
        {status}
      </span>
      {fallback !== null ? (
        <textarea
          class="snippet-fallback"
          aria-label="Snippet to copy"
          readOnly
          value={fallback}
          rows={8}
          ref={(el) => el?.select()}
        />
      ) : null}
    </>
  );
}
