import { describe, expect, it } from "vitest";
import { chunker, chunkStream } from "./chunks.ts";

const meta = { id: "c1", object: "text_completion", created: 1, model: "m" };
const choice = (text: string, finishReason: string | null) => ({ text, finish_reason: finishReason });

async function events(response: Response): Promise<string[]> {
  return (await response.text()).split("\n\n").filter((e) => e.startsWith("data: "));
}

/** A stream of "Hi" then the finish, with usage 3 and the extension { x: 1 }. */
function hiStream(includeUsage: boolean, finishReason: string): Response {
  const { chunk, finish } = chunker<string>({ ...meta, includeUsage }, choice, "");
  return chunkStream({
    signal: new AbortController().signal,
    keepAliveMs: 0,
    record: undefined,
    run: async (out) => {
      out.send(chunk("Hi"));
      finish(out, finishReason, { total_tokens: 3 }, { deeprecall: { x: 1 } });
    },
  });
}

describe("chunker", () => {
  it("without include_usage: no usage field; the extension rides on the finish chunk", async () => {
    expect(await events(hiStream(false, "stop"))).toEqual([
      `data: ${JSON.stringify({ ...meta, choices: [{ text: "Hi", finish_reason: null }] })}`,
      `data: ${JSON.stringify({ ...meta, choices: [{ text: "", finish_reason: "stop" }], deeprecall: { x: 1 } })}`,
      "data: [DONE]",
    ]);
  });

  it("with include_usage: usage null on every chunk, then a usage chunk with no choices", async () => {
    const data = (await events(hiStream(true, "length"))).map((e) => e.slice(6));
    expect(data.slice(0, 3).map((d) => JSON.parse(d))).toEqual([
      { ...meta, choices: [{ text: "Hi", finish_reason: null }], usage: null },
      { ...meta, choices: [{ text: "", finish_reason: "length" }], usage: null },
      { ...meta, choices: [], usage: { total_tokens: 3 }, deeprecall: { x: 1 } },
    ]);
    expect(data[3]).toBe("[DONE]");
  });

  it("a failure after the headers: OpenAI's error object, [DONE], and the request log notes it", async () => {
    const record: { error?: unknown; errorStatus?: number } = {};
    const response = chunkStream({
      signal: new AbortController().signal,
      keepAliveMs: 0,
      record,
      run: async () => {
        throw new Error("boom");
      },
    });
    const data = (await events(response)).map((e) => e.slice(6));
    expect(JSON.parse(data[0]!)).toMatchObject({ error: { type: "server_error", code: "internal_error" } });
    expect(data[1]).toBe("[DONE]");
    expect(record.errorStatus).toBe(500);
  });
});
