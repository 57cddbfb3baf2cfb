import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import type { GenerateOptions, Generation, LocalChatModel, PlainMessage } from "./local-model.ts";

/** What the endpoint saw of one chat request: tests assert on what reached the model server. */
export interface RecordedRequest {
  stream: boolean;
  /** `max_completion_tokens ?? max_tokens` as sent; undefined when the client set no cap. */
  maxTokens: number | undefined;
  includeUsage: boolean;
  messages: PlainMessage[];
  /** The raw JSON body. */
  body: Record<string, unknown>;
  /** Filled in when the request ends. */
  outcome?: {
    finishReason: "stop" | "length";
    promptTokens: number;
    completionTokens: number;
    /** The client left before the reply was complete, and generation stopped. */
    aborted: boolean;
    ms: number;
  };
}

export interface TestLlmServerOptions {
  model: LocalChatModel;
  /** Model id served (GET /v1/models, echoed in replies). Default: the file name without `.gguf`. */
  modelId?: string;
  host?: string;
  /** 0 (default) = any free port. */
  port?: number;
}

export interface TestLlmServer {
  /** e.g. http://127.0.0.1:PORT/v1, for `--base-url` or an OpenAI client's baseURL. */
  baseUrl: string;
  port: number;
  modelId: string;
  /** Every chat request received, in order. */
  requests: RecordedRequest[];
  /** Stops listening and drops open connections (the model stays loaded; close it separately). */
  close(): Promise<void>;
}

class BadRequest extends Error {
  readonly param: string | null;
  constructor(message: string, param: string | null = null) {
    super(message);
    this.param = param;
  }
}

/** The outcome of a request whose client left before the model produced a token. */
function abortedEarly(started: number): NonNullable<RecordedRequest["outcome"]> {
  return {
    finishReason: "stop",
    promptTokens: 0,
    completionTokens: 0,
    aborted: true,
    ms: Math.round(performance.now() - started),
  };
}

const MAX_BODY_BYTES = 8 * 1024 * 1024;

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { "content-type": "application/json" });
  res.end(JSON.stringify(body));
}

function sendError(res: ServerResponse, status: number, message: string, param: string | null = null): void {
  sendJson(res, status, {
    error: {
      message,
      type: status >= 500 ? "server_error" : "invalid_request_error",
      param,
      code: null,
    },
  });
}

async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new BadRequest(`request body over ${MAX_BODY_BYTES} bytes`);
    chunks.push(chunk as Buffer);
  }
  let body: unknown;
  try {
    body = JSON.parse(Buffer.concat(chunks).toString("utf8"));
  } catch {
    throw new BadRequest("request body is not valid JSON");
  }
  if (typeof body !== "object" || body === null || Array.isArray(body))
    throw new BadRequest("request body must be a JSON object");
  return body as Record<string, unknown>;
}

/** Message content as text: a string, or the text parts of an array of parts. */
function textOf(content: unknown): string {
  if (typeof content === "string") return content;
  if (Array.isArray(content)) {
    return content
      .map((p) => (p && typeof p === "object" && "text" in p ? String((p as { text: unknown }).text) : ""))
      .join("");
  }
  return content == null ? "" : JSON.stringify(content);
}

/** OpenAI messages to plain ones: developer = system; tool results become user turns. */
export function toPlainMessages(raw: unknown): PlainMessage[] {
  if (!Array.isArray(raw) || raw.length === 0)
    throw new BadRequest("messages must be a non-empty array", "messages");
  return raw.map((m, i) => {
    if (!m || typeof m !== "object") throw new BadRequest(`messages[${i}] must be an object`, "messages");
    const { role, content } = m as { role?: unknown; content?: unknown };
    const text = textOf(content);
    switch (role) {
      case "system":
      case "developer":
        return { role: "system", content: text };
      case "user":
        return { role: "user", content: text };
      case "assistant":
        return { role: "assistant", content: text };
      case "tool":
      case "function":
        return { role: "user", content: `Tool result: ${text}` };
      default:
        throw new BadRequest(`messages[${i}].role: unsupported role ${JSON.stringify(role)}`, "messages");
    }
  });
}

function optionalNumber(body: Record<string, unknown>, key: string, integer = false): number | undefined {
  const v = body[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== "number" || !Number.isFinite(v) || (integer && (!Number.isInteger(v) || v < 1)))
    throw new BadRequest(`${key} must be ${integer ? "a positive integer" : "a number"}`, key);
  return v;
}

function stopStrings(body: Record<string, unknown>): string[] | undefined {
  const stop = body.stop;
  if (stop === undefined || stop === null) return undefined;
  if (typeof stop === "string") return [stop];
  if (Array.isArray(stop) && stop.every((s) => typeof s === "string")) return stop as string[];
  throw new BadRequest("stop must be a string or an array of strings", "stop");
}

/**
 * Serves a local model as a minimal OpenAI-compatible API on loopback:
 * `POST /v1/chat/completions` (non-streaming, and SSE streaming with `stream_options.include_usage`
 * and `data: [DONE]` last; `max_completion_tokens`/`max_tokens`, `stop`, `temperature`, `top_p`,
 * `seed` honoured; a client that disconnects stops the generation) and `GET /v1/models`.
 * Errors are OpenAI-shaped JSON. Tools and response formats are ignored (plain text only).
 */
export async function startTestLlmServer(options: TestLlmServerOptions): Promise<TestLlmServer> {
  const { model } = options;
  const modelId = options.modelId ?? path.basename(model.modelPath).replace(/\.gguf$/i, "");
  const requests: RecordedRequest[] = [];
  let counter = 0;

  const chat = async (req: IncomingMessage, res: ServerResponse) => {
    const body = await readJson(req);
    const messages = toPlainMessages(body.messages);
    const maxTokens =
      optionalNumber(body, "max_completion_tokens", true) ?? optionalNumber(body, "max_tokens", true);
    const temperature = optionalNumber(body, "temperature");
    const topP = optionalNumber(body, "top_p");
    const seed = optionalNumber(body, "seed");
    const stop = stopStrings(body);
    const stream = body.stream === true;
    const includeUsage =
      stream && (body.stream_options as { include_usage?: unknown } | undefined)?.include_usage === true;
    const record: RecordedRequest = { stream, maxTokens, includeUsage, messages, body };
    requests.push(record);

    // The client leaving (socket closed before the reply ended) aborts the generation.
    const controller = new AbortController();
    res.on("close", () => {
      if (!res.writableFinished) controller.abort(new Error("client disconnected"));
    });
    const started = performance.now();
    const id = `chatcmpl-local-${++counter}`;
    const created = Math.floor(Date.now() / 1000);
    const settings: GenerateOptions = {
      signal: controller.signal,
      ...(maxTokens !== undefined ? { maxTokens } : {}),
      ...(temperature !== undefined ? { temperature } : {}),
      ...(topP !== undefined ? { topP } : {}),
      ...(seed !== undefined ? { seed } : {}),
      ...(stop ? { stop } : {}),
    };
    const finish = (g: Generation) => {
      record.outcome = {
        finishReason: g.finishReason,
        promptTokens: g.promptTokens,
        completionTokens: g.completionTokens,
        aborted: g.aborted,
        ms: Math.round(performance.now() - started),
      };
    };
    const usageOf = (g: Generation) => ({
      prompt_tokens: g.promptTokens,
      completion_tokens: g.completionTokens,
      total_tokens: g.promptTokens + g.completionTokens,
    });

    if (!stream) {
      let g: Generation;
      try {
        g = await model.generate(messages, settings);
      } catch (error) {
        if (controller.signal.aborted) {
          record.outcome = {
            finishReason: "stop",
            promptTokens: 0,
            completionTokens: 0,
            aborted: true,
            ms: 0,
          };
          return;
        }
        throw error;
      }
      finish(g);
      if (g.aborted) return; // nobody is listening
      sendJson(res, 200, {
        id,
        object: "chat.completion",
        created,
        model: modelId,
        choices: [
          {
            index: 0,
            message: { role: "assistant", content: g.text },
            finish_reason: g.finishReason,
            logprobs: null,
          },
        ],
        usage: usageOf(g),
      });
      return;
    }

    res.writeHead(200, {
      "content-type": "text/event-stream",
      "cache-control": "no-cache",
      connection: "keep-alive",
    });
    const base = { id, object: "chat.completion.chunk", created, model: modelId };
    const send = (data: unknown) => {
      if (!res.writableEnded) res.write(`data: ${JSON.stringify(data)}\n\n`);
    };
    send({
      ...base,
      choices: [{ index: 0, delta: { role: "assistant", content: "" }, finish_reason: null }],
    });
    let g: Generation;
    try {
      g = await model.generate(messages, {
        ...settings,
        onText: (text) =>
          send({ ...base, choices: [{ index: 0, delta: { content: text }, finish_reason: null }] }),
      });
    } catch (error) {
      if (controller.signal.aborted) {
        record.outcome = abortedEarly(started);
        return;
      }
      // Headers are out: report the failure in the stream, as OpenAI does, then end it.
      send({ error: { message: (error as Error).message, type: "server_error", param: null, code: null } });
      res.end("data: [DONE]\n\n");
      return;
    }
    finish(g);
    if (g.aborted) return;
    send({ ...base, choices: [{ index: 0, delta: {}, finish_reason: g.finishReason }] });
    if (includeUsage) send({ ...base, choices: [], usage: usageOf(g) });
    res.end("data: [DONE]\n\n");
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? "/", "http://localhost");
    if (req.method === "GET" && url.pathname === "/v1/models") {
      sendJson(res, 200, {
        object: "list",
        data: [{ id: modelId, object: "model", created: 0, owned_by: "deeprecall-test-llm" }],
      });
      return;
    }
    if (req.method === "GET" && url.pathname === "/health") {
      sendJson(res, 200, { status: "ok" });
      return;
    }
    if (url.pathname === "/v1/chat/completions") {
      if (req.method !== "POST") {
        sendError(res, 405, `method ${req.method} not allowed; use POST`);
        return;
      }
      await chat(req, res);
      return;
    }
    sendError(res, 404, `no route ${req.method} ${url.pathname}`);
  };

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (res.headersSent) {
        res.end();
        return;
      }
      if (error instanceof BadRequest) sendError(res, 400, error.message, error.param);
      else sendError(res, 500, error instanceof Error ? error.message : String(error));
    });
  });
  const host = options.host ?? "127.0.0.1";
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const hostInUrl = host.includes(":") ? `[${host}]` : host;
  return {
    baseUrl: `http://${hostInUrl}:${port}/v1`,
    port,
    modelId,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
