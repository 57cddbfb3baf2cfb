import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";

/**
 * An OpenAI-compatible fake LLM (POST /v1/chat/completions, JSON and SSE) that misbehaves on
 * cue, for fault injection through the real `@ai-sdk/openai-compatible` provider.
 */
export type FakeLlmAction =
  /** A well-formed reply (streamed in pieces when the request asks for a stream). */
  | { kind: "reply"; text: string; delayMs?: number }
  /** An HTTP error with an OpenAI-shaped body. */
  | { kind: "status"; status: number; message?: string }
  /** Accept the request and never answer (until the client gives up). */
  | { kind: "hang" }
  /** 200 with a body that is not JSON (cut in the middle of an object). */
  | { kind: "malformed-json" }
  /** 200 JSON that parses but has no choices. */
  | { kind: "wrong-shape" }
  /** Start an SSE stream, send some of the text, then drop the connection. */
  | { kind: "truncated-stream"; text: string }
  /** An SSE stream whose data lines are not JSON. */
  | { kind: "garbage-stream" }
  /** Close the socket without any response. */
  | { kind: "reset" };

export interface FakeLlmCall {
  index: number;
  stream: boolean;
  messages: Array<{ role: string; content: string }>;
  /** True when the client went away before the response was finished. */
  clientAborted: boolean;
}

export type FakeLlmScript = (call: FakeLlmCall) => FakeLlmAction | Promise<FakeLlmAction>;

export interface FakeLlm {
  baseUrl: string;
  calls: FakeLlmCall[];
  /** Replace the script (e.g. between the phases of a test). */
  setScript(script: FakeLlmScript): void;
  close(): Promise<void>;
}

function textOf(content: unknown): string {
  if (typeof content === "string") return content;
  if (!Array.isArray(content)) return "";
  return content
    .map((p) => (p && typeof p === "object" && "text" in p ? String((p as { text: unknown }).text) : ""))
    .join("");
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

/** Replies like a DeepRecall model: search for the question first, then FINAL from the hit. */
export function ragReply(call: FakeLlmCall): FakeLlmAction {
  const searched = call.messages.some(
    (m) => m.role === "assistant" && m.content.includes("// fake-llm: search"),
  );
  const first = call.messages.find((m) => m.role === "user" && m.content.includes("Question: "));
  if (!first) return { kind: "reply", text: "A short sub-answer." };
  if (!searched) {
    const q = /Question: (.*)/.exec(first.content)?.[1] ?? "anything";
    return {
      kind: "reply",
      text: `\`\`\`repl\n// fake-llm: search\nconst hits = searchDb(${JSON.stringify(q)}, 3);\nprint(hits.length);\n\`\`\``,
    };
  }
  return {
    kind: "reply",
    text: '```repl\nFINAL(hits.length > 0 ? "Found: " + hits[0].content : "The documents do not say.")\n```',
  };
}

export async function startFakeLlm(script: FakeLlmScript = ragReply): Promise<FakeLlm> {
  let current = script;
  const calls: FakeLlmCall[] = [];
  const sockets = new Set<Socket>();

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    if (req.method !== "POST" || !req.url?.endsWith("/chat/completions")) {
      res.writeHead(404, { "content-type": "application/json" });
      res.end(JSON.stringify({ error: { message: "not found", type: "invalid_request_error" } }));
      return;
    }
    const body = JSON.parse(await readBody(req)) as {
      stream?: boolean;
      model?: string;
      messages?: Array<{ role: string; content: unknown }>;
      stream_options?: { include_usage?: boolean };
    };
    const call: FakeLlmCall = {
      index: calls.length,
      stream: body.stream === true,
      messages: (body.messages ?? []).map((m) => ({ role: m.role, content: textOf(m.content) })),
      clientAborted: false,
    };
    calls.push(call);
    res.on("close", () => {
      if (!res.writableFinished) call.clientAborted = true;
    });
    const action = await current(call);
    const id = `chatcmpl-fake-${call.index}`;
    const base = { id, created: Math.floor(Date.now() / 1000), model: body.model ?? "fake" };
    const usage = { prompt_tokens: 20, completion_tokens: 8, total_tokens: 28 };
    switch (action.kind) {
      case "hang":
        return; // the socket stays open until the client or close() ends it
      case "reset":
        req.socket.destroy();
        return;
      case "status":
        res.writeHead(action.status, { "content-type": "application/json" });
        res.end(
          JSON.stringify({
            error: {
              message: action.message ?? `fake failure ${action.status}`,
              type: "server_error",
              code: null,
            },
          }),
        );
        return;
      case "malformed-json":
        res.writeHead(200, { "content-type": "application/json" });
        res.end(
          '{"id":"chatcmpl-x","object":"chat.completion","choices":[{"index":0,"message":{"role":"assist',
        );
        return;
      case "wrong-shape":
        res.writeHead(200, { "content-type": "application/json" });
        res.end(JSON.stringify({ id, object: "chat.completion", unexpected: true }));
        return;
      case "garbage-stream":
        res.writeHead(200, { "content-type": "text/event-stream" });
        res.write("data: {this is not json\n\n");
        res.write("data: <html>502 Bad Gateway</html>\n\n");
        res.end("data: [DONE]\n\n");
        return;
      case "truncated-stream": {
        res.writeHead(200, { "content-type": "text/event-stream" });
        const chunk = (delta: Record<string, unknown>) =>
          `data: ${JSON.stringify({ ...base, object: "chat.completion.chunk", choices: [{ index: 0, delta, finish_reason: null }] })}\n\n`;
        res.write(chunk({ role: "assistant", content: "" }));
        res.write(chunk({ content: action.text.slice(0, Math.ceil(action.text.length / 2)) }));
        // half an event, then the connection drops
        res.write('data: {"id":"chatcmpl-trunc","choi');
        await new Promise((r) => setTimeout(r, 20));
        req.socket.destroy();
        return;
      }
      case "reply": {
        if (action.delayMs) {
          await new Promise<void>((resolve) => {
            const timer = setTimeout(resolve, action.delayMs);
            res.once("close", () => {
              clearTimeout(timer);
              resolve();
            });
          });
          if (call.clientAborted) return;
        }
        if (!call.stream) {
          res.writeHead(200, { "content-type": "application/json" });
          res.end(
            JSON.stringify({
              ...base,
              object: "chat.completion",
              choices: [
                { index: 0, message: { role: "assistant", content: action.text }, finish_reason: "stop" },
              ],
              usage,
            }),
          );
          return;
        }
        res.writeHead(200, { "content-type": "text/event-stream" });
        const send = (data: unknown) => res.write(`data: ${JSON.stringify(data)}\n\n`);
        const chunkBase = { ...base, object: "chat.completion.chunk" };
        send({
          ...chunkBase,
          choices: [{ index: 0, delta: { role: "assistant", content: "" }, finish_reason: null }],
        });
        for (const piece of action.text.match(/[\s\S]{1,16}/g) ?? []) {
          send({ ...chunkBase, choices: [{ index: 0, delta: { content: piece }, finish_reason: null }] });
        }
        send({ ...chunkBase, choices: [{ index: 0, delta: {}, finish_reason: "stop" }], usage });
        res.end("data: [DONE]\n\n");
        return;
      }
    }
  };

  const server: Server = createServer((req, res) => {
    handle(req, res).catch(() => {
      if (!res.headersSent) res.writeHead(500);
      res.end();
    });
  });
  server.on("connection", (socket) => {
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}/v1`,
    calls,
    setScript(next) {
      current = next;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
