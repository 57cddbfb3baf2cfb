import { createRequire } from "node:module";
import { describe, expect, it } from "vitest";
import { MIN_NODE_VERSION, nodeVersionError } from "./node-version.ts";

describe("nodeVersionError", () => {
  it("says which Node.js is needed and which one this is, on one line", () => {
    const message = nodeVersionError("20.11.1");
    expect(message).toMatch(/^deeprecall needs Node\.js 22\.12 or later; this is v20\.11\.1\. /);
    expect(message).not.toContain("\n");
    expect(nodeVersionError("22.11.0")).toContain("this is v22.11.0");
    expect(nodeVersionError("v18.0.0")).toContain("this is v18.0.0");
  });

  it("accepts the minimum and anything newer", () => {
    for (const version of ["22.12.0", "22.12.1", "22.20.0", "23.0.0", "24.21.0", "100.0.0"]) {
      expect(nodeVersionError(version)).toBeUndefined();
    }
  });

  it("matches package.json's engines.node", () => {
    const pkg = createRequire(import.meta.url)("../package.json") as { engines: { node: string } };
    expect(pkg.engines.node).toBe(`>=${MIN_NODE_VERSION}`);
  });
});
