import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { chatRequestBody } from "./request.ts";
import { curlSnippet, openaiSdkSnippet, shellQuote, withoutTrace } from "./snippets.ts";

const body = chatRequestBody(
  "What's in the \"Q3\" report? It's `urgent` — $HOME & co.\nSecond line",
  [
    { role: "user", content: "Earlier question" },
    { role: "assistant", content: "Earlier answer with 'quotes'" },
  ],
  { model: "deeprecall/wiki", strategy: "tools", topK: 7, budget: { max_iterations: 4, max_cost_usd: 0.05 } },
);
/** What the snippets send: the console's request without its `trace: true`, nothing else changed. */
const { trace: _trace, ...options } = body.deeprecall as Record<string, unknown>;
const expected = { ...body, deeprecall: options };

describe("withoutTrace", () => {
  it("drops only deeprecall.trace, and deeprecall when nothing else is in it", () => {
    expect((body.deeprecall as Record<string, unknown>).trace).toBe(true);
    expect(withoutTrace(body)).toEqual(expected);
    expect(withoutTrace({ model: "m", deeprecall: { trace: true } })).toEqual({ model: "m" });
    expect(withoutTrace({ model: "m" })).toEqual({ model: "m" });
  });
});

/** Runs `script` in bash with `curl` replaced by a function printing its arguments NUL-separated. */
function curlArgs(script: string, env: Record<string, string> = {}): string[] {
  const out = execFileSync("bash", ["-c", `curl() { printf '%s\\0' "$@"; }\n${script}`], {
    encoding: "utf8",
    env: { PATH: process.env.PATH ?? "", ...env },
  });
  return out.split("\0").slice(0, -1);
}

describe("curlSnippet", () => {
  it("is a shell command whose -d argument is the request body without the trace, whatever the text holds", () => {
    const args = curlArgs(curlSnippet("http://127.0.0.1:8000/", body, false));
    expect(args[0]).toBe("-N");
    expect(args[1]).toBe("http://127.0.0.1:8000/v1/chat/completions");
    expect(args).toContain("Content-Type: application/json");
    expect(args.some((a) => a.toLowerCase().startsWith("authorization"))).toBe(false);
    const data = args[args.indexOf("-d") + 1]!;
    expect(JSON.parse(data)).toEqual(expected);
    expect(data).not.toContain('"trace"');
  });

  it("reads the key from $DEEPRECALL_API_KEY, never embedding it", () => {
    const snippet = curlSnippet("http://h:1", body, true);
    expect(snippet).toContain("$DEEPRECALL_API_KEY");
    const args = curlArgs(snippet, { DEEPRECALL_API_KEY: "sk-secret" });
    expect(args).toContain("Authorization: Bearer sk-secret");
  });

  it("quotes any text as one shell word", () => {
    for (const text of ["", "'", "a'b'c", "$(rm -rf /)", "`x`", "\\", "line\nbreak"]) {
      expect(curlArgs(`curl ${shellQuote(text)}`)).toEqual([text]);
    }
  });
});

describe("openaiSdkSnippet", () => {
  it("is valid JavaScript passing the request body (without the trace) to chat.completions.create", () => {
    const code = openaiSdkSnippet("http://127.0.0.1:8000", body, true);
    expect(code).toContain('import OpenAI from "openai";');
    expect(code).toContain('baseURL: "http://127.0.0.1:8000/v1"');
    expect(code).toContain("apiKey: process.env.DEEPRECALL_API_KEY");
    expect(code).toContain('"deeprecall": {');
    const dir = mkdtempSync(join(tmpdir(), "console-snippet-"));
    try {
      // Swap the real client for a stub recording what create() is given, then run the snippet.
      const stub = join(dir, "openai-stub.mjs");
      writeFileSync(
        stub,
        `export default class OpenAI {
          constructor(options) { globalThis.options = options; }
          chat = { completions: { create: async (b) => { globalThis.sent = b; return (async function* () {
            yield { choices: [{ delta: { content: "ok" } }] };
            yield { type: "search", elapsed_ms: 1 };
            yield { choices: [], deeprecall: { sources: [{ id: "a" }] } };
          })(); } } };
        }`,
      );
      const file = join(dir, "snippet.mjs");
      writeFileSync(
        file,
        `${code.replace('from "openai"', `from ${JSON.stringify(stub)}`)}\nconsole.error(JSON.stringify({ sent: globalThis.sent, options: globalThis.options }));\n`,
      );
      const run = spawnSync(process.execPath, [file], {
        encoding: "utf8",
        env: { DEEPRECALL_API_KEY: "sk-test" },
      });
      expect(run.status).toBe(0);
      // The streamed answer printed, trace chunks (no `choices`) skipped, the sources listed.
      expect(run.stdout).toContain("ok");
      expect(run.stdout).toContain("sources: [ 'a' ]");
      const seen = JSON.parse(run.stderr.trim().split("\n").at(-1)!);
      expect(seen.sent).toEqual(expected);
      expect(code).not.toContain('"trace"');
      expect(seen.options).toEqual({ baseURL: "http://127.0.0.1:8000/v1", apiKey: "sk-test" });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
