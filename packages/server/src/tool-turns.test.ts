import { describe, expect, it } from "vitest";
import type { ApiError } from "./errors.ts";
import { checkToolTurns } from "./tool-turns.ts";

const user = { role: "user" };
const calls = (...ids: string[]) => ({
  role: "assistant",
  tool_calls: ids.map((id) => ({ id, type: "function", function: { name: "f", arguments: "{}" } })),
});
const reply = (id?: string) => ({ role: "tool", ...(id === undefined ? {} : { tool_call_id: id }) });

function errorOf(messages: Parameters<typeof checkToolTurns>[0]): ApiError {
  try {
    checkToolTurns(messages);
  } catch (error) {
    return error as ApiError;
  }
  throw new Error("no error");
}

describe("checkToolTurns", () => {
  it("lets a tool loop through: calls answered in any order, then the conversation goes on", () => {
    expect(() => checkToolTurns([user, calls("a", "b"), reply("b"), reply("a"), user])).not.toThrow();
    expect(() => checkToolTurns([user, calls("a"), reply("a")])).not.toThrow();
    expect(() => checkToolTurns([user, { role: "assistant", tool_calls: [] }, user])).not.toThrow();
  });

  it("refuses a tool message without tool_call_id, or answering no waiting call", () => {
    expect(errorOf([user, reply()]).toBody().error).toMatchObject({
      param: "messages[1].tool_call_id",
      code: "missing_required_parameter",
    });
    expect(errorOf([user, reply("zz")]).toBody().error.param).toBe("messages[1].role");
    expect(errorOf([user, calls("a"), reply("a"), reply("a")]).toBody().error.param).toBe("messages[3].role");
  });

  it("refuses calls left without a reply, naming the assistant message and the ids", () => {
    const error = errorOf([user, calls("a", "b"), reply("a"), user]);
    expect(error.status).toBe(400);
    expect(error.toBody().error.param).toBe("messages[1].role");
    expect(error.message).toContain(": b");
    expect(errorOf([user, calls("c")]).message).toContain(": c");
  });
});
