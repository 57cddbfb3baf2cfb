import { randomBytes } from "node:crypto";
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DeepRecallEngine, type EngineEvent } from "@deeprecall/core";
import { LocalStore } from "@deeprecall/vectorstore-local";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { HOSTILE_CORPUS } from "./corpus/hostile.ts";
import { answerTurn, questionOf, replModel } from "./harness/model.ts";
import { SEED_DOCUMENTS } from "./harness/server.ts";

const CANARY_ENV = "DEEPRECALL_HARDENING_CANARY";
const canaryEnvValue = `env-canary-${randomBytes(12).toString("hex")}`;
const canaryFileValue = `file-canary-${randomBytes(12).toString("hex")}`;

let dir: string;
let canaryFile: string;
let engine: DeepRecallEngine;
let envBefore: string;
let globalKeysBefore: string[];

const snippetsByName = new Map(HOSTILE_CORPUS.map((s) => [s.name, s]));
const codeFor = (name: string) =>
  snippetsByName.get(name)!.code.replaceAll("CANARY_FILE", canaryFile).replaceAll("CANARY_ENV", CANARY_ENV);

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "deeprecall-corpus-"));
  canaryFile = join(dir, "secret.txt");
  await writeFile(canaryFile, canaryFileValue);
  process.env[CANARY_ENV] = canaryEnvValue;
  const store = new LocalStore({ directory: join(dir, "store") });
  engine = new DeepRecallEngine({
    vectorStore: store,
    // Turn 1 runs the snippet named by the question; turn 2 finishes.
    model: replModel({
      reply: (call) => {
        const question = questionOf(call);
        if (question === undefined || !snippetsByName.has(question)) return answerTurn(call);
        const ran = call.prompt.some((m) => m.role === "assistant");
        return ran ? '```repl\nFINAL("corpus-done")\n```' : `\`\`\`repl\n${codeFor(question)}\n\`\`\``;
      },
    }),
    sandbox: { workers: 2, timeoutMs: 1_500, memoryBytes: 32 * 1024 * 1024 },
    maxIterations: 3,
  });
  await engine.addDocuments({ documents: SEED_DOCUMENTS, ids: SEED_DOCUMENTS.map((_, i) => `seed-${i}`) });
  envBefore = JSON.stringify(process.env);
  globalKeysBefore = Reflect.ownKeys(globalThis).map(String).sort();
});

afterAll(async () => {
  await engine?.close();
  delete process.env[CANARY_ENV];
  await rm(dir, { recursive: true, force: true });
});

describe(`hostile model code (${HOSTILE_CORPUS.length} snippets) through the real engine`, () => {
  it.each(HOSTILE_CORPUS.map((s) => [s.category, s.name, s] as const))(
    "%s: %s",
    async (_category, name, snippet) => {
      const events: EngineEvent[] = [];
      let outputSeen = false;
      let loopTurnedWhileBusy: Promise<boolean> | undefined;
      for await (const event of engine.stream(name)) {
        events.push(event);
        if (event.type === "code" && event.iteration === 1 && snippet.busy) {
          // While the sandbox spins in its worker, the main event loop keeps turning.
          loopTurnedWhileBusy = (async () => {
            for (let i = 0; i < 3; i++) await new Promise((r) => setTimeout(r, 0));
            return !outputSeen;
          })();
        }
        if (event.type === "code-output" && event.iteration === 1) outputSeen = true;
      }

      // The engine answered.
      const result = events.find((e) => e.type === "result");
      expect(result, "the run ended with a result").toBeDefined();
      const first = events.find((e) => e.type === "code-output" && e.iteration === 1) as
        | Extract<EngineEvent, { type: "code-output" }>
        | undefined;
      expect(first, "the snippet ran and reported back").toBeDefined();
      if (snippet.expectError) {
        expect(first!.error ?? "", `output: ${first!.output.slice(0, 300)}`).toMatch(snippet.expectError);
      }
      if (snippet.expectOutput) expect(first!.output.trim()).toMatch(snippet.expectOutput);
      if (first!.error) expect(first!.error.length).toBeLessThan(5_000); // readable, not a dump

      // Nothing secret leaked anywhere the model or a client could see.
      const everything = JSON.stringify(events);
      expect(everything).not.toContain(canaryEnvValue);
      expect(everything).not.toContain(canaryFileValue);

      // The host is untouched.
      expect(JSON.stringify(process.env)).toBe(envBefore);
      expect(await readFile(canaryFile, "utf8")).toBe(canaryFileValue);
      expect((await readdir(dir)).sort()).toEqual(["secret.txt", "store"]);
      expect(Reflect.ownKeys(globalThis).map(String).sort()).toEqual(globalKeysBefore);
      const probe: Record<string, unknown> = {};
      expect(probe.polluted ?? probe.polluted2 ?? ([] as unknown as Record<string, unknown>).polluted3).toBe(
        undefined,
      );
      expect(typeof [].push).toBe("function");

      if (loopTurnedWhileBusy) expect(await loopTurnedWhileBusy).toBe(true);
    },
    60_000,
  );

  it("after the whole corpus, the same engine still answers a normal query correctly", async () => {
    const result = await engine.query("Who developed the first compiler?");
    expect(result.error).toBeUndefined();
    expect(result.answer).toContain("Grace Hopper");
    expect(await engine.search("Analytical Engine")).not.toHaveLength(0);
  });
});
