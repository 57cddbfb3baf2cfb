import { describe, expect, it } from "vitest";
import { RECORDED_STREAM } from "./__fixtures__/recorded-stream.ts";
import { type ChatStreamEvent, chatStreamEvents } from "./chat-events.ts";
import { readSse } from "./sse.ts";

async function eventsOf(text: string): Promise<ChatStreamEvent[]> {
  const out: ChatStreamEvent[] = [];
  const body = new Response(text).body!;
  await readSse(body, (m) => out.push(...chatStreamEvents(m)));
  return out;
}

describe("chatStreamEvents", () => {
  it("turns a recorded stream into answer text, progress, trace, citations, finish, extension, usage and done", async () => {
    const events = await eventsOf(RECORDED_STREAM);
    const kinds = events.map((e) => e.kind);
    expect(kinds.filter((k) => k === "trace")).toHaveLength(13);
    expect(
      events
        .filter((e) => e.kind === "content")
        .map((e) => (e as { text: string }).text)
        .join(""),
    ).toBe("Acme was founded by Jane Doe in 1999 [1]. She was born in Lyon [2].");
    // The trace comes before the answer text, the extension after the finish, [DONE] last.
    expect(kinds.lastIndexOf("trace")).toBeLessThan(kinds.indexOf("content"));
    expect(kinds.indexOf("finish")).toBeLessThan(kinds.indexOf("extension"));
    expect(kinds.at(-1)).toBe("done");
    expect(kinds).toContain("reasoning");
    expect(kinds).toContain("annotations");
    expect(kinds).toContain("usage");
    // The role chunk (empty content) carries nothing.
    expect(events[0]!.kind).toBe("trace");
  });

  it("reports a mid-stream error body with the server's message", () => {
    const events = chatStreamEvents({
      event: undefined,
      data: JSON.stringify({
        error: { message: "The model provider failed.", type: "api_error", param: null, code: null },
      }),
    });
    expect(events).toEqual([{ kind: "error", message: "The model provider failed." }]);
  });

  it("ignores malformed JSON, unknown named events and trace events without a type", () => {
    expect(chatStreamEvents({ event: undefined, data: "{not json" })).toEqual([]);
    expect(
      chatStreamEvents({ event: "something.else", data: '{"choices":[{"delta":{"content":"x"}}]}' }),
    ).toEqual([]);
    expect(chatStreamEvents({ event: "deeprecall.trace", data: '{"elapsed_ms":1}' })).toEqual([]);
  });
});
