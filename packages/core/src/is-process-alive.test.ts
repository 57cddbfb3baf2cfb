import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { isProcessAlive } from "./is-process-alive.ts";

describe("isProcessAlive", () => {
  it("is true for this process and false for one that has exited", () => {
    expect(isProcessAlive(process.pid)).toBe(true);
    const exited = spawnSync(process.execPath, ["-e", "0"]);
    expect(exited.status).toBe(0);
    expect(isProcessAlive(exited.pid!)).toBe(false);
  });
});
