import { execFile } from "node:child_process";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BudgetExceededError, ConfigError, SandboxError } from "../errors.ts";
import type { MetadataFilter, SearchResult } from "../types.ts";
import { createSandboxPool, DEFAULT_LIMITS, formatBlockResult } from "./index.ts";
import { debugRun } from "./pool.ts";
import type { SandboxHost, SandboxPool, SandboxSession, SandboxWorkerReport } from "./types.ts";

interface RecordedCall {
  fn: string;
  args: unknown[];
}

function makeHost(overrides: Partial<SandboxHost> = {}): { host: SandboxHost; calls: RecordedCall[] } {
  const calls: RecordedCall[] = [];
  const host: SandboxHost = {
    async searchDb(query: string, topK: number | undefined, filters: MetadataFilter | undefined) {
      calls.push({ fn: "searchDb", args: [query, topK, filters] });
      await sleep(1); // a real asynchronous hop, like a store would take
      const hits: SearchResult[] = [];
      for (let i = 0; i < (topK ?? 5); i++) {
        hits.push({
          id: `${query}-${i}`,
          content: `doc ${i} about ${query}`,
          metadata: { rank: i },
          score: 1 - i / 10,
        });
      }
      return hits;
    },
    async llmQuery(prompt: string) {
      calls.push({ fn: "llmQuery", args: [prompt] });
      await sleep(1);
      return `answer(${prompt})`;
    },
    async llmQueryBatched(prompts: string[]) {
      calls.push({ fn: "llmQueryBatched", args: [prompts] });
      await sleep(1);
      return prompts.map((p) => `answer(${p})`);
    },
    ...overrides,
  };
  return { host, calls };
}

let pool: SandboxPool;

beforeAll(() => {
  pool = createSandboxPool({ workers: 2 });
});

afterAll(async () => {
  await pool.close();
});

async function session(
  options?: Parameters<SandboxPool["createSession"]>[1],
  host?: SandboxHost,
): Promise<SandboxSession> {
  return pool.createSession(host ?? makeHost().host, options);
}

describe("state across blocks", () => {
  it("keeps top-level variables from block to block", async () => {
    const s = await session();
    expect((await s.run("const x = 41; let y = 'a'; var z = [1, 2]")).error).toBeUndefined();
    const result = await s.run("print(x + 1, y, z.length)");
    expect(result.error).toBeUndefined();
    expect(result.output).toBe("42 a 2");
    await s.dispose();
  });

  it("lets a later block re-declare const, let, class and function names", async () => {
    const s = await session();
    await s.run("const hits = [1]; let n = 1; class A { v() { return 1 } } function f() { return 1 }");
    const again = await s.run(
      "const hits = [1, 2]; let n = 2; class A { v() { return 2 } } function f() { return 2 }\nprint(hits.length, n, new A().v(), f())",
    );
    expect(again.error).toBeUndefined();
    expect(again.output).toBe("2 2 2 2");
    expect((await s.run("print(hits.length, n, new A().v(), f())")).output).toBe("2 2 2 2");
    await s.dispose();
  });

  it("persists destructured names and hoisted functions", async () => {
    const s = await session();
    const first = await s.run(
      "print(double(2))\nconst { a, b: [c, ...rest], d = 'dflt' } = { a: 1, b: [2, 3, 4] }\nfunction double(v) { return v * 2 }",
    );
    expect(first.error).toBeUndefined();
    expect(first.output).toBe("4");
    const second = await s.run("print(a, c, rest.join('+'), d, double(5))");
    expect(second.output).toBe("1 2 3+4 dflt 10");
    await s.dispose();
  });

  it("does not treat declarations inside strings, comments or nested blocks as top-level", async () => {
    const s = await session();
    const result = await s.run(
      "const text = 'const fake = 1' // const alsoFake = 2\nif (true) { const inner = 3 }\nfor (let i = 0; i < 2; i++) {}\nprint(text)",
    );
    expect(result.error).toBeUndefined();
    expect(await s.listVars()).toEqual(["text"]);
    await s.dispose();
  });

  it("keeps a statement starting with ( or [ separate from the previous line", async () => {
    const s = await session();
    const result = await s.run(
      "const f = () => 1\nconst [p, q] = [3, 4]\nconst { r } = { r: 5 }\nprint(f(), p, q, r)",
    );
    expect(result.error).toBeUndefined();
    expect(result.output).toBe("1 3 4 5");
    await s.dispose();
  });
});

describe("host functions", () => {
  it("calls searchDb synchronously, with the aliases, topK and filters", async () => {
    const { host, calls } = makeHost();
    const s = await session(undefined, host);
    const result = await s.run(
      'const hits = searchDb("cats", 2, { lang: "en" })\nprint(hits.length, hits[0].id, hits[0].score, hits[1].metadata.rank)\nprint(search_db("dogs").length)',
    );
    expect(result.error).toBeUndefined();
    expect(result.output).toBe("2 cats-0 1 1\n5");
    expect(calls).toEqual([
      { fn: "searchDb", args: ["cats", 2, { lang: "en" }] },
      { fn: "searchDb", args: ["dogs", undefined, undefined] },
    ]);
    await s.dispose();
  });

  it("supports await on host calls, including top-level await, Promise.all, .then, .catch and .finally", async () => {
    const s = await session();
    const result = await s.run(
      [
        'const hits = await searchDb("dogs", 1)',
        "print(hits[0].content)",
        'const [a, b] = await Promise.all([searchDb("x", 1), search_db("y", 2)])',
        "print(a.length, b.length)",
        'await searchDb("z", 3).then((h) => print("then", h.length))',
        'await searchDb("w", 2).catch(() => print("never")).finally(() => print("finally"))',
        'const answer = await llmQuery("hi")',
        "async function twice() { return (await llm_query('a')) + (await llmQuery('b')) }",
        "print(answer, await twice())",
      ].join("\n"),
    );
    expect(result.error).toBeUndefined();
    expect(result.output).toBe("doc 0 about dogs\n1 2\nthen 3\nfinally\nanswer(hi) answer(a)answer(b)");
    await s.dispose();
  });

  it("calls llmQuery and llmQueryBatched with their aliases", async () => {
    const { host, calls } = makeHost();
    const s = await session(undefined, host);
    const result = await s.run(
      'print(llmQuery("one"))\nprint(llm_query_batched(["a", "b"]).join("|"))\nprint(llmQueryBatched(["c"])[0], llm_query({ q: 1 }))',
    );
    expect(result.error).toBeUndefined();
    expect(result.output).toBe('answer(one)\nanswer(a)|answer(b)\nanswer(c) answer({"q":1})');
    expect(calls.map((c) => c.fn)).toEqual(["llmQuery", "llmQueryBatched", "llmQueryBatched", "llmQuery"]);
    await s.dispose();
  });

  it("surfaces host errors as catchable errors and as the block error when uncaught", async () => {
    let searches = 0;
    const { host } = makeHost({
      async searchDb() {
        searches += 1;
        throw new BudgetExceededError("maxSearchCalls", "Budget exceeded: maxSearchCalls (2)");
      },
    });
    const s = await session(undefined, host);
    const caught = await s.run('try { searchDb("x") } catch (e) { print("caught", e.name, e.message) }');
    expect(caught.error).toBeUndefined();
    expect(caught.output).toBe("caught BudgetExceededError Budget exceeded: maxSearchCalls (2)");
    const uncaught = await s.run('print("before")\nconst hits = await searchDb("y")\nprint("after")');
    expect(uncaught.output).toBe("before");
    expect(uncaught.error).toContain("BudgetExceededError: Budget exceeded: maxSearchCalls (2)");
    expect(searches).toBe(2);
    await s.dispose();
  });

  it("rejects bad arguments inside the sandbox without calling the host", async () => {
    const { host, calls } = makeHost();
    const s = await session(undefined, host);
    const result = await s.run("searchDb(42)");
    expect(result.error).toMatch(/TypeError: searchDb\(query, topK = 5, filters\?\): query must be a string/);
    expect(calls).toEqual([]);
    await s.dispose();
  });

  it("excludes time spent in host calls from the block's time limit", async () => {
    const { host } = makeHost({
      async llmQuery(prompt: string) {
        await sleep(400);
        return prompt;
      },
    });
    const s = await session({ limits: { timeoutMs: 250 } }, host);
    const result = await s.run('print(llmQuery("a"), llmQuery("b"))');
    expect(result.error).toBeUndefined();
    expect(result.output).toBe("a b");
    await s.dispose();
  });
});

describe("FINAL, SHOW_VARS, context and variables", () => {
  it("FINAL ends the block and reports the value, objects as JSON", async () => {
    const s = await session();
    const text = await s.run('print("start")\nFINAL("the answer")\nprint("not reached")');
    expect(text).toMatchObject({ output: "start", final: "the answer" });
    expect(text.error).toBeUndefined();
    const object = await s.run("FINAL({ a: 1, b: [true, null] })");
    expect(object.final).toBe('{"a":1,"b":[true,null]}');
    const nested = await s.run(
      "function finish() { [1, 2].forEach((n) => { if (n === 2) FINAL(n) }) }\nfinish()",
    );
    expect(nested.final).toBe("2");
    expect(nested.error).toBeUndefined();
    const varFinal = await s.run("const result = 'from var'\nFINAL_VAR('result')");
    expect(varFinal.final).toBe("from var");
    await s.dispose();
  });

  it("keeps NUL and other control characters in printed text, FINAL answers and variables", async () => {
    const s = await session();
    const printed = await s.run("print('a\\u0000tail', 'b\\u0001\\u001b[2J')");
    expect(printed.output).toBe("a\u0000tail b\u0001\u001b[2J");
    const final = await s.run("FINAL('ok\\u0000hidden tail')");
    expect(final.final).toBe("ok\u0000hidden tail");
    await s.run("const withNul = 'x\\u0000y'");
    expect(await s.getVar("withNul")).toBe("x\u0000y");
    expect((await s.run("FINAL_VAR('withNul')")).final).toBe("x\u0000y");
    await s.dispose();
  });

  it("SHOW_VARS lists user variables with their types, not the injected globals", async () => {
    const s = await session({ context: "ctx" });
    expect((await s.run("SHOW_VARS()")).output).toBe("(no variables defined yet)");
    await s.run('const hits = searchDb("q", 3)\nlet count = 3\nconst name = "abc"\nfunction helper() {}');
    const shown = await s.run("SHOW_VARS()");
    expect(shown.output.split("\n").sort()).toEqual([
      "count: number",
      "helper: function",
      "hits: Array(3)",
      "name: string (3 chars)",
    ]);
    await s.dispose();
  });

  it("exposes the session context", async () => {
    const s = await session({ context: { doc: "hello", n: [1, 2] } });
    const result = await s.run("print(context.doc, context.n.length)");
    expect(result.output).toBe("hello 2");
    await s.dispose();
  });

  it("getVar, setVar and listVars read and write top-level variables", async () => {
    const s = await session();
    await s.run("const answer = 'forty-two'\nconst data = { k: [1, 2] }\nlet nothing");
    expect(await s.getVar("answer")).toBe("forty-two");
    expect(await s.getVar("data")).toBe('{"k":[1,2]}');
    expect(await s.getVar("nothing")).toBeUndefined();
    expect(await s.getVar("missing")).toBeUndefined();
    expect(await s.getVar("print")).toBe("[Function: print]");
    await s.setVar("history", [{ role: "user", content: "q1" }]);
    expect((await s.run("print(history[0].content)")).output).toBe("q1");
    expect((await s.listVars()).sort()).toEqual(["answer", "data", "history", "nothing"]);
    await expect(s.setVar("bad", 10n)).rejects.toBeInstanceOf(SandboxError);
    await s.dispose();
  });

  it("formats a block result for the model", () => {
    expect(formatBlockResult({ output: "a", durationMs: 1 })).toBe("a");
    expect(formatBlockResult({ output: "a", error: "TypeError: x", durationMs: 1 })).toBe(
      "a\nError: TypeError: x",
    );
    expect(formatBlockResult({ output: "", durationMs: 1 })).toBe("(no output)");
  });

  it("keeps the error whatever was printed: a limit first, any other error after the cut output", () => {
    const flood = "x".repeat(50_000);
    const timedOut = formatBlockResult(
      { output: flood, error: "TimeoutError: block exceeded 10 ms", limit: "timeout", durationMs: 1 },
      12_000,
    );
    expect(timedOut.startsWith("Error: TimeoutError: block exceeded 10 ms\n")).toBe(true);
    expect(timedOut.length).toBeLessThan(12_100);
    const thrown = formatBlockResult({ output: flood, error: "TypeError: boom", durationMs: 1 }, 12_000);
    expect(thrown.endsWith("\nError: TypeError: boom")).toBe(true);
    expect(thrown).toMatch(/\[output truncated: \d+ more characters\]/);
    expect(thrown.length).toBeLessThan(12_100);
  });
});

describe("errors in model code", () => {
  it("reports thrown errors with the line number", async () => {
    const s = await session();
    const result = await s.run("const a = 1\nnull.x");
    expect(result.error).toMatch(/^TypeError: .*\(line 2\)$/);
    expect((await s.run("throw 'boom'")).error).toBe("Uncaught: boom");
    await s.dispose();
  });

  it("tells the model it wrote Python, with the parser's message", async () => {
    const s = await session();
    for (const code of [
      "for h in hits:\n    print(h)",
      'x = 3\nprint(f"value {x}")',
      "def helper(a):\n    return a",
      "import json\nprint(json.dumps({}))",
    ]) {
      const result = await s.run(code);
      expect(result.error, code).toMatch(/^SyntaxError: this sandbox runs JavaScript, not Python\./);
      expect(result.error, code).toMatch(/line \d+/);
    }
    const plain = await s.run("const = 3");
    expect(plain.error).toMatch(/^SyntaxError: Unexpected token \(line 1, column 7\)/);
    expect(plain.error).not.toContain("Python");
    await s.dispose();
  });

  it("ignores unhandled rejections of promises the block does not await", async () => {
    const s = await session();
    const result = await s.run("Promise.reject(new Error('ignored'))\nprint('ok')");
    expect(result).toMatchObject({ output: "ok" });
    expect(result.error).toBeUndefined();
    await s.dispose();
  });

  it("reports a block that awaits a promise that never settles", async () => {
    const s = await session();
    const result = await s.run("await new Promise(() => {})");
    expect(result.error).toMatch(/never settles/);
    await s.dispose();
  });
});

describe("isolation from the host", () => {
  it("has no process, require, fetch, timers or module loading", async () => {
    const s = await session();
    const types = await s.run(
      "print([typeof process, typeof require, typeof module, typeof exports, typeof Buffer, typeof fetch, typeof setTimeout, typeof setInterval, typeof setImmediate, typeof WebAssembly, typeof Deno, typeof Bun].join(','))",
    );
    expect(types.output).toBe(Array(12).fill("undefined").join(","));

    expect((await s.run("process.exit(1)")).error).toMatch(/ReferenceError: .*process/);
    expect((await s.run("require('fs')")).error).toMatch(/ReferenceError: .*require/);
    expect((await s.run("fetch('http://example.com')")).error).toMatch(/ReferenceError: .*fetch/);
    expect((await s.run("await import('node:fs')")).error).toMatch(/could not load module/);
    expect((await s.run("eval('import(\"fs\")').catch((e) => print(String(e)))")).output).toMatch(
      /could not load module/,
    );
    expect((await s.run("import fs from 'node:fs'")).error).toMatch(
      /^SyntaxError: import\/export are not available/,
    );
    expect((await s.run("setTimeout(() => print('late'), 0)")).error).toMatch(/ReferenceError: .*setTimeout/);
    await s.dispose();
  });

  it("reaches only the QuickJS global through Function, constructor chains and this", async () => {
    const s = await session();
    const result = await s.run(
      [
        "const g1 = Function('return this')()",
        "const g2 = ({}).constructor.constructor('return this')()",
        "const g3 = searchDb.constructor('return this')()",
        "const g4 = (async function(){}).constructor('return this')",
        "print(g1 === globalThis, g2 === globalThis, g3 === globalThis, this === globalThis)",
        "print(typeof g1.process, typeof g2.require, typeof Object.getPrototypeOf(print).constructor('return process'))",
      ].join("\n"),
    );
    expect(result.error).toBeUndefined();
    expect(result.output).toBe("true true true true\nundefined undefined function");
    const chain = await s.run("({}).constructor.constructor('return process')()");
    expect(chain.error).toMatch(/ReferenceError: .*process/);
    const viaHostFn = await s.run("print.constructor('return require')()");
    expect(viaHostFn.error).toMatch(/ReferenceError: .*require/);
    await s.dispose();
  });

  it("enumerating globalThis shows only standard built-ins and the injected API", async () => {
    const s = await session();
    const result = await s.run("print(JSON.stringify(Object.getOwnPropertyNames(globalThis)))");
    const names = JSON.parse(result.output) as string[];
    const injected = [
      "searchDb",
      "search_db",
      "llmQuery",
      "llm_query",
      "llmQueryBatched",
      "llm_query_batched",
      "print",
      "console",
      "FINAL",
      "FINAL_VAR",
      "SHOW_VARS",
      "context",
    ];
    for (const name of injected) expect(names).toContain(name);
    const unexpected = names.filter(
      (name) =>
        !injected.includes(name) && !STANDARD_GLOBALS.has(name) && !/^[A-Z]\w*(Error|Array)$/.test(name),
    );
    expect(unexpected).toEqual([]);
    for (const name of ["__dr_host", "__dr_out", "__dr_final", "process", "require"]) {
      expect(names).not.toContain(name);
    }
    await s.dispose();
  });

  it("keeps sessions isolated from each other, also on the same worker", async () => {
    const single = createSandboxPool({ workers: 1 });
    try {
      const host = makeHost().host;
      const sessions = await Promise.all([0, 1, 2, 3].map((i) => single.createSession(host, { context: i })));
      await Promise.all(
        sessions.map((s, i) =>
          s.run(`const secret = ${i} * 10; leaked${i} = true; Array.prototype.mine = ${i}`),
        ),
      );
      const results = await Promise.all(
        sessions.map((s) =>
          s.run(
            "print(secret, [].mine, context, Object.keys(globalThis).filter((k) => k.startsWith('leaked')).join())",
          ),
        ),
      );
      expect(results.map((r) => r.output)).toEqual([
        "0 0 0 leaked0",
        "10 1 1 leaked1",
        "20 2 2 leaked2",
        "30 3 3 leaked3",
      ]);
    } finally {
      await single.close();
    }
  });

  it("runs sessions on several workers in parallel without mixing state", async () => {
    const sessions = await Promise.all([0, 1, 2, 3, 4, 5].map(() => session()));
    const results = await Promise.all(
      sessions.map((s, i) =>
        s.run(`const mine = ${i}\nconst hits = await searchDb("q${i}", 1)\nprint(mine, hits[0].id)`),
      ),
    );
    expect(results.map((r) => r.output)).toEqual([0, 1, 2, 3, 4, 5].map((i) => `${i} q${i}-0`));
    await Promise.all(sessions.map((s) => s.dispose()));
  });
});

describe("a busy main thread", () => {
  it("is not mistaken for a hung worker: a block that finished while this thread was blocked keeps its session", async () => {
    const { host } = makeHost({
      async searchDb() {
        // Once this reply is on its way (the watchdog re-armed), block this thread well past the
        // watchdog's budget (timeoutMs + 2 s grace). The worker finishes at once, but its answer
        // can only be read after the expired watchdog timer has run.
        setImmediate(() => {
          const until = Date.now() + 2_600;
          while (Date.now() < until) {
            // busy: no timers, no messages
          }
        });
        return [];
      },
    });
    const s = await session({ limits: { timeoutMs: 100 } }, host);
    await s.run("const kept = 41");
    const result = await s.run("const hits = searchDb('x'); print(kept + 1 + hits.length)");
    expect(result.error).toBeUndefined();
    expect(result.output).toBe("42");
    expect((await s.run("print(kept)")).output).toBe("41");
    await s.dispose();
  });
});

describe("limits", () => {
  it("stops a busy loop while the main thread's event loop keeps running", async () => {
    const s = await session({ limits: { timeoutMs: 1_000 } });
    await s.run("const kept = 'still here'");
    let ticks = 0;
    const interval = setInterval(() => {
      ticks += 1;
    }, 10);
    try {
      const result = await s.run("while (true) {}");
      expect(result.limit).toBe("timeout");
      expect(result.error).toBe("TimeoutError: block exceeded 1000 ms of execution time and was stopped");
    } finally {
      clearInterval(interval);
    }
    // A blocked main thread would have fired the interval at most once.
    expect(ticks).toBeGreaterThanOrEqual(5);
    const after = await s.run("print(kept)");
    expect(after.error).toBeUndefined();
    expect(after.output).toBe("still here");
    await s.dispose();
  });

  it("cannot catch the timeout inside the sandbox", async () => {
    const s = await session({ limits: { timeoutMs: 300 } });
    const result = await s.run("for (;;) { try { while (true) {} } catch (e) { print('caught') } }");
    expect(result.limit).toBe("timeout");
    expect(result.output).toBe("");
    await s.dispose();
  });

  it("contains a memory bomb and stays usable", async () => {
    const s = await session({ limits: { memoryBytes: 16 * 1024 * 1024 } });
    await s.run("const small = [1, 2, 3]");
    const bomb = await s.run(
      "function fill() { const parts = []; while (true) parts.push(new Array(10000).fill(parts.length)) }\nfill()",
    );
    expect(bomb.limit).toBe("memory");
    expect(bomb.error).toBe("MemoryError: block exceeded the sandbox memory limit (16 MiB) and was stopped");
    const strings = await s.run(
      "{ let s = 'x'.repeat(1024); const all = []; while (true) all.push(s + all.length + Math.random()) }",
    );
    expect(strings.limit).toBe("memory");
    expect(strings.error).not.toMatch(/cleared|reset/);
    const after = await s.run("print(small.length)");
    expect(after.error).toBeUndefined();
    expect(after.output).toBe("3");
    await s.dispose();
  });

  it("clears the variables of a block whose top-level array filled the memory", async () => {
    const s = await session({ limits: { memoryBytes: 16 * 1024 * 1024 } });
    await s.run("const earlier = 'kept'");
    const bomb = await s.run("const keep = []\nwhile (true) keep.push(new Array(10000).fill(1))");
    expect(bomb.limit).toBe("memory");
    expect(bomb.error).toMatch(/Variables declared by this block were cleared to free memory: keep$/);
    const after = await s.run("print(typeof keep, earlier, new Array(100000).fill(0).length)");
    expect(after.error).toBeUndefined();
    expect(after.output).toBe("undefined kept 100000");
    await s.dispose();
  });

  it("resets the sandbox and says so when memory stays full after the fault", async () => {
    const s = await session({ limits: { memoryBytes: 16 * 1024 * 1024 } });
    await s.run("const store = []");
    const bomb = await s.run("while (true) store.push(new Array(10000).fill(1))");
    expect(bomb.limit).toBe("memory");
    expect(bomb.error).toMatch(/reset to free memory: variables from earlier blocks are lost$/);
    const after = await s.run("print(typeof store, typeof searchDb, context)");
    expect(after.error).toBeUndefined();
    expect(after.output).toBe("undefined function null");
    await s.dispose();
  });

  it("truncates an output flood with a marker that counts what was dropped", async () => {
    const s = await session({ limits: { maxOutputChars: 1_000 } });
    const result = await s.run("for (let i = 0; i < 5000; i++) print('line ' + i)");
    let total = 0;
    for (let i = 0; i < 5000; i++) total += `line ${i}\n`.length;
    expect(result.limit).toBe("output");
    expect(result.error).toBeUndefined();
    expect(result.output).toMatch(/^line 0\nline 1\n/);
    expect(result.output.endsWith(`\n[output truncated: ${total - 1_000} more characters]`)).toBe(true);
    expect(result.output.length).toBeLessThan(1_000 + 60);
    await s.dispose();
  });

  it("stops an endless output flood at the time limit", async () => {
    const s = await session({ limits: { maxOutputChars: 100, timeoutMs: 300 } });
    const result = await s.run("while (true) console.log('spam')");
    expect(result.limit).toBe("timeout");
    expect(result.output).toMatch(/\[output truncated: \d+ more characters\]$/);
    await s.dispose();
  });

  it("turns deep recursion into an error and stays usable", async () => {
    const s = await session();
    const result = await s.run("function f(n) { return f(n + 1) + 1 }\nf(0)");
    expect(result.error).toMatch(/stack overflow/i);
    expect((await s.run("print(f.name)")).output).toBe("f");
    await s.dispose();
  });
});

describe("abort", () => {
  it("interrupts a running block", async () => {
    const controller = new AbortController();
    const { host } = makeHost({
      async searchDb() {
        // Abort once the block is past its host call and spinning.
        setTimeout(() => controller.abort(), 50);
        return [];
      },
    });
    const s = await session({ limits: { timeoutMs: 60_000 } }, host);
    const result = await s.run("searchDb('go')\nwhile (true) {}", { signal: controller.signal });
    expect(result.error).toBe("AbortError: the block was aborted");
    expect(result.limit).toBeUndefined();
    expect((await s.run("print('usable')")).output).toBe("usable");
    await s.dispose();
  });

  it("says an aborted block that native work kept from answering was aborted, not timed out", async () => {
    const controller = new AbortController();
    const s = await session({ limits: { timeoutMs: 60_000 } });
    await s.run("const warm = 1");
    setTimeout(() => controller.abort(), 200);
    // A worker that hangs outside QuickJS: the abort's grace period ends with the worker killed.
    const result = await debugRun(s, "hang", controller.signal);
    expect(result.error).toMatch(
      /^AbortError: the block was aborted \(the query was stopped or its time budget ran out\) and did not respond to interruption/,
    );
    expect(result.error).not.toContain("60000 ms");
    await s.dispose();
  });

  it("interrupts a block waiting on a host call that never returns", async () => {
    const controller = new AbortController();
    const { host } = makeHost({
      llmQuery() {
        setTimeout(() => controller.abort(), 10);
        return new Promise<string>(() => {});
      },
    });
    const s = await session({ limits: { timeoutMs: 60_000 } }, host);
    const result = await s.run(
      "try { llmQuery('x') } catch (e) { print('caught', e.name) }\nwhile (true) {}",
      {
        signal: controller.signal,
      },
    );
    expect(result.output).toBe("caught AbortError");
    expect(result.error).toBe("AbortError: the block was aborted");
    await s.dispose();
  });

  it("gives back the memory of out-of-memory errors the code caught", async () => {
    const s = await session({ limits: { memoryBytes: 16 * 1024 * 1024, timeoutMs: 3_000 } });
    await s.run("const small = 'kept'");
    const bomb = await s.run(
      "const hoard = []\nfor (let i = 0; i < 2000; i++) { try { hoard.push(new Array(1e4).fill(i)) } catch (e) {} }\nprint('survived', hoard.length)",
    );
    expect(bomb.limit).toBe("memory");
    expect(bomb.error).toMatch(/^MemoryError: block (filled|exceeded) the sandbox memory limit \(16 MiB\)/);
    expect(bomb.error).toMatch(/Variables declared by this block were cleared to free memory: hoard/);
    const after = await s.run("print(small, typeof hoard === 'undefined' || hoard === undefined)");
    expect(after.error).toBeUndefined();
    expect(after.output).toBe("kept true");
    await s.dispose();
  });

  it("says out of memory, not 'Uncaught: null', when a Map outgrows the heap", async () => {
    const s = await session({ limits: { memoryBytes: 16 * 1024 * 1024 } });
    const result = await s.run("const m = new Map()\nlet i = 0\nwhile (true) m.set(i++, 'v' + i)");
    expect(result.limit).toBe("memory");
    expect(result.error).toMatch(/^MemoryError: /);
    expect((await s.run("print(1 + 1)")).output).toBe("2");
    await s.dispose();
  });

  it("says out of memory when JSON.parse runs out building millions of objects (QuickJS throws null)", async () => {
    const s = await session({ limits: { memoryBytes: 64 * 1024 * 1024, timeoutMs: 20_000 } });
    // The text itself is small (~9 MB); the objects it describes do not fit, and the half-built
    // value is freed before the block ends, so the heap is nearly empty again afterwards.
    const result = await s.run(
      "const s = '[' + '{\"a\":1},'.repeat(1e6) + '1]'\nprint(JSON.parse(s).length)",
    );
    expect(result.limit).toBe("memory");
    expect(result.error).toMatch(/^MemoryError: /);
    expect((await s.run("print(1 + 1)")).output).toBe("2");
    await s.dispose();
    // The model's own `throw null` in a session that never grew is not taken for out of memory.
    const plain = await session();
    expect((await plain.run("throw null")).error).toBe("Uncaught: null");
    await plain.dispose();
  });

  it("isolates a JSON.stringify of a deeply nested value: only its own session is affected", async () => {
    const s = await session({ limits: { timeoutMs: 1_000 } });
    const bystander = await session();
    await bystander.run("const mine = 'bystander state'");
    const result = await s.run(
      "let a = []\nfor (let i = 0; i < 60000; i++) a = [a]\nprint(JSON.stringify(a).length)",
    );
    expect(result.error).toMatch(/^(InternalError|RangeError|TimeoutError|MemoryError)/);
    expect((await bystander.run("print(mine)")).output).toBe("bystander state");
    expect((await s.run("print('usable')")).output).toBe("usable");
    await Promise.all([s.dispose(), bystander.dispose()]);
  });

  it("a stack overflow inside QuickJS's own code resets only that session, with no QuickJS abort", async () => {
    const reports: unknown[] = [];
    const own = createSandboxPool({ workers: 1, onWorkerError: (report) => reports.push(report) });
    try {
      // A time limit it cannot reach (under load the overflow takes seconds), so the overflow is
      // what ends the block, not the watchdog.
      const s = await own.createSession(makeHost().host, { context: "kept", limits: { timeoutMs: 120_000 } });
      await s.run("const before = 1");
      // JSON.stringify recurses in C: no interrupt check stops it before the WebAssembly stack ends.
      const result = await s.run(
        "let a = []\nfor (let i = 0; i < 60000; i++) a = [a]\nprint('built')\nprint(JSON.stringify(a).length)",
      );
      expect(result.output).toBe("built");
      expect(result.error).toMatch(
        /^RangeError: block overflowed the sandbox's stack .* variables from earlier blocks are lost$/,
      );
      const next = await s.run("print(typeof before, context)");
      expect(next.error).toBeUndefined();
      expect(next.output).toBe("undefined kept");
      await s.dispose();
      // The abandoned runtime was never freed: nothing for QuickJS to abort on.
      expect(reports).toEqual([]);
    } finally {
      await own.close();
    }
  }, 150_000);

  it("does not start a block whose signal is already aborted", async () => {
    const { host, calls } = makeHost();
    const s = await session(undefined, host);
    const result = await s.run("searchDb('x')", { signal: AbortSignal.abort() });
    expect(result.error).toBe("AbortError: the block was aborted");
    expect(calls).toEqual([]);
    await s.dispose();
  });
});

describe("worker failures", () => {
  it("a crash costs only the crashing session its variables; the others keep theirs", async () => {
    const single = createSandboxPool({ workers: 1, onWorkerError: () => {} });
    try {
      const a = await single.createSession(makeHost().host);
      const b = await single.createSession(makeHost().host, { context: "b-context" });
      await a.run("x = 1");
      await b.run("y = 2");
      const crashed = await debugRun(a, "crash");
      expect(crashed.error).toMatch(
        /^SandboxError: the sandbox worker crashed \(exit code 70\) while running this block; variables from earlier blocks are lost/,
      );
      // The crashing session heard about the loss: its next block just runs, on a fresh sandbox.
      const againA = await a.run("print(typeof x)");
      expect(againA.error).toBeUndefined();
      expect(againA.output).toBe("undefined");
      // The other session lived on a worker of its own: nothing happened to it.
      const stillB = await b.run("print(y, context)");
      expect(stillB.error).toBeUndefined();
      expect(stillB.output).toBe("2 b-context");
      expect(single.stats().crashes).toBe(1);
    } finally {
      await single.close();
    }
  });

  it("terminates a worker that hangs during a block, after the timeout, and reports it", async () => {
    const reports: SandboxWorkerReport[] = [];
    const pair = createSandboxPool({ workers: 2, timeoutMs: 200, onWorkerError: (r) => reports.push(r) });
    try {
      const a = await pair.createSession(makeHost().host);
      const elsewhere = await pair.createSession(makeHost().host);
      await a.run("x = 1");
      await elsewhere.run("const mine = 'kept'");
      let ticks = 0;
      const interval = setInterval(() => {
        ticks += 1;
      }, 10);
      const [hung, meanwhile] = await Promise.all([
        debugRun(a, "hang"),
        elsewhere.run("print('other worker fine')"),
      ]);
      clearInterval(interval);
      expect(meanwhile.output).toBe("other worker fine");
      expect(hung.error).toMatch(
        /^TimeoutError: block exceeded 200 ms and did not respond to interruption .*so its sandbox was terminated/,
      );
      expect(ticks).toBeGreaterThanOrEqual(5);
      expect(reports.map((r) => r.kind)).toEqual(["hang"]);
      const again = await a.run("print(typeof x, 1 + 1)");
      expect(again.error).toBeUndefined();
      expect(again.output).toBe("undefined 2");
      expect((await elsewhere.run("print(mine)")).output).toBe("kept");
    } finally {
      await pair.close();
    }
  });

  it("reports a crash through process warnings by default", async () => {
    const single = createSandboxPool({ workers: 1 });
    const warnings: Error[] = [];
    const onWarning = (w: Error & { code?: string }) => {
      if (w.code === "DEEPRECALL_SANDBOX") warnings.push(w);
    };
    process.on("warning", onWarning);
    try {
      const a = await single.createSession(makeHost().host);
      await debugRun(a, "crash");
      await sleep(50);
      expect(warnings.map((w) => w.message)).toEqual([
        expect.stringMatching(/^sandbox crash: .*exit code 70/),
      ]);
    } finally {
      process.off("warning", onWarning);
      await single.close();
    }
  });
});

describe("isolation between sessions", () => {
  it("runs a child query's sandbox while the parent block waits for it", async () => {
    const single = createSandboxPool({ workers: 1 });
    try {
      // llmQuery starts a child loop with its own session, like the engine does with maxDepth > 1.
      const host: SandboxHost = {
        ...makeHost().host,
        async llmQuery(prompt: string) {
          const child = await single.createSession(host, { context: prompt });
          try {
            const depth = Number(prompt);
            const code =
              depth < 3 ? `print("d" + context + ">" + llmQuery("${depth + 1}"))` : "print('leaf')";
            const result = await child.run(code);
            return result.error ?? result.output;
          } finally {
            await child.dispose();
          }
        },
      };
      const root = await single.createSession(host);
      const result = await root.run("const answer = llmQuery('1')\nprint(answer)");
      expect(result.error).toBeUndefined();
      expect(result.output).toBe("d1>d2>leaf");
      expect((await root.run("print(answer)")).output).toBe("d1>d2>leaf");
    } finally {
      await single.close();
    }
  });

  it("a victim waiting on a host call keeps its state while another query's block runs away", async () => {
    const single = createSandboxPool({ workers: 1, timeoutMs: 300, onWorkerError: () => {} });
    try {
      let release: (value: string) => void = () => {};
      const gate = new Promise<string>((resolve) => {
        release = resolve;
      });
      let entered: () => void = () => {};
      const inHostCall = new Promise<void>((resolve) => {
        entered = resolve;
      });
      const { host: waitingHost } = makeHost({
        llmQuery: () => {
          entered();
          return gate;
        },
      });
      const victim = await single.createSession(waitingHost);
      await victim.run("const before = 'victim state'");
      const pending = victim.run("const got = llmQuery('x')\nprint(before, got)");
      await inHostCall;
      const attacker = await single.createSession(makeHost().host);
      // Native work that ignores the interrupt: the watchdog has to kill the attacker's worker.
      const runaway = await debugRun(attacker, "hang");
      expect(runaway.error).toMatch(/^TimeoutError: .*did not respond to interruption/);
      release("the gate");
      const done = await pending;
      expect(done.error).toBeUndefined();
      expect(done.output).toBe("victim state the gate");
      expect((await victim.run("print(got)")).output).toBe("the gate");
    } finally {
      await single.close();
    }
  });

  it("aborts a waiting block while another session's block spins", async () => {
    const single = createSandboxPool({ workers: 1 });
    try {
      const controller = new AbortController();
      let entered: () => void = () => {};
      const inHostCall = new Promise<void>((resolve) => {
        entered = resolve;
      });
      let hostSignal: AbortSignal | undefined;
      const { host } = makeHost({
        llmQuery: (_prompt, options) => {
          hostSignal = options?.signal;
          entered();
          return new Promise<string>(() => {});
        },
      });
      const waiting = await single.createSession(host, { limits: { timeoutMs: 60_000 } });
      const busy = await single.createSession(makeHost().host, { limits: { timeoutMs: 500 } });
      const pending = waiting.run("llmQuery('never')\nprint('not reached')", { signal: controller.signal });
      await inHostCall;
      const spinning = busy.run("while (true) {}");
      controller.abort();
      const [aborted, timedOut] = await Promise.all([pending, spinning]);
      expect(aborted.error).toBe("AbortError: the block was aborted");
      expect(aborted.output).toBe("");
      // The host's work for the stopped block is cancelled too.
      expect(hostSignal?.aborted).toBe(true);
      expect(timedOut.limit).toBe("timeout");
      expect((await waiting.run("print('usable')")).output).toBe("usable");
      expect((await busy.run("print('usable too')")).output).toBe("usable too");
    } finally {
      await single.close();
    }
  });
});

describe("dispose", () => {
  it("frees the session cleanly after an abort, a timeout, a memory fault, a wall-time stop and a worker crash", async () => {
    const reports: SandboxWorkerReport[] = [];
    const own = createSandboxPool({
      workers: 1,
      timeoutMs: 300,
      wallTimeoutMs: 400,
      memoryBytes: 16 * 1024 * 1024,
      onWorkerError: (r) => reports.push(r),
    });
    try {
      const { host } = makeHost({ llmQuery: () => new Promise<string>(() => {}) });
      const paths: Array<(s: SandboxSession) => Promise<unknown>> = [
        (s) => s.run("llmQuery('x')", { signal: AbortSignal.timeout(50) }),
        (s) => s.run("while (true) {}"),
        (s) => s.run("const a = []; while (true) a.push(new Array(1e5).fill(1))"),
        (s) => s.run("llmQuery('wait')"),
        (s) => debugRun(s, "crash"),
        async (s) => {
          // Dispose while the block is still waiting on its host call.
          void s.run("llmQuery('never')");
          await sleep(20);
        },
      ];
      for (const path of paths) {
        const s = await own.createSession(host);
        await s.run("const kept = { deep: [1, 2, 3] }; const fn = () => kept");
        await path(s);
        await s.dispose();
      }
      // A dispose waits for the block it interrupts: give the last one its wall time.
      await sleep(600);
      expect(reports.filter((r) => r.kind === "quickjs")).toEqual([]);
      expect(reports.map((r) => r.kind)).toEqual(["crash"]);
      expect(own.stats().sessions).toBe(0);
    } finally {
      await own.close();
    }
  });
});

describe("queued promise jobs", () => {
  it("a block left awaiting for ever (its promise chain cut short) frees without tripping QuickJS", async () => {
    const reports: SandboxWorkerReport[] = [];
    const own = createSandboxPool({ workers: 1, timeoutMs: 2_000, onWorkerError: (r) => reports.push(r) });
    try {
      const s = await own.createSession(makeHost().host);
      const stuck = await s.run(
        "const spin = () => Promise.resolve().then(spin); spin(); await new Promise(() => {})",
      );
      // The endless chain of resolved promises grows the heap: it ends at the time limit or the
      // memory limit, whichever this machine reaches first.
      expect(stuck.error).toMatch(/never settles|TimeoutError|MemoryError/);
      const plain = await s.run("await new Promise(() => {})");
      expect(plain.error).toMatch(/never settles/);
      await s.dispose();
      await sleep(100);
      expect(reports).toEqual([]);
    } finally {
      await own.close();
    }
  });

  // An endless chain of resolved promises, stopped by the time limit or, with a small heap, by
  // the memory limit: millions of small promise objects, whose allocator bookkeeping (which
  // QuickJS does not count) filled the instance's memory first and crashed the worker ("null
  // function or function signature mismatch") before the heap measure counted it.
  it.each([
    { limits: { timeoutMs: 300 }, limit: "timeout", error: /^TimeoutError/ },
    {
      limits: { timeoutMs: 10_000, memoryBytes: 16 * 1024 * 1024 },
      limit: "memory",
      error: /^MemoryError: block exceeded the sandbox memory limit \(16 MiB\)/,
    },
  ])(
    "an endless promise chain stopped by its $limit limit neither resumes in the next block nor trips QuickJS",
    async ({ limits, limit, error }) => {
      const reports: SandboxWorkerReport[] = [];
      const own = createSandboxPool({ workers: 1, ...limits, onWorkerError: (r) => reports.push(r) });
      try {
        const s = await own.createSession(makeHost().host);
        await s.run("const keep = 'kept'");
        const spun = await s.run(
          "const spin = () => Promise.resolve().then(spin); spin(); await new Promise(() => {})",
        );
        expect(spun.limit).toBe(limit);
        expect(spun.error).toMatch(error);
        const next = await s.run("print(keep, 1 + 1)");
        expect(next.error).toBeUndefined();
        expect(next.output).toBe("kept 2");
        await s.dispose();
        await sleep(100);
        expect(reports).toEqual([]);
        expect(own.stats().sessions).toBe(0);
      } finally {
        await own.close();
      }
    },
  );
});

describe("wall time", () => {
  it("stops a block whose host calls take longer than its wall-time limit, and cancels the call in flight", async () => {
    let calls = 0;
    const signals: AbortSignal[] = [];
    const { host } = makeHost({
      llmQuery: async (_prompt, options) => {
        calls += 1;
        if (options) signals.push(options.signal);
        await sleep(100, undefined, { signal: options?.signal }).catch(() => {});
        return "slow";
      },
    });
    const s = await session({ limits: { timeoutMs: 1_000, wallTimeoutMs: 700 } }, host);
    await s.run("const kept = 1");
    const started = performance.now();
    const result = await s.run(
      "let n = 0\nwhile (true) { try { llmQuery('again'); n++ } catch (e) { print(e.name) } }",
    );
    const elapsed = performance.now() - started;
    expect(result.limit).toBe("timeout");
    expect(result.error).toMatch(/^TimeoutError: block exceeded its wall-time limit of 700 ms/);
    // The code caught the TimeoutError its host call got, but could not go on: no host call after the stop.
    expect(
      result.output
        .split("\n")
        .filter(Boolean)
        .every((line) => line === "TimeoutError"),
    ).toBe(true);
    expect(calls).toBeLessThanOrEqual(8);
    expect(signals.at(-1)?.aborted).toBe(true);
    expect(elapsed).toBeLessThan(30_000); // a generous bound: the point is that it ends
    expect((await s.run("print(kept)")).output).toBe("1");
    await s.dispose();
  });

  it("defaults to 120 s of wall time", () => {
    expect(DEFAULT_LIMITS.wallTimeoutMs).toBe(120_000);
  });
});

describe("size caps", () => {
  it("refuses oversized host-call arguments inside the sandbox, without calling the host", async () => {
    const { host, calls } = makeHost();
    const s = await session(
      { limits: { maxQueryChars: 100, maxPromptChars: 1_000, maxBatchSize: 3, maxBatchChars: 1_500 } },
      host,
    );
    const query = await s.run("searchDb('q'.repeat(101))");
    expect(query.error).toMatch(
      /^RangeError: searchDb: the query is 101 characters, more than the limit of 100/,
    );
    const prompt = await s.run("llmQuery('p'.repeat(1001))");
    expect(prompt.error).toMatch(/^RangeError: llmQuery: the prompt is 1001 characters/);
    const batch = await s.run("llmQueryBatched(['a', 'b', 'c', 'd'])");
    expect(batch.error).toMatch(/^RangeError: llmQueryBatched: 4 prompts is more than the limit of 3/);
    const filter = await s.run("searchDb('q', 1, { k: 'f'.repeat(20_000) })");
    expect(filter.error).toMatch(
      /^RangeError: searchDb: the filter \(as JSON\) is 20008 characters, more than the limit of 10000/,
    );
    const batchPrompt = await s.run("llmQueryBatched(['a', 'p'.repeat(1001)])");
    expect(batchPrompt.error).toMatch(/^RangeError: llmQueryBatched: the prompt is 1001 characters/);
    const batchTotal = await s.run("llmQueryBatched(['p'.repeat(1000), 'q'.repeat(501)])");
    expect(batchTotal.error).toMatch(
      /^RangeError: llmQueryBatched: the prompts come to more than 1500 characters together \(the limit per call\)/,
    );
    expect(calls).toEqual([]);
    const ok = await s.run(
      "print(searchDb('q'.repeat(100), 1).length, llmQueryBatched(['p'.repeat(1000), 'q'.repeat(499), 'r']).length)",
    );
    expect(ok.error).toBeUndefined();
    expect(ok.output).toBe("1 3");
    await s.dispose();
  });

  it("refuses an oversized FINAL answer with an error the code can see", async () => {
    const s = await session({ limits: { maxFinalChars: 50 } });
    const big = await s.run("FINAL('a'.repeat(51))");
    expect(big.final).toBeUndefined();
    expect(big.error).toMatch(/^RangeError: FINAL: the answer is 51 characters, more than the limit of 50/);
    const caught = await s.run("try { FINAL('a'.repeat(51)) } catch (e) { FINAL('short') }");
    expect(caught.final).toBe("short");
    await s.dispose();
  });

  it("prints a huge string many times quickly, keeping only the cap and counting the rest", async () => {
    const s = await session({ limits: { maxOutputChars: 1_000, timeoutMs: 5_000 } });
    const result = await s.run("const big = 'x'.repeat(1_000_000)\nfor (let i = 0; i < 200; i++) print(big)");
    expect(result.error).toBeUndefined();
    expect(result.limit).toBe("output");
    expect(result.output).toBe(
      `${"x".repeat(1_000)}\n[output truncated: ${200 * 1_000_001 - 1_000} more characters]`,
    );
    await s.dispose();
  });
});

describe("lifecycle and options", () => {
  it("rejects invalid options with ConfigError", () => {
    expect(() => createSandboxPool({ workers: -1 })).toThrow(ConfigError);
    expect(() => createSandboxPool({ workers: 1.5 })).toThrow(ConfigError);
    expect(() => createSandboxPool({ timeoutMs: -5 })).toThrow(/sandbox.timeoutMs/);
    expect(() => createSandboxPool({ memoryBytes: 10 })).toThrow(ConfigError);
  });

  it("rejects a host without the required functions and an unserialisable context", async () => {
    await expect(pool.createSession({} as SandboxHost)).rejects.toBeInstanceOf(ConfigError);
    await expect(pool.createSession(makeHost().host, { context: { n: 1n } })).rejects.toBeInstanceOf(
      ConfigError,
    );
    await expect(pool.createSession(makeHost().host, { limits: { maxOutputChars: 0 } })).rejects.toThrow(
      /limits.maxOutputChars/,
    );
    for (const nesting of [
      { depth: 0, maxDepth: 2 },
      { depth: 3, maxDepth: 2 },
      { depth: 1.5, maxDepth: 2 },
      { depth: 1, maxDepth: "2" as unknown as number },
    ]) {
      await expect(pool.createSession(makeHost().host, { nesting })).rejects.toThrow(/nesting must have/);
    }
  });

  it("refuses to run after dispose and after close", async () => {
    const own = createSandboxPool({ workers: 1 });
    const s = await own.createSession(makeHost().host);
    const other = await own.createSession(makeHost().host);
    await s.dispose();
    await expect(s.run("1")).rejects.toBeInstanceOf(SandboxError);
    expect((await other.run("print('fine')")).output).toBe("fine");
    await own.close();
    await expect(other.run("1")).rejects.toBeInstanceOf(SandboxError);
    await expect(own.createSession(makeHost().host)).rejects.toBeInstanceOf(SandboxError);
  });
});

describe("process hygiene", () => {
  it("does not keep the process alive once idle, even without close()", async () => {
    const entry = fileURLToPath(new URL("./index.ts", import.meta.url));
    const script = [
      `import { createSandboxPool } from ${JSON.stringify(entry)};`,
      "const pool = createSandboxPool({ workers: 2 });",
      "const host = { searchDb: async (q) => [{ id: q, content: q, metadata: {}, score: 1 }], llmQuery: async (p) => p, llmQueryBatched: async (p) => p };",
      "const s = await pool.createSession(host);",
      "const r = await s.run('const h = await searchDb(\"x\")\\nprint(h[0].id)');",
      "console.log(JSON.stringify(r.output));",
    ].join("\n");
    const { stdout } = await promisify(execFile)(process.execPath, ["--input-type=module", "-e", script], {
      timeout: 20_000,
    });
    expect(stdout.trim()).toBe('"x"');
  });
});

/** ECMAScript built-ins QuickJS may define on its global object. */
const STANDARD_GLOBALS = new Set([
  "Object",
  "Function",
  "Array",
  "Number",
  "parseFloat",
  "parseInt",
  "Infinity",
  "NaN",
  "undefined",
  "Boolean",
  "String",
  "Symbol",
  "Date",
  "Promise",
  "RegExp",
  "Error",
  "AggregateError",
  "JSON",
  "Math",
  "Intl",
  "ArrayBuffer",
  "SharedArrayBuffer",
  "DataView",
  "Map",
  "BigInt",
  "Set",
  "WeakMap",
  "WeakSet",
  "WeakRef",
  "FinalizationRegistry",
  "Proxy",
  "Reflect",
  "decodeURI",
  "decodeURIComponent",
  "encodeURI",
  "encodeURIComponent",
  "escape",
  "unescape",
  "eval",
  "isFinite",
  "isNaN",
  "globalThis",
  "Iterator",
  "Atomics",
  "queueMicrotask",
  "performance",
  "DisposableStack",
  "AsyncDisposableStack",
  "SuppressedError",
]);
