import { describe, expect, it } from "vitest";
import { answerProblem, cleanAnswer, synthesizeAnswer, usableAnswer } from "./answer-check.ts";

const q = "Where was the founder of Acme born?";

describe("answerProblem", () => {
  it("rejects empty answers, placeholder wording and echoes of the question", () => {
    for (const bad of [
      "",
      "   ",
      "the answer",
      "Your answer.",
      "FINAL(your answer)",
      "answer",
      '"your final answer"',
    ]) {
      expect(answerProblem(bad, q), bad).not.toBeNull();
    }
    expect(answerProblem(q, q)).toBe("it repeats the question");
    expect(answerProblem(`Question: ${q}`, q)).toBe("it repeats the question");
    expect(answerProblem("```python\nprint(1)\n```", q)).toBe("it is empty");
  });

  it("accepts real answers", () => {
    expect(answerProblem("Jane Doe was born in Lyon.", q)).toBeNull();
    expect(answerProblem("42", q)).toBeNull();
  });
});

describe("cleanAnswer / usableAnswer", () => {
  it("drops closed code blocks and everything from an unclosed fence", () => {
    expect(cleanAnswer("Lyon.\n```js\nprint(1)\n```\nDone")).toBe("Lyon.\n\nDone");
    expect(cleanAnswer("Lyon, France.\n```python\nfor x in y:")).toBe("Lyon, France.");
    expect(usableAnswer("```python\nx = 1", q)).toBeNull();
    expect(usableAnswer(undefined, q)).toBeNull();
    expect(usableAnswer("  Lyon  ", q)).toBe("Lyon");
  });
});

describe("synthesizeAnswer", () => {
  const sources = [
    {
      id: "jane",
      content: "Some intro. Jane Doe, the founder of Acme, was born in Lyon.\n```python\nprint('x')\n```",
      metadata: {},
      score: 0.9,
    },
    { id: "weather", content: "The weather in Paris is mild.", metadata: {}, score: 0.2 },
  ];

  it("quotes the sentences that match the question, with ids, naming the limit", () => {
    const answer = synthesizeAnswer(q, sources, "maxIterations");
    expect(answer).toContain("maxIterations");
    expect(answer).toContain("born in Lyon");
    expect(answer).toContain("[jane]");
    expect(answer).not.toContain("```");
    expect(answer.indexOf("born in Lyon")).toBeLessThan(
      answer.indexOf("weather") < 0 ? Infinity : answer.indexOf("weather"),
    );
  });

  it("is never empty, even without sources", () => {
    const answer = synthesizeAnswer(q, [], "maxTokens");
    expect(answer).toMatch(/maxTokens/);
    expect(answer).toMatch(/No relevant passages/);
  });
});
