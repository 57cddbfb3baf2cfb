import { DEFAULT_MAX_TIME_SECONDS, DeepRecallEngine, type QueryBudget } from "@deeprecall/core";
import { InMemoryVectorStore, SEED_CORPUS, scriptedModel } from "@deeprecall/test-utils";
import { afterEach, describe, expect, it } from "vitest";
import { createApp } from "./app.ts";
import { type RunningServer, startServer } from "./serve.ts";

// A request's `deeprecall.budget` comes from whoever holds an API key: it may lower the
// operator's limits (the engine's budget, createApp's `budget`), never raise them.

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

/** A model that searches on every turn and never answers: only a limit ends its run. */
const SEARCHES_FOREVER = Array.from({ length: 20 }, () => "```repl\nprint(searchDb('Acme').length)\n```");
const ANSWERS_AT_ONCE = Array.from({ length: 20 }, () => "FINAL(Jane Doe founded Acme.)");

async function serve(replies: string[], engineBudget?: QueryBudget, appBudget?: QueryBudget) {
  const store = new InMemoryVectorStore();
  await store.addDocuments(SEED_CORPUS);
  const engine = new DeepRecallEngine({
    vectorStore: store,
    model: scriptedModel(replies),
    ...(engineBudget ? { budget: engineBudget } : {}),
  });
  const server: RunningServer = await startServer({
    app: createApp(engine, appBudget ? { budget: appBudget } : {}),
  });
  cleanups.push(() => engine.close());
  cleanups.push(() => server.close());
  return server;
}

interface Status {
  exceeded: boolean;
  exceeded_limit: string | null;
  search_calls: number;
  limits: Record<string, number>;
}

async function ask(server: RunningServer, budget?: Record<string, number>): Promise<Status> {
  const res = await fetch(`${server.url}/v1/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      model: "deeprecall",
      messages: [{ role: "user", content: "Who founded Acme?" }],
      ...(budget ? { deeprecall: { budget } } : {}),
    }),
  });
  expect(res.status).toBe(200);
  return ((await res.json()) as { deeprecall: { budget_status: Status } }).deeprecall.budget_status;
}

describe("request budgets are capped by the operator's", () => {
  it("a request cannot raise the engine's limits", async () => {
    const server = await serve(SEARCHES_FOREVER, { maxSearchCalls: 2, maxTokens: 100_000 });
    const status = await ask(server, { max_search_calls: 1000, max_tokens: 1_000_000_000 });
    expect(status).toMatchObject({ exceeded: true, exceeded_limit: "max_search_calls", search_calls: 2 });
    expect(status.limits).toMatchObject({ max_search_calls: 2, max_tokens: 100_000 });
  });

  it("createApp's budget is a ceiling too; a request can lower it", async () => {
    const server = await serve(SEARCHES_FOREVER, undefined, { maxSearchCalls: 3 });
    const lowered = await ask(server, { max_search_calls: 1 });
    expect(lowered).toMatchObject({ exceeded_limit: "max_search_calls", search_calls: 1 });
    const raised = await ask(server, { max_search_calls: 50 });
    expect(raised).toMatchObject({ exceeded_limit: "max_search_calls", search_calls: 3 });
    expect(raised.limits.max_search_calls).toBe(3);
  });

  it(`every request has a time limit: ${DEFAULT_MAX_TIME_SECONDS} s unless the engine or createApp sets one`, async () => {
    const plain = await serve(ANSWERS_AT_ONCE);
    expect((await ask(plain)).limits.max_time_seconds).toBe(DEFAULT_MAX_TIME_SECONDS);
    expect((await ask(plain, { max_time_seconds: 5 })).limits.max_time_seconds).toBe(5);
    expect((await ask(plain, { max_time_seconds: 1e6 })).limits.max_time_seconds).toBe(
      DEFAULT_MAX_TIME_SECONDS,
    );

    const engineSet = await serve(ANSWERS_AT_ONCE, { maxTimeSeconds: 1000 });
    expect((await ask(engineSet)).limits.max_time_seconds).toBe(1000);
    expect((await ask(engineSet, { max_time_seconds: 5000 })).limits.max_time_seconds).toBe(1000);

    const appSet = await serve(ANSWERS_AT_ONCE, { maxTimeSeconds: 1000 }, { maxTimeSeconds: 20 });
    expect((await ask(appSet)).limits.max_time_seconds).toBe(20);
  });

  it("a misspelt budget or extension field is a 400 naming it, never ignored", async () => {
    const server = await serve(ANSWERS_AT_ONCE);
    const post = async (deeprecall: unknown, path = "/v1/chat/completions") => {
      const body =
        path === "/v1/responses"
          ? { model: "deeprecall", input: "Who founded Acme?", deeprecall }
          : { model: "deeprecall", messages: [{ role: "user", content: "Who founded Acme?" }], deeprecall };
      const res = await fetch(`${server.url}${path}`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(body),
      });
      return {
        status: res.status,
        error: ((await res.json()) as { error?: { message: string; param: string } }).error,
      };
    };
    const time = await post({ budget: { max_time: 5 } });
    expect(time.status).toBe(400);
    expect(time.error).toMatchObject({ param: "deeprecall.budget" });
    expect(time.error!.message).toContain("'max_time'");
    expect(time.error!.message).toContain("max_time_seconds");
    const extension = await post({ topK: 3 }, "/v1/responses");
    expect(extension.status).toBe(400);
    expect(extension.error!.message).toContain("'topK'");
    expect((await post({ budget: { max_time_seconds: 5 }, top_k: 3 })).status).toBe(200);
  });
});
