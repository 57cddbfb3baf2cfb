import { expect, test } from "vitest";
import { areaOf, summarizeProfile } from "./profile.ts";

test("areaOf maps script URLs to packages and runtime areas", () => {
  expect(areaOf("file:///x/node_modules/.pnpm/hono@4/node_modules/hono/dist/compose.js", "dispatch")).toBe(
    "hono",
  );
  expect(areaOf("file:///x/node_modules/@hono/node-server/dist/index.mjs", "f")).toBe("@hono/node-server");
  expect(areaOf("file:///work/main/packages/server/src/app.ts", "f")).toBe("@deeprecall/server");
  expect(areaOf("node:internal/crypto/util", "jobPromise")).toBe("node:internal/crypto");
  expect(areaOf("node:_http_outgoing", "end")).toBe("node:_http_outgoing");
  expect(areaOf("", "(garbage collector)")).toBe("(garbage collector)");
  expect(areaOf("", "writeUtf8String")).toBe("(native)");
});

test("summarizeProfile attributes self time by area and function", () => {
  const summary = summarizeProfile({
    startTime: 0,
    endTime: 1,
    nodes: [
      { id: 1, callFrame: { functionName: "(root)", url: "", lineNumber: -1 }, hitCount: 0 },
      {
        id: 2,
        callFrame: {
          functionName: "dispatch",
          url: "file:///n/node_modules/hono/dist/compose.js",
          lineNumber: 23,
        },
        hitCount: 3,
      },
      {
        id: 3,
        callFrame: {
          functionName: "dispatch",
          url: "file:///n/node_modules/hono/dist/compose.js",
          lineNumber: 23,
        },
        hitCount: 3,
      },
      { id: 4, callFrame: { functionName: "(idle)", url: "", lineNumber: -1 }, hitCount: 4 },
    ],
  });
  expect(summary.totalSamples).toBe(10);
  expect(summary.byArea).toEqual([
    { area: "hono", share: 0.6 },
    { area: "(idle)", share: 0.4 },
  ]);
  expect(summary.topFunctions[0]).toEqual({ name: "dispatch (compose.js:24)", area: "hono", share: 0.6 });
});
