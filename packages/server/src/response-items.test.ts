import { describe, expect, it } from "vitest";
import { conversationItems, duplicateId, inputItems } from "./response-items.ts";

describe("response items", () => {
  it("inputItems: a request's input as OpenAI lists it, ids kept or made, references resolved, reasoning left out", () => {
    expect(inputItems("Hi")).toEqual([
      {
        id: expect.stringMatching(/^msg_/),
        type: "message",
        role: "user",
        content: [{ type: "input_text", text: "Hi" }],
      },
    ]);
    const earlier = { id: "msg_old", type: "message", role: "assistant", status: "completed", content: [] };
    const items = inputItems(
      [
        { role: "developer", content: "Be terse." },
        { type: "message", id: "msg_u", role: "user", content: [{ type: "input_text", text: "Q?" }] },
        {
          role: "assistant",
          content: [
            { type: "output_text", text: "A." },
            { type: "refusal", refusal: "No." },
          ],
        },
        { type: "reasoning", id: "rs_1", summary: [] },
        { type: "item_reference", id: "msg_old" },
        { type: "item_reference", id: "msg_gone" },
        { type: "function_call", call_id: "call_1", name: "f", arguments: "{}" },
        { type: "function_call_output", call_id: "call_1", output: "ok" },
      ],
      (id) => (id === "msg_old" ? earlier : undefined),
    );
    expect(items).toEqual([
      {
        id: expect.stringMatching(/^msg_/),
        type: "message",
        role: "developer",
        content: [{ type: "input_text", text: "Be terse." }],
      },
      { id: "msg_u", type: "message", role: "user", content: [{ type: "input_text", text: "Q?" }] },
      {
        id: expect.stringMatching(/^msg_/),
        type: "message",
        role: "assistant",
        status: "completed",
        content: [
          { type: "output_text", text: "A.", annotations: [], logprobs: [] },
          { type: "refusal", refusal: "No." },
        ],
      },
      earlier,
      {
        id: expect.stringMatching(/^fc_/),
        type: "function_call",
        call_id: "call_1",
        name: "f",
        arguments: "{}",
        status: "completed",
      },
      {
        id: expect.stringMatching(/^fco_/),
        type: "function_call_output",
        call_id: "call_1",
        output: "ok",
        status: "completed",
      },
    ]);
  });

  it("conversationItems: finished messages and function calls, copied; reasoning and unfinished items left out", () => {
    const message = { id: "msg_1", type: "message", status: "completed", role: "assistant", content: [] };
    const output = [
      { id: "rs_1", type: "reasoning", summary: [], status: "completed" },
      message,
      { id: "fc_1", type: "function_call", status: "in_progress", call_id: "c", name: "f", arguments: "" },
    ];
    const kept = conversationItems(output);
    expect(kept).toEqual([message]);
    expect(kept[0]).not.toBe(message);
  });

  it("inputItems keeps annotations and function outputs only as OpenAI defines them: flat, whatever was nested", () => {
    const url = { type: "url_citation", url: "https://x.test/", start_index: 0, end_index: 1, title: "X" };
    const [message, image, text, odd, other] = inputItems([
      {
        role: "assistant",
        content: [
          {
            type: "output_text",
            text: "A.",
            annotations: [{ ...url, extra: { deep: [[[]]] } }, { type: "url_citation" }, { odd: 1 }, [[]], 7],
          },
        ],
      },
      {
        type: "function_call_output",
        call_id: "c1",
        output: [{ type: "input_image", image_url: "https://x.test/a.png", detail: { big: [] } }],
      },
      {
        type: "function_call_output",
        call_id: "c2",
        output: [{ type: "input_text", text: "ok", more: [[]] }],
      },
      { type: "function_call_output", call_id: "c3", output: [{ type: "input_text" }, 1] },
      { type: "function_call_output", call_id: "c4", output: { not: "a list" } },
    ]);
    expect(message!.content).toEqual([{ type: "output_text", text: "A.", annotations: [url], logprobs: [] }]);
    expect(image!.output).toEqual([
      { type: "input_image", image_url: "https://x.test/a.png", detail: "auto" },
    ]);
    expect(text!.output).toEqual([{ type: "input_text", text: "ok" }]);
    // Not a list of content parts: kept as the JSON text the engine read.
    expect(odd!.output).toBe('[{"type":"input_text"},1]');
    expect(other!.output).toBe('{"not":"a list"}');
  });

  it("duplicateId: the first id two items share", () => {
    const item = (id: string) => ({ id, type: "message" });
    expect(duplicateId([item("a"), item("b")])).toBeUndefined();
    expect(duplicateId([item("a"), item("b"), item("c"), item("b"), item("a")])).toBe("b");
  });
});
