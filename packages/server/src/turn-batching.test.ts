import { setImmediate as afterPoll } from "node:timers/promises";
import { afterEach, describe, expect, it, vi } from "vitest";
import { ScriptedEngine } from "./__fixtures__/scripted-engine.ts";
import { createApp } from "./app.ts";
import { turnBatching } from "./turn-batching.ts";

afterEach(() => {
  vi.useRealTimers();
});

describe("turnBatching", () => {
  it("runs the first request of a turn at once and the rest of that turn together after it", async () => {
    const started: string[] = [];
    const fetch = turnBatching((name: string) => {
      started.push(name);
      return `answer ${name}`;
    });
    const first = fetch("a");
    const second = fetch("b");
    const third = fetch("c");
    // A lone request waits for nothing: its handler ran before fetch returned.
    expect(first).toBe("answer a");
    expect(started).toEqual(["a"]);
    await Promise.resolve();
    expect(started).toEqual(["a"]);
    await afterPoll();
    expect(started).toEqual(["a", "b", "c"]);
    await expect(second).resolves.toBe("answer b");
    await expect(third).resolves.toBe("answer c");
  });

  it("starts a new turn after the check phase: its first request runs at once again", async () => {
    const started: string[] = [];
    const fetch = turnBatching((name: string) => {
      started.push(name);
      return name;
    });
    fetch("a");
    const waiting = fetch("b");
    await waiting;
    expect(fetch("c")).toBe("c");
    expect(started).toEqual(["a", "b", "c"]);
  });

  it("passes errors through: thrown at once for the first request, as a rejection for the others", async () => {
    const fetch = turnBatching((name: string): string => {
      throw new Error(`failed ${name}`);
    });
    expect(() => fetch("a")).toThrow("failed a");
    await expect(fetch("b")).rejects.toThrow("failed b");
  });

  it("keeps working when fake timers were installed before it was loaded", async () => {
    vi.useFakeTimers({ toFake: ["setImmediate", "setTimeout"] });
    vi.resetModules();
    const fresh = await import("./turn-batching.ts");
    const fetch = fresh.turnBatching(async (name: string) => name);
    const answers = await Promise.all([fetch("a"), fetch("b"), fetch("c")]);
    expect(answers).toEqual(["a", "b", "c"]);
  });

  it("keeps working while a test's fake timers hold setImmediate", async () => {
    const fetch = turnBatching(async (name: string) => name);
    vi.useFakeTimers({ toFake: ["setImmediate", "setTimeout"] });
    const answers = await Promise.all([fetch("a"), fetch("b"), fetch("c")]);
    expect(answers).toEqual(["a", "b", "c"]);
  });
});

describe("createApp with turn batching", () => {
  it("answers every request of one turn, each with its own answer", async () => {
    const engine = new ScriptedEngine();
    const app = createApp(engine);
    const questions = Array.from({ length: 20 }, (_, i) => `question ${i}`);
    const responses = await Promise.all(
      questions.map((q) =>
        app.request("/v1/chat/completions", {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ model: "deeprecall", messages: [{ role: "user", content: q }] }),
        }),
      ),
    );
    expect(responses.map((r) => r.status)).toEqual(questions.map(() => 200));
    const answers = await Promise.all(
      responses.map(async (r) => (await r.json()) as { choices: Array<{ message: { content: string } }> }),
    );
    expect(answers.map((a) => a.choices[0]?.message.content)).toEqual(
      questions.map((q) => `Answer to: ${q}`),
    );
    expect(engine.calls.filter((c) => c.method === "query").map((c) => c.query)).toEqual(questions);
  });

  it("holds the second request of a turn until the poll phase is over", async () => {
    const engine = new ScriptedEngine();
    const marks: string[] = [];
    const answer = engine.onQuery;
    engine.onQuery = (query, options) => {
      marks.push(query);
      return answer(query, options);
    };
    const app = createApp(engine);
    const ask = (q: string) =>
      app.request("/v1/chat/completions", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ model: "deeprecall", messages: [{ role: "user", content: q }] }),
      });
    setImmediate(() => marks.push("check phase"));
    const responses = await Promise.all([ask("first"), ask("second")]);
    expect(responses.map((r) => r.status)).toEqual([200, 200]);
    expect(marks).toEqual(["first", "check phase", "second"]);
  });
});
