import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { chromaCliPath } from "./chroma-server.ts";

describe("chromaCliPath", () => {
  // Under vitest, chromadb resolves to dist/chromadb.mjs (not dist/cjs/chromadb.cjs as under
  // Node's require): the path used to come out as <pkg>/cli.mjs, which does not exist.
  it("finds the chromadb package's `chroma` bin whichever entry the resolver picked", () => {
    const cli = chromaCliPath();
    expect(existsSync(cli), cli).toBe(true);
    expect(cli.split(path.sep).slice(-2).join("/")).toBe("dist/cli.mjs");
    expect(readFileSync(cli, "utf8").startsWith("#!/usr/bin/env node")).toBe(true);
  });
});
