/** What a `deeprecall serve` answers on GET /health (see @deeprecall/server's HealthSchema). */
export interface ServerHealth {
  /** The model its engine runs, e.g. "gpt-4o-mini". */
  engineModel: string;
  /** Its store's kind, e.g. "local". */
  vectorStore: string;
  /** Its persist directory, when the server says (older servers do not). */
  persistDir?: string;
}

/**
 * GET `url`/health, if a DeepRecall server answers there within `timeoutMs`: its model and store.
 * Undefined when nothing answers, too slowly, or with something that is not DeepRecall's health
 * (another program on that port). Never throws: callers use it for notes and warnings.
 */
export async function fetchServerHealth(
  url: string,
  options: { timeoutMs?: number; apiKey?: string } = {},
): Promise<ServerHealth | undefined> {
  try {
    const response = await fetch(`${url.replace(/\/+$/, "")}/health`, {
      headers: {
        accept: "application/json",
        ...(options.apiKey ? { authorization: `Bearer ${options.apiKey}` } : {}),
      },
      signal: AbortSignal.timeout(options.timeoutMs ?? 2000),
    });
    if (!response.ok) return undefined;
    const body = (await response.json()) as Record<string, unknown>;
    if (typeof body.engine_model !== "string" || typeof body.vector_store !== "string") return undefined;
    const persistDir = body.persist_dir ?? body.store_path;
    return {
      engineModel: body.engine_model,
      vectorStore: body.vector_store,
      ...(typeof persistDir === "string" ? { persistDir } : {}),
    };
  } catch {
    return undefined;
  }
}

/** The URL a client reaches a server listening on `host`:`port` at (0.0.0.0 and :: as loopback). */
export function localServerUrl(host: string, port: number): string {
  const shown = host === "0.0.0.0" || host === "::" ? "127.0.0.1" : host;
  return `http://${shown.includes(":") ? `[${shown}]` : shown}:${port}`;
}
