import { describe, expect, it } from "vitest";
import { RECORDED_STREAM } from "./__fixtures__/recorded-stream.ts";
import { readSse, type SseMessage } from "./sse.ts";

/** A body delivering `bytes` in pieces of the given sizes (cycled), as a network would. */
function bodyOf(bytes: Uint8Array, sizes: number[]): ReadableStream<Uint8Array> {
  let at = 0;
  let i = 0;
  return new ReadableStream({
    pull(controller) {
      if (at >= bytes.length) {
        controller.close();
        return;
      }
      const n = sizes[i++ % sizes.length]!;
      controller.enqueue(bytes.slice(at, at + n));
      at += n;
    },
  });
}

async function collect(text: string, sizes: number[]): Promise<SseMessage[]> {
  const out: SseMessage[] = [];
  await readSse(bodyOf(new TextEncoder().encode(text), sizes), (m) => out.push(m));
  return out;
}

describe("readSse", () => {
  it("reads every event of a recorded stream, named and plain, however the bytes are split", async () => {
    const whole = await collect(RECORDED_STREAM, [1 << 20]);
    expect(whole.filter((m) => m.event === "deeprecall.trace")).toHaveLength(13);
    expect(whole.at(-1)).toEqual({ event: undefined, data: "[DONE]" });
    // The keep-alive comment is not an event.
    expect(whole.some((m) => m.data.includes("keep-alive"))).toBe(false);
    for (const sizes of [[1], [3, 7], [64], [13, 1, 250]]) {
      expect(await collect(RECORDED_STREAM, sizes)).toEqual(whole);
    }
  });

  it("keeps a multi-byte character split across chunks whole", async () => {
    const text = 'data: {"content":"Zürich — 東京 🚀"}\n\n';
    const bytes = new TextEncoder().encode(text);
    for (let cut = 1; cut < bytes.length; cut++) {
      const messages = await collect(text, [cut, bytes.length]);
      expect(messages).toEqual([{ event: undefined, data: '{"content":"Zürich — 東京 🚀"}' }]);
    }
  });

  it("accepts CRLF line endings and a last event without its blank line", async () => {
    const messages = await collect('event: x\r\ndata: 1\r\n\r\ndata: {"a":2}', [5]);
    expect(messages).toEqual([
      { event: "x", data: "1" },
      { event: undefined, data: '{"a":2}' },
    ]);
  });
});
