import { spawn, spawnSync } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { LanguageModelV4CallOptions } from "@ai-sdk/provider";
import { fakeEmbedding, scriptedModel } from "@deeprecall/test-utils";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { questionOf } from "./harness/model.ts";
import { startTestServer, type TestServer } from "./harness/server.ts";
import { findExecutable, isCI } from "./harness/util.ts";

/**
 * The OpenAI-compatibility claim, checked with the clients Python users run: the official
 * `openai` package and `langchain-openai`, from `hardening/.venv` (installed with pinned versions
 * by `.ci/run`'s `install_schemathesis`), against a real server (real engine, LocalStore, sandbox,
 * HTTP) whose only double is the LLM. Each Python script prints one JSON object of what the
 * client returned (or the error class it raised); the tests assert on those values.
 */

const LOCAL_PYTHON = fileURLToPath(new URL("../.venv/bin/python", import.meta.url));
const PYTHON_HINT =
  "Install them: python3 -m venv hardening/.venv && hardening/.venv/bin/pip install openai==3.57.0 langchain-openai==1.7.4 (as .ci/run's install_schemathesis does), or set HARDENING_PYTHON to a python that has both.";

/** `$HARDENING_PYTHON`, else hardening/.venv/bin/python, if it can import both clients. */
function findPython(): { python: string } | { missing: string } {
  const python = findExecutable([process.env.HARDENING_PYTHON, LOCAL_PYTHON]);
  if (!python) return { missing: `no python at $HARDENING_PYTHON or ${LOCAL_PYTHON}` };
  const probe = spawnSync(python, ["-c", "import openai, langchain_openai, pydantic"], { encoding: "utf8" });
  if (probe.status !== 0) {
    return {
      missing: `${python} cannot import openai / langchain_openai: ${probe.stderr.trim().split("\n").at(-1)}`,
    };
  }
  return { python };
}

const found = findPython();
if ("missing" in found) {
  if (isCI)
    throw new Error(`CI=true and the Python OpenAI clients are missing (${found.missing}). ${PYTHON_HINT}`);
  console.warn(`[hardening] skipping python-clients.test.ts: ${found.missing}. ${PYTHON_HINT}`);
}

const API_KEY = "sk-hardening-python";
/** A second key: stored responses are per key. */
const OTHER_API_KEY = "sk-hardening-python-other";
const EMBED_DIMENSIONS = 64;
const EMBEDDING_MODEL = "deeprecall-embedding";
/** What the scripted model answers every question with (FINAL), the question echoed back. */
const answerTo = (question: string) =>
  `Ada Lovelace published the first algorithm in 1843. You asked: ${question}`;

/** The text of a prompt message: its content, or its text parts joined. */
function textOf(m: LanguageModelV4CallOptions["prompt"][number]): string {
  return typeof m.content === "string"
    ? m.content
    : m.content.map((p) => ("text" in p && typeof p.text === "string" ? p.text : "")).join("");
}

function promptText(call: LanguageModelV4CallOptions): string {
  return call.prompt.map(textOf).join("\n");
}

/** The user and assistant turns a root-model call was given before the engine's question message. */
function turnsBefore(call: LanguageModelV4CallOptions): Array<{ role: string; text: string }> {
  const question = call.prompt.findIndex((m) => m.role === "user" && textOf(m).includes("Question: "));
  return call.prompt
    .slice(0, question)
    .filter((m) => m.role === "user" || m.role === "assistant")
    .map((m) => ({ role: m.role, text: textOf(m) }));
}

/**
 * One model reply, by what the call is: the structured-output call (`engine.structure()`: AI SDK
 * `Output.object`, so `responseFormat: {type: "json", schema}`, prompt "Question: … Answer: …")
 * gets JSON built from the engine's answer in the requested schema; a root-model turn gets FINAL
 * with the fixed answer to the question it was asked.
 */
function reply(call: LanguageModelV4CallOptions): string {
  if (call.responseFormat?.type === "json") {
    const text = promptText(call);
    const answer = text.slice(text.lastIndexOf("Answer:\n") + "Answer:\n".length);
    const schema = call.responseFormat.schema as { properties?: Record<string, unknown> } | undefined;
    const keys = Object.keys(schema?.properties ?? {});
    const value: Record<string, unknown> = {};
    if (keys.includes("name")) value.name = answer.includes("Ada Lovelace") ? "Ada Lovelace" : "unknown";
    if (keys.includes("year")) value.year = Number(/\b(1\d{3})\b/.exec(answer)?.[1] ?? 0);
    return JSON.stringify(value);
  }
  const question = questionOf(call);
  if (question === undefined) throw new Error(`unexpected model call: ${promptText(call).slice(0, 300)}`);
  return `FINAL(${answerTo(question)})`;
}

const OPENAI_SCRIPT = `
import json, os, sys
import openai
from pydantic import BaseModel

base_url, api_key = os.environ["PY_BASE_URL"], os.environ["PY_API_KEY"]
client = openai.OpenAI(base_url=base_url, api_key=api_key, max_retries=0, timeout=60)
out = {"openai_version": openai.__version__}

class Person(BaseModel):
    name: str
    year: int

def check(name, fn):
    try:
        out[name] = fn()
    except Exception as e:  # recorded, so one failure does not hide the others
        out[name] = {"error": type(e).__name__, "message": str(e)[:500]}

def chat():
    c = client.chat.completions.create(model="deeprecall", messages=[
        {"role": "system", "content": "Answer in one sentence."},
        {"role": "user", "content": "Who wrote the first algorithm?"}])
    return {"content": c.choices[0].message.content, "role": c.choices[0].message.role,
            "finish_reason": c.choices[0].finish_reason, "object": c.object, "model": c.model,
            "total_tokens": c.usage.total_tokens}

def chat_stream():
    content, finish, chunks = "", None, 0
    for chunk in client.chat.completions.create(model="deeprecall", stream=True,
            messages=[{"role": "user", "content": "Who wrote the first algorithm, streamed?"}]):
        chunks += 1
        for choice in chunk.choices:
            content += choice.delta.content or ""
            finish = choice.finish_reason or finish
    return {"content": content, "finish_reason": finish, "chunks": chunks}

def chat_parse():
    c = client.chat.completions.parse(model="deeprecall", response_format=Person,
            messages=[{"role": "user", "content": "Who wrote the first algorithm, and when?"}])
    m = c.choices[0].message
    return {"parsed": m.parsed.model_dump(), "type": type(m.parsed).__name__, "content": m.content,
            "refusal": m.refusal}

def responses():
    r = client.responses.create(model="deeprecall", input="Who wrote the first algorithm, via responses?")
    return {"output_text": r.output_text, "status": r.status, "object": r.object}

def responses_stream():
    types, text, final = [], "", None
    for event in client.responses.create(model="deeprecall", stream=True,
            input="Who wrote the first algorithm, via streamed responses?"):
        types.append(event.type)
        if event.type == "response.output_text.delta":
            text += event.delta
        if event.type == "response.completed":
            final = event.response.output_text
    return {"types": types, "text": text, "completed_text": final}

def responses_parse():
    r = client.responses.parse(model="deeprecall", text_format=Person,
            input="Who wrote the first algorithm, and when, via responses?")
    return {"parsed": r.output_parsed.model_dump(), "type": type(r.output_parsed).__name__}

def completions():
    c = client.completions.create(model="deeprecall", prompt="Who wrote the first algorithm, legacy?")
    return {"text": c.choices[0].text, "object": c.object, "finish_reason": c.choices[0].finish_reason}

def embeddings():
    e = client.embeddings.create(model=os.environ["PY_EMBEDDING_MODEL"], input=["Ada Lovelace", "Grace Hopper"])
    return {"count": len(e.data), "lengths": [len(d.embedding) for d in e.data],
            "first": e.data[0].embedding[:3], "model": e.model}

def models():
    return [m.id for m in client.models.list()]

def wrong_model():
    client.chat.completions.create(model="gpt-nope", messages=[{"role": "user", "content": "hi"}])
    return "no error"

def wrong_key():
    openai.OpenAI(base_url=base_url, api_key="sk-wrong", max_retries=0).models.list()
    return "no error"

for name, fn in [("chat", chat), ("chat_stream", chat_stream), ("chat_parse", chat_parse),
                 ("responses", responses), ("responses_stream", responses_stream),
                 ("responses_parse", responses_parse),
                 ("completions", completions), ("embeddings", embeddings), ("models", models),
                 ("wrong_model", wrong_model), ("wrong_key", wrong_key)]:
    check(name, fn)
print(json.dumps(out))
`;

/**
 * Stored responses (`store`, `previous_response_id`, retrieve, delete, `input_items`) as a user of
 * the official client drives them; what the client returned or raised, per check.
 */
const STORED_SCRIPT = `
import json, os
import httpx
import openai

base_url, api_key = os.environ["PY_BASE_URL"], os.environ["PY_API_KEY"]
urls = []  # the URLs the client requested, to show how it paged
http_client = httpx.Client(timeout=60, event_hooks={"request": [lambda request: urls.append(str(request.url))]})
client = openai.OpenAI(base_url=base_url, api_key=api_key, max_retries=0, timeout=60, http_client=http_client)
other = openai.OpenAI(base_url=base_url, api_key=os.environ["PY_OTHER_API_KEY"], max_retries=0, timeout=60)
out = {}

def check(name, fn):
    try:
        out[name] = fn()
    except Exception as e:
        out[name] = {"error": type(e).__name__, "message": str(e)[:500]}

def raised(fn):
    """What fn raised: the openai error class, status, code and param; "no error" if it returned."""
    try:
        fn()
    except openai.APIStatusError as e:
        return {"error": type(e).__name__, "status": e.status_code, "code": e.code, "param": e.param,
                "message": e.message[:300]}
    return "no error"

def item_of(item):
    text = "".join(getattr(p, "text", "") for p in getattr(item, "content", None) or [])
    return {"class": type(item).__name__, "id": item.id, "type": item.type,
            "role": getattr(item, "role", None), "text": text}

def create_retrieve():
    r = client.responses.create(model="deeprecall", input="Who wrote the first algorithm, stored?")
    return {"store": r.store, "output_text": r.output_text, "created": r.to_dict(),
            "retrieved": client.responses.retrieve(r.id).to_dict()}

ITEMS_INPUT = [
    {"role": "developer", "content": "Answer in one sentence."},
    {"role": "user", "content": "Who built the Analytical Engine?"},
    {"role": "assistant", "content": "Charles Babbage designed it."},
    {"role": "user", "content": "Who wrote the first algorithm for it?"},
]

def input_items():
    r = client.responses.create(model="deeprecall", input=ITEMS_INPUT)
    return [item_of(i) for i in client.responses.input_items.list(r.id).data]

def input_items_paged():
    r = client.responses.create(model="deeprecall", input=ITEMS_INPUT)
    urls.clear()
    items = [item_of(i) for i in client.responses.input_items.list(r.id, limit=1, order="asc")]
    return {"items": items, "urls": [u.split("/v1/", 1)[1] for u in urls], "response_id": r.id}

def follow_up():
    first = client.responses.create(model="deeprecall", input="Who wrote the first algorithm, first turn?")
    second = client.responses.create(model="deeprecall", input="And in which year, second turn?",
                                     previous_response_id=first.id)
    return {"first_id": first.id, "previous_response_id": second.previous_response_id,
            "output_text": second.output_text,
            "input_items": [item_of(i) for i in client.responses.input_items.list(second.id, order="asc")]}

def stream_retrieve():
    completed = None
    for event in client.responses.create(model="deeprecall", stream=True,
            input="Who wrote the first algorithm, streamed and stored?"):
        if event.type == "response.completed":
            completed = event.response
    return {"completed": completed.to_dict(), "retrieved": client.responses.retrieve(completed.id).to_dict()}

def not_stored():
    r = client.responses.create(model="deeprecall", store=False, input="Who wrote the first algorithm, not stored?")
    return {"store": r.store, "output_text": r.output_text, "retrieve": raised(lambda: client.responses.retrieve(r.id))}

def delete():
    r = client.responses.create(model="deeprecall", input="Who wrote the first algorithm, then deleted?")
    before = client.responses.retrieve(r.id).id
    deleted = client.responses.delete(r.id)
    return {"before": before, "id": r.id, "deleted": deleted,
            "retrieve": raised(lambda: client.responses.retrieve(r.id))}

def other_key():
    r = client.responses.create(model="deeprecall", input="Who wrote the first algorithm, for one key?")
    return {"other": raised(lambda: other.responses.retrieve(r.id)),
            "owner": client.responses.retrieve(r.id).id, "id": r.id}

def unknown_previous():
    return raised(lambda: client.responses.create(model="deeprecall", input="Continue.",
                                                  previous_response_id="resp_never_created"))

for name, fn in [("create_retrieve", create_retrieve), ("input_items", input_items),
                 ("input_items_paged", input_items_paged), ("follow_up", follow_up),
                 ("stream_retrieve", stream_retrieve), ("not_stored", not_stored), ("delete", delete),
                 ("other_key", other_key), ("unknown_previous", unknown_previous)]:
    check(name, fn)
print(json.dumps(out))
`;

const LANGCHAIN_SCRIPT = `
import json, os
from importlib.metadata import version
import httpx
from pydantic import BaseModel
from langchain_openai import ChatOpenAI, OpenAIEmbeddings

base_url, api_key = os.environ["PY_BASE_URL"], os.environ["PY_API_KEY"]
sent = []  # the JSON bodies ChatOpenAI sent, to show which OpenAI feature each call used
http_client = httpx.Client(timeout=60, event_hooks={"request": [
    lambda request: sent.append(json.loads(request.content or b"{}"))]})
llm = ChatOpenAI(base_url=base_url, api_key=api_key, model="deeprecall", max_retries=0, timeout=60,
                 http_client=http_client)
out = {"langchain_openai_version": version("langchain-openai")}

class Person(BaseModel):
    """The person who wrote the first algorithm."""
    name: str
    year: int

def check(name, fn):
    try:
        out[name] = fn()
    except Exception as e:
        out[name] = {"error": type(e).__name__, "message": str(e)[:500]}

def invoke():
    m = llm.invoke("Who wrote the first algorithm, asked by LangChain?")
    return {"content": m.content, "type": type(m).__name__,
            "finish_reason": m.response_metadata.get("finish_reason")}

def stream():
    parts = [chunk.content for chunk in llm.stream("Who wrote the first algorithm, streamed by LangChain?")]
    return {"content": "".join(p for p in parts if isinstance(p, str)), "chunks": len(parts)}

def structured(method):
    def run():
        sent.clear()
        p = llm.with_structured_output(Person, method=method).invoke(
            "Who wrote the first algorithm, and when? (" + method + ")")
        body = sent[-1]
        return {"type": type(p).__name__, "value": p.model_dump(),
                "response_format": (body.get("response_format") or {}).get("type"),
                "tool_choice": body.get("tool_choice"),
                "tools": [t["function"]["name"] for t in body.get("tools") or []]}
    return run

def embed():
    e = OpenAIEmbeddings(base_url=base_url, api_key=api_key, model=os.environ["PY_EMBEDDING_MODEL"],
                         check_embedding_ctx_length=False, max_retries=0)
    v = e.embed_query("Ada Lovelace")
    return {"length": len(v), "first": v[:3]}

for name, fn in [("invoke", invoke), ("stream", stream),
                 ("structured_json_schema", structured("json_schema")),
                 ("structured_function_calling", structured("function_calling")),
                 ("embed_query", embed)]:
    check(name, fn)
print(json.dumps(out))
`;

function runPython(
  python: string,
  script: string,
  env: Record<string, string>,
): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const child = spawn(python, [script], {
      env: { ...process.env, ...env, PYTHONUNBUFFERED: "1", PYTHONDONTWRITEBYTECODE: "1" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill("SIGKILL"), 150_000);
    child.on("error", reject);
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      const line = stdout.trim().split("\n").at(-1) ?? "";
      try {
        if (code !== 0) throw new Error(`exit ${code ?? signal}`);
        resolve(JSON.parse(line) as Record<string, unknown>);
      } catch (error) {
        reject(new Error(`${script} failed (${String(error)}):\n${stdout}\n${stderr}`));
      }
    });
  });
}

type Json = Record<string, unknown>;

describe.skipIf(!("python" in found))("Python OpenAI clients against a real DeepRecall server", () => {
  let server: TestServer;
  let dir: string;
  let fromOpenAI: Json;
  let fromLangChain: Json;
  let fromStored: Json;
  const calls: LanguageModelV4CallOptions[] = [];

  beforeAll(async () => {
    const model = scriptedModel(
      Array.from({ length: 500 }, () => (call: LanguageModelV4CallOptions) => {
        calls.push(call);
        return reply(call);
      }),
    );
    server = await startTestServer({
      model,
      app: { apiKeys: [API_KEY, OTHER_API_KEY], embedding: fakeEmbedding(EMBED_DIMENSIONS) },
    });
    dir = await mkdtemp(join(tmpdir(), "deeprecall-python-clients-"));
    const openaiScript = join(dir, "openai_client.py");
    const langchainScript = join(dir, "langchain_client.py");
    const storedScript = join(dir, "stored_responses.py");
    await writeFile(openaiScript, OPENAI_SCRIPT);
    await writeFile(langchainScript, LANGCHAIN_SCRIPT);
    await writeFile(storedScript, STORED_SCRIPT);
    const python = (found as { python: string }).python;
    const env = {
      PY_BASE_URL: `${server.url}/v1`,
      PY_API_KEY: API_KEY,
      PY_OTHER_API_KEY: OTHER_API_KEY,
      PY_EMBEDDING_MODEL: EMBEDDING_MODEL,
    };
    [fromOpenAI, fromLangChain, fromStored] = await Promise.all([
      runPython(python, openaiScript, env),
      runPython(python, langchainScript, env),
      runPython(python, storedScript, env),
    ]);
    console.info(
      `[hardening] python clients: openai ${String(fromOpenAI.openai_version)}, langchain-openai ${String(fromLangChain.langchain_openai_version)}`,
    );
  }, 180_000);
  afterAll(async () => {
    await server?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const ADA = { name: "Ada Lovelace", year: 1843 };

  describe("openai (official Python SDK)", () => {
    it("chat.completions.create: the engine's answer, with usage", () => {
      expect(fromOpenAI.chat).toEqual({
        content: answerTo("Who wrote the first algorithm?"),
        role: "assistant",
        finish_reason: "stop",
        object: "chat.completion",
        model: "deeprecall",
        total_tokens: expect.any(Number),
      });
      // The system message reached the model.
      const turn = calls.find((c) => questionOf(c) === "Who wrote the first algorithm?")!;
      expect(promptText(turn)).toContain("Answer in one sentence.");
    });

    it("chat.completions.create(stream=True): delta.content read to the end is the answer", () => {
      expect(fromOpenAI.chat_stream).toMatchObject({
        content: answerTo("Who wrote the first algorithm, streamed?"),
        finish_reason: "stop",
      });
    });

    it("chat.completions.parse(response_format=<pydantic model>): message.parsed is the model", () => {
      expect(fromOpenAI.chat_parse).toEqual({
        parsed: ADA,
        type: "Person",
        content: JSON.stringify(ADA),
        refusal: null,
      });
    });

    it("responses.create: output_text, plain and streamed events", () => {
      expect(fromOpenAI.responses).toEqual({
        output_text: answerTo("Who wrote the first algorithm, via responses?"),
        status: "completed",
        object: "response",
      });
      const streamed = fromOpenAI.responses_stream as {
        types: string[];
        text: string;
        completed_text: string;
      };
      const expected = answerTo("Who wrote the first algorithm, via streamed responses?");
      expect(streamed.text).toBe(expected);
      expect(streamed.completed_text).toBe(expected);
      expect(streamed.types[0]).toBe("response.created");
      expect(streamed.types).toContain("response.output_text.delta");
      expect(streamed.types.at(-1)).toBe("response.completed");
    });

    it("responses.parse(text_format=<pydantic model>): output_parsed is the model", () => {
      expect(fromOpenAI.responses_parse).toEqual({ parsed: ADA, type: "Person" });
    });

    it("completions.create: the answer as choices[0].text", () => {
      expect(fromOpenAI.completions).toEqual({
        text: answerTo("Who wrote the first algorithm, legacy?"),
        object: "text_completion",
        finish_reason: "stop",
      });
    });

    it("embeddings.create: one vector per input, of the model's length (the fake embedder's values)", async () => {
      const [expected] = await fakeEmbedding(EMBED_DIMENSIONS)(["Ada Lovelace"]);
      const got = fromOpenAI.embeddings as {
        count: number;
        lengths: number[];
        first: number[];
        model: string;
      };
      expect(got).toMatchObject({
        count: 2,
        lengths: [EMBED_DIMENSIONS, EMBED_DIMENSIONS],
        model: EMBEDDING_MODEL,
      });
      for (const [i, x] of got.first.entries()) expect(x).toBeCloseTo(expected![i]!, 6);
    });

    it("models.list: the chat, task and embedding models", () => {
      expect(fromOpenAI.models).toEqual(["deeprecall", "deeprecall-task", EMBEDDING_MODEL]);
    });

    it("errors: an unknown model is openai.NotFoundError, a wrong key openai.AuthenticationError", () => {
      expect(fromOpenAI.wrong_model).toMatchObject({ error: "NotFoundError" });
      expect((fromOpenAI.wrong_model as Json).message).toContain("gpt-nope");
      expect(fromOpenAI.wrong_key).toMatchObject({ error: "AuthenticationError" });
    });
  });

  describe("openai: stored responses", () => {
    type Item = { class: string; id: string; type: string; role: string; text: string };
    const message = (cls: string, role: string, text: string) => ({
      class: cls,
      id: expect.stringMatching(/^msg_/),
      type: "message",
      role,
      text,
    });
    /** ITEMS_INPUT of the script, as the SDK parses its input items, oldest first. */
    const ITEMS = [
      message("ResponseInputMessageItem", "developer", "Answer in one sentence."),
      message("ResponseInputMessageItem", "user", "Who built the Analytical Engine?"),
      message("ResponseOutputMessage", "assistant", "Charles Babbage designed it."),
      message("ResponseInputMessageItem", "user", "Who wrote the first algorithm for it?"),
    ];
    const notFound = { error: "NotFoundError", status: 404, message: expect.stringContaining("not found") };

    it("responses.create stores by default (store is True); responses.retrieve returns the same response", () => {
      const got = fromStored.create_retrieve as {
        store: boolean;
        output_text: string;
        created: Json;
        retrieved: Json;
      };
      expect(got.store).toBe(true);
      expect(got.output_text).toBe(answerTo("Who wrote the first algorithm, stored?"));
      expect(got.retrieved).toEqual(got.created);
    });

    it("responses.input_items.list: the input messages as items with ids, newest first", () => {
      const items = fromStored.input_items as Item[];
      expect(items).toEqual([...ITEMS].reverse());
      expect(new Set(items.map((i) => i.id)).size).toBe(ITEMS.length);
    });

    it("responses.input_items.list(limit=1): the SDK's auto-pagination pages with after= the last id", () => {
      const got = fromStored.input_items_paged as { items: Item[]; urls: string[]; response_id: string };
      expect(got.items).toEqual(ITEMS);
      // One request per item; each next page after the previous page's item; none after has_more false.
      const path = `responses/${got.response_id}/input_items?limit=1&order=asc`;
      expect(got.urls).toEqual([path, ...got.items.slice(0, -1).map((i) => `${path}&after=${i.id}`)]);
    });

    it("previous_response_id: the engine gets the earlier question and answer as the conversation", () => {
      const got = fromStored.follow_up as {
        first_id: string;
        previous_response_id: string;
        output_text: string;
      };
      expect(got.previous_response_id).toBe(got.first_id);
      expect(got.output_text).toBe(answerTo("And in which year, second turn?"));
      const turn = calls.find((c) => questionOf(c) === "And in which year, second turn?")!;
      expect(turnsBefore(turn)).toEqual([
        { role: "user", text: "Who wrote the first algorithm, first turn?" },
        { role: "assistant", text: answerTo("Who wrote the first algorithm, first turn?") },
      ]);
    });

    it("input_items.list of a follow-up: the earlier turn's input and answer, then its own input", () => {
      expect((fromStored.follow_up as { input_items: Item[] }).input_items).toEqual([
        message("ResponseInputMessageItem", "user", "Who wrote the first algorithm, first turn?"),
        message("ResponseOutputMessage", "assistant", answerTo("Who wrote the first algorithm, first turn?")),
        message("ResponseInputMessageItem", "user", "And in which year, second turn?"),
      ]);
    });

    it("responses.create(stream=True) is stored too: retrieve returns the response.completed response", () => {
      const got = fromStored.stream_retrieve as { completed: Json; retrieved: Json };
      expect(got.completed).toMatchObject({ status: "completed", store: true });
      expect(got.retrieved).toEqual(got.completed);
    });

    it("store=False: the response says so and responses.retrieve raises openai.NotFoundError", () => {
      expect(fromStored.not_stored).toEqual({
        store: false,
        output_text: answerTo("Who wrote the first algorithm, not stored?"),
        retrieve: { ...notFound, code: null, param: null },
      });
    });

    it("responses.delete: the response is gone, retrieve raises openai.NotFoundError", () => {
      const got = fromStored.delete as { before: string; id: string; deleted: null; retrieve: Json };
      expect(got.before).toBe(got.id); // retrievable until deleted
      expect(got.deleted).toBeNull(); // the SDK's delete returns None
      expect(got.retrieve).toMatchObject(notFound);
    });

    it("another API key cannot retrieve a response (openai.NotFoundError), its owner can", () => {
      const got = fromStored.other_key as { other: Json; owner: string; id: string };
      expect(got.other).toMatchObject(notFound);
      expect(got.owner).toBe(got.id);
    });

    it("an unknown previous_response_id raises openai.BadRequestError, code previous_response_not_found", () => {
      expect(fromStored.unknown_previous).toEqual({
        error: "BadRequestError",
        status: 400,
        code: "previous_response_not_found",
        param: "previous_response_id",
        message: "Error code: 400 - Previous response with id 'resp_never_created' not found.",
      });
    });
  });

  describe("langchain-openai", () => {
    it("ChatOpenAI.invoke: an AIMessage with the answer", () => {
      expect(fromLangChain.invoke).toEqual({
        content: answerTo("Who wrote the first algorithm, asked by LangChain?"),
        type: "AIMessage",
        finish_reason: "stop",
      });
    });

    it("ChatOpenAI.stream: the chunks join to the answer", () => {
      const got = fromLangChain.stream as { content: string; chunks: number };
      expect(got.content).toBe(answerTo("Who wrote the first algorithm, streamed by LangChain?"));
      expect(got.chunks).toBeGreaterThan(1);
    });

    it("with_structured_output(Person): json_schema and function_calling both give the pydantic model", () => {
      // What LangChain sent: response_format json_schema, then a forced function tool.
      expect(fromLangChain.structured_json_schema).toEqual({
        type: "Person",
        value: ADA,
        response_format: "json_schema",
        tool_choice: null,
        tools: [],
      });
      expect(fromLangChain.structured_function_calling).toMatchObject({
        type: "Person",
        value: ADA,
        response_format: null,
        tools: ["Person"],
      });
      expect(JSON.stringify((fromLangChain.structured_function_calling as Json).tool_choice)).toContain(
        "Person",
      );
      // Each went through the server's structured-output call (engine.structure()) in Person's schema.
      const shaped = calls.filter((c) => c.responseFormat?.type === "json");
      expect(shaped).toHaveLength(4); // chat.completions.parse, responses.parse and these two
      for (const c of shaped)
        expect(Object.keys((c.responseFormat as { schema: Json }).schema.properties as Json)).toEqual([
          "name",
          "year",
        ]);
    });

    it("OpenAIEmbeddings(check_embedding_ctx_length=False).embed_query: one vector of the model's length", async () => {
      const [expected] = await fakeEmbedding(EMBED_DIMENSIONS)(["Ada Lovelace"]);
      const got = fromLangChain.embed_query as { length: number; first: number[] };
      expect(got.length).toBe(EMBED_DIMENSIONS);
      for (const [i, x] of got.first.entries()) expect(x).toBeCloseTo(expected![i]!, 6);
    });
  });
});
