import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { fakeEmbedding } from "@deeprecall/test-utils";

/**
 * An OpenAI-compatible fake LLM for tests: a real HTTP server on a free port answering
 * `POST /v1/chat/completions`, non-streaming and streaming (SSE), so the whole stack
 * (AI SDK provider, engine, sandbox, CLI, server) runs for real with only the model faked.
 *
 * The default script answers like a model using the DeepRecall sandbox: first a ```repl block
 * that searches the store for the question, then `FINAL(...)` built from the top hit, so the
 * answer is grounded in whatever was ingested.
 *
 * `POST /v1/embeddings` answers with `fakeEmbedding` vectors (deterministic, 256 dimensions), so
 * `--embedding-model` works offline against it too.
 */

export interface ChatMessage {
  role: string;
  content: string;
}

export interface FakeLlmRequest {
  model: string;
  messages: ChatMessage[];
  stream: boolean;
  body: Record<string, unknown>;
}

export type FakeLlmReply = string | { status: number; message: string };
export type FakeLlmScript = (
  request: FakeLlmRequest,
  callIndex: number,
) => FakeLlmReply | Promise<FakeLlmReply>;

export interface FakeLlm {
  /** Base URL for `--base-url`, e.g. http://127.0.0.1:PORT/v1 */
  baseUrl: string;
  port: number;
  /** Every chat request received, in order. */
  requests: FakeLlmRequest[];
  /** The inputs of every embeddings request received, in order. */
  embeddingRequests: Array<{ model: string; input: string[] }>;
  close(): Promise<void>;
}

function textOf(content: unknown): string {
  if (typeof content === "string") return content;
  if (Array.isArray(content)) {
    return content
      .map((part) => (part && typeof part === "object" && "text" in part ? String(part.text) : ""))
      .join("");
  }
  return "";
}

/** The question from the engine's first user message ("Question: ..."), else the first user text. */
export function questionOf(messages: ChatMessage[]): string {
  for (const m of messages) {
    if (m.role !== "user") continue;
    const match = /^Question: (.+)$/m.exec(m.content);
    if (match) return match[1]!.trim();
  }
  return messages.find((m) => m.role === "user")?.content.trim() ?? "";
}

/**
 * Search first, then answer from the top hit. The sandbox keeps `hits` between blocks, so the
 * second turn's FINAL uses the real search results.
 */
export const ragScript: FakeLlmScript = (request) => {
  const userTurns = request.messages.filter((m) => m.role === "user").length;
  if (userTurns <= 1) {
    const question = questionOf(request.messages);
    return [
      "Let me search the store first.",
      "```repl",
      `const hits = searchDb(${JSON.stringify(question)}, 3);`,
      'print(hits.map((h) => h.metadata.filename + ": " + h.content).join("\\n---\\n"));',
      "```",
    ].join("\n");
  }
  return [
    "I have what I need.",
    "```repl",
    'FINAL(hits.length > 0 ? "According to " + hits[0].metadata.filename + ": " + hits[0].content : "The documents do not say.");',
    "```",
  ].join("\n");
};

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

function usageFor(request: FakeLlmRequest, text: string) {
  const prompt = request.messages.reduce((n, m) => n + Math.ceil(m.content.length / 4), 0);
  const completion = Math.max(1, Math.ceil(text.length / 4));
  return { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion };
}

export async function startFakeLlm(
  options: { script?: FakeLlmScript; host?: string } = {},
): Promise<FakeLlm> {
  const script = options.script ?? ragScript;
  const requests: FakeLlmRequest[] = [];
  const embeddingRequests: FakeLlm["embeddingRequests"] = [];
  const embed = fakeEmbedding();
  let calls = 0;

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? "/", "http://localhost");
    if (req.method === "GET" && url.pathname === "/v1/models") {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(
        JSON.stringify({ object: "list", data: [{ id: "fake-model", object: "model", owned_by: "tests" }] }),
      );
      return;
    }
    if (req.method === "POST" && url.pathname === "/v1/embeddings") {
      const body = JSON.parse(await readBody(req)) as { model?: unknown; input?: unknown };
      const input = (Array.isArray(body.input) ? body.input : [body.input]).map(String);
      embeddingRequests.push({ model: String(body.model ?? ""), input });
      const vectors = await embed(input);
      const tokens = input.reduce((n, t) => n + Math.ceil(t.length / 4), 0);
      res.writeHead(200, { "content-type": "application/json" });
      res.end(
        JSON.stringify({
          object: "list",
          data: vectors.map((embedding, index) => ({ object: "embedding", index, embedding })),
          model: String(body.model ?? ""),
          usage: { prompt_tokens: tokens, total_tokens: tokens },
        }),
      );
      return;
    }
    if (req.method !== "POST" || url.pathname !== "/v1/chat/completions") {
      res.writeHead(404, { "content-type": "application/json" });
      res.end(
        JSON.stringify({
          error: { message: `no route ${req.method} ${url.pathname}`, type: "invalid_request_error" },
        }),
      );
      return;
    }
    const body = JSON.parse(await readBody(req)) as Record<string, unknown>;
    const request: FakeLlmRequest = {
      model: String(body.model ?? ""),
      messages: ((body.messages as Array<{ role: string; content: unknown }>) ?? []).map((m) => ({
        role: m.role,
        content: textOf(m.content),
      })),
      stream: body.stream === true,
      body,
    };
    requests.push(request);
    const reply = await script(request, calls++);
    if (typeof reply !== "string") {
      res.writeHead(reply.status, { "content-type": "application/json" });
      res.end(JSON.stringify({ error: { message: reply.message, type: "server_error", code: null } }));
      return;
    }
    const id = `chatcmpl-fake-${calls}`;
    const created = Math.floor(Date.now() / 1000);
    const usage = usageFor(request, reply);
    if (!request.stream) {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(
        JSON.stringify({
          id,
          object: "chat.completion",
          created,
          model: request.model,
          choices: [{ index: 0, message: { role: "assistant", content: reply }, finish_reason: "stop" }],
          usage,
        }),
      );
      return;
    }
    res.writeHead(200, {
      "content-type": "text/event-stream",
      "cache-control": "no-cache",
      connection: "keep-alive",
    });
    const send = (data: unknown) => res.write(`data: ${JSON.stringify(data)}\n\n`);
    const base = { id, object: "chat.completion.chunk", created, model: request.model };
    send({
      ...base,
      choices: [{ index: 0, delta: { role: "assistant", content: "" }, finish_reason: null }],
    });
    // Stream in a few pieces, as a real model would.
    const pieces = reply.match(/[\s\S]{1,24}/g) ?? [];
    for (const piece of pieces) {
      send({ ...base, choices: [{ index: 0, delta: { content: piece }, finish_reason: null }] });
    }
    send({ ...base, choices: [{ index: 0, delta: {}, finish_reason: "stop" }] });
    const streamOptions = body.stream_options as { include_usage?: boolean } | undefined;
    if (streamOptions?.include_usage) send({ ...base, choices: [], usage });
    res.write("data: [DONE]\n\n");
    res.end();
  };

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) res.writeHead(500, { "content-type": "application/json" });
      res.end(JSON.stringify({ error: { message: String(error), type: "server_error" } }));
    });
  });
  const host = options.host ?? "127.0.0.1";
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    baseUrl: `http://${host}:${port}/v1`,
    port,
    requests,
    embeddingRequests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
