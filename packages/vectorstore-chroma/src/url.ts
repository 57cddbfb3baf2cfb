import { ConfigError } from "@deeprecall/core";

export interface ParsedChromaUrl {
  ssl: boolean;
  host: string;
  port: number;
  /** The URL without credentials, query or fragment: safe for messages and logs. */
  safeUrl: string;
  /** `Authorization: Basic ...` when the URL carried user:password. */
  authorization: string | undefined;
}

/** Parses the server URL; credentials in it become a Basic auth header and never reach messages. */
export function parseChromaUrl(url: string): ParsedChromaUrl {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new ConfigError("ChromaStore url is not a valid URL (expected e.g. http://localhost:8000)", {
      field: "url",
    });
  }
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:") {
    throw new ConfigError(`ChromaStore url must use http or https, got ${parsed.protocol}`, { field: "url" });
  }
  const ssl = parsed.protocol === "https:";
  const safeUrl = `${parsed.protocol}//${parsed.host}`;
  if (parsed.pathname !== "/" && parsed.pathname !== "") {
    throw new ConfigError(
      `ChromaStore url must not have a path (the chromadb client always talks to /api/v2 at the root): ${safeUrl}${parsed.pathname}`,
      { field: "url" },
    );
  }
  const authorization =
    parsed.username || parsed.password
      ? `Basic ${Buffer.from(`${decodeURIComponent(parsed.username)}:${decodeURIComponent(parsed.password)}`).toString("base64")}`
      : undefined;
  return {
    ssl,
    host: parsed.hostname.replace(/^\[(.*)\]$/, "$1"),
    port: parsed.port ? Number(parsed.port) : ssl ? 443 : 80,
    safeUrl,
    authorization,
  };
}
