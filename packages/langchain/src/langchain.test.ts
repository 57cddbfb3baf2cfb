import {
  abortProbe,
  SEED_CORPUS as CORPUS,
  seededEngine as engineFor,
  SEED_INVESTIGATION as INVESTIGATION,
  InMemoryVectorStore,
  scriptedModel as scripted,
} from "@deeprecall/test-utils";
import type { Document } from "@langchain/core/documents";
import { AIMessage, type AIMessageChunk, HumanMessage, SystemMessage } from "@langchain/core/messages";
import { StringOutputParser } from "@langchain/core/output_parsers";
import { ChatPromptTemplate } from "@langchain/core/prompts";
import { RunnableLambda, RunnablePassthrough, RunnableSequence } from "@langchain/core/runnables";
import { describe, expect, it } from "vitest";
import { ChatDeepRecall, DeepRecallRetriever, deepRecallMetadata } from "./index.ts";

async function seededStore() {
  const store = new InMemoryVectorStore();
  await store.addDocuments(CORPUS);
  return store;
}

type Sources = {
  sources: Array<{ id: string; score: number }>;
  confidence: number | null;
  error: string | null;
};

describe("DeepRecallRetriever", () => {
  it("retriever.invoke returns Documents with content, metadata, id and score", async () => {
    const retriever = new DeepRecallRetriever({ store: await seededStore(), topK: 2 });
    const docs = await retriever.invoke("born in Lyon France");
    expect(docs).toHaveLength(2);
    expect(docs[0]!.pageContent).toBe("Jane Doe was born in Lyon, France, and studied physics.");
    expect(docs[0]!.id).toBe("jane");
    expect(docs[0]!.metadata).toMatchObject({ id: "jane", source: "people.txt", year: 2001 });
    expect(docs[0]!.metadata.score).toBeGreaterThanOrEqual(docs[1]!.metadata.score);
  });

  it("applies filters and a score threshold", async () => {
    const store = await seededStore();
    const filtered = await new DeepRecallRetriever({
      store,
      topK: 5,
      filters: { year: { $gte: 2001 } },
    }).invoke("anything");
    expect(filtered.map((d) => d.id).sort()).toEqual(["jane", "weather"]);
    const all = await new DeepRecallRetriever({ store, topK: 5 }).invoke("Acme Corporation founded");
    const threshold = all[0]!.metadata.score;
    const strict = await new DeepRecallRetriever({ store, topK: 5, scoreThreshold: threshold }).invoke(
      "Acme Corporation founded",
    );
    expect(strict.length).toBeGreaterThan(0);
    expect(strict.length).toBeLessThan(all.length);
    expect(strict.every((d) => d.metadata.score >= threshold)).toBe(true);
  });

  it("rejects a bad filter or store up front", async () => {
    const store = await seededStore();
    expect(() => new DeepRecallRetriever({ store, filters: { year: { $near: 1 } } as never })).toThrow(
      /\$near/,
    );
    expect(() => new DeepRecallRetriever({ store: {} as never })).toThrow(/search/);
    expect(() => new DeepRecallRetriever({ store, topK: 0 })).toThrow(/topK/);
  });

  it("works in an LCEL RAG chain: retriever → prompt template → chat model → string", async () => {
    const store = await seededStore();
    const retriever = new DeepRecallRetriever({ store, topK: 1 });
    // The answering model is DeepRecall itself; its scripted root model echoes the context it was given.
    const model = scripted([
      (call) => {
        const text = JSON.stringify(call.prompt);
        return text.includes("born in Lyon") ? "FINAL(From context: Lyon.)" : "FINAL(no context)";
      },
    ]);
    const chat = new ChatDeepRecall({ engine: await engineFor(model) });
    const prompt = ChatPromptTemplate.fromMessages([
      ["system", "Use this context:\n{context}"],
      ["human", "{question}"],
    ]);
    const formatDocs = (docs: Document[]) => docs.map((d) => d.pageContent).join("\n");
    const chain = RunnableSequence.from([
      { context: retriever.pipe(RunnableLambda.from(formatDocs)), question: new RunnablePassthrough() },
      prompt,
      chat,
      new StringOutputParser(),
    ]);
    expect(await chain.invoke("born in Lyon France")).toBe("From context: Lyon.");
  });
});

describe("ChatDeepRecall", () => {
  it("invoke answers with sources in response_metadata and usage in usage_metadata", async () => {
    const model = scripted(INVESTIGATION);
    const chat = new ChatDeepRecall({ engine: await engineFor(model) });
    const message = await chat.invoke("Who founded Acme?");
    expect(message).toBeInstanceOf(AIMessage);
    expect(message.content).toBe("Jane Doe founded Acme in 1999.");
    expect(message.usage_metadata).toMatchObject({ input_tokens: 20, output_tokens: 10, total_tokens: 30 });
    const dr = deepRecallMetadata(message)!;
    expect(dr.sources.map((s) => s.id)).toContain("acme");
    expect(dr.confidence).toBeGreaterThan(0);
    expect(dr.error).toBeNull();
    expect(String(message.additional_kwargs.reasoning_content)).toContain('Searched "Acme founded"');
  });

  it("maps system messages, history and the last human message like the server does", async () => {
    const model = scripted(["FINAL(Lyon.)"]);
    const chat = new ChatDeepRecall({ engine: await engineFor(model) });
    const message = await chat.invoke([
      new SystemMessage("Answer in one word."),
      new HumanMessage("Who founded Acme?"),
      new AIMessage("Jane Doe founded Acme."),
      new HumanMessage("Where was she born?"),
    ]);
    expect(message.content).toBe("Lyon.");
    const sent = model.doGenerateCalls[0]!.prompt;
    expect(JSON.stringify(sent.filter((m) => m.role === "system"))).toContain("Answer in one word.");
    expect(JSON.stringify(sent)).toContain("Jane Doe founded Acme.");
    const lastTurn = JSON.stringify(sent.at(-1));
    expect(lastTurn).toContain("Where was she born?");
    expect(lastTurn).not.toContain("Who founded Acme?");
  });

  it("stream yields progress first, then the answer text, then usage", async () => {
    const chat = new ChatDeepRecall({ engine: await engineFor(scripted(INVESTIGATION)) });
    const chunks: AIMessageChunk[] = [];
    for await (const chunk of await chat.stream("Who founded Acme?")) chunks.push(chunk);
    const firstText = chunks.findIndex((c) => c.text !== "");
    const firstReasoning = chunks.findIndex((c) => typeof c.additional_kwargs.reasoning_content === "string");
    expect(firstReasoning).toBeGreaterThan(-1);
    expect(firstReasoning).toBeLessThan(firstText);
    const merged = chunks.reduce((a, b) => a.concat(b));
    expect(merged.text).toBe("Jane Doe founded Acme in 1999.");
    expect(merged.usage_metadata?.total_tokens).toBe(30);
    expect((merged.response_metadata.deeprecall as Sources).sources.map((s) => s.id)).toContain("acme");
  });

  it("streams through an LCEL pipe chain with a prompt template and per-call options", async () => {
    const model = scripted([
      "```repl\nconst hits = searchDb('anything')\nprint(hits.map(h => h.id).join(','))\n```",
      "FINAL(filtered)",
    ]);
    const chat = new ChatDeepRecall({ engine: await engineFor(model) });
    const chain = ChatPromptTemplate.fromTemplate("Question: {q}")
      .pipe(chat.withConfig({ runName: "deeprecall" }))
      .pipe(new StringOutputParser());
    let text = "";
    for await (const piece of await chain.stream({ q: "what happened after 2001?" })) text += piece;
    expect(text).toBe("filtered");
    expect(JSON.stringify(model.doGenerateCalls[0]!.prompt)).toContain("Question: what happened after 2001?");

    // Call options reach the engine: a filter keeps only 2020's document.
    const model2 = scripted([
      "```repl\nconst hits = searchDb('anything')\nprint(hits.map(h => h.id).join(','))\n```",
      "FINAL(ok)",
    ]);
    const chat2 = new ChatDeepRecall({ engine: await engineFor(model2) });
    const message = await chat2.invoke("q", { filters: { year: 2020 }, topK: 3 });
    const ids = (message.response_metadata.deeprecall as Sources).sources.map((s) => s.id);
    expect(ids).toEqual(["weather"]);
  });

  it("passes the abort signal to the engine", async () => {
    const probe = abortProbe();
    const model = scripted([probe.reply]);
    const chat = new ChatDeepRecall({ engine: await engineFor(model, { retry: { maxRetries: 0 } }) });
    const controller = new AbortController();
    const pending = chat.invoke("q", { signal: controller.signal });
    await probe.started;
    controller.abort(new Error("stop"));
    await expect(pending).rejects.toThrow();
    expect(probe.aborted).toBe(true);
  });

  it("needs a human message", async () => {
    const chat = new ChatDeepRecall({ engine: await engineFor(scripted([])) });
    await expect(chat.invoke([new SystemMessage("only instructions")])).rejects.toThrow(/human message/);
  });
});

describe("ChatDeepRecall with LangChain callbacks", () => {
  it("streamEvents reports the answer as chat model stream events", async () => {
    const chat = new ChatDeepRecall({ engine: await engineFor(scripted(INVESTIGATION)), reasoning: false });
    let text = "";
    const kinds = new Set<string>();
    for await (const event of chat.streamEvents("Who founded Acme?", { version: "v2" })) {
      kinds.add(event.event);
      if (event.event === "on_chat_model_stream") text += (event.data.chunk as AIMessageChunk).text;
    }
    expect(kinds).toContain("on_chat_model_start");
    expect(kinds).toContain("on_chat_model_end");
    expect(text).toBe("Jane Doe founded Acme in 1999.");
  });
});
