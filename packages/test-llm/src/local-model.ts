import os from "node:os";
import {
  type ChatHistoryItem,
  getLlama,
  type Llama,
  LlamaChat,
  type LlamaContext,
  LlamaLogLevel,
  type LlamaModel,
} from "node-llama-cpp";
import { Mutex } from "./mutex.ts";

export interface LoadModelOptions {
  /** Path of a `.gguf` file. */
  modelPath: string;
  /** CPU threads for generation. Default `os.availableParallelism()`: more oversubscribes the cores (25 s instead of 0.1-0.8 s per answer on 2 cores). */
  threads?: number;
  /** Context window in tokens. Default: the model's training context (8192 for SmolLM2), at most 8192. */
  contextSize?: number;
}

export interface GenerateOptions {
  /** Output-token cap; unset = until the model stops or the context is full (as llama.cpp's server does). */
  maxTokens?: number;
  /** Default 0 (greedy, reproducible). */
  temperature?: number;
  topP?: number;
  seed?: number;
  /** Strings that end the reply (not included in it), like OpenAI's `stop`. */
  stop?: string[];
  /** Aborting stops the generation (or the wait for the model) at once. */
  signal?: AbortSignal;
  /** Receives the reply text as it is generated. */
  onText?: (text: string) => void;
}

export interface Generation {
  text: string;
  promptTokens: number;
  completionTokens: number;
  /** OpenAI's finish reason: "length" when `maxTokens` cut the reply, else "stop". */
  finishReason: "stop" | "length";
  /** Whether the signal ended the generation early (text is then what was generated so far). */
  aborted: boolean;
}

/** One chat message as this model understands it. */
export interface PlainMessage {
  role: "system" | "user" | "assistant";
  content: string;
}

/** Maps plain messages to node-llama-cpp's chat history (consecutive system messages are joined). */
export function toChatHistory(messages: PlainMessage[]): ChatHistoryItem[] {
  const history: ChatHistoryItem[] = [];
  for (const m of messages) {
    const last = history.at(-1);
    if (m.role === "assistant") history.push({ type: "model", response: [m.content] });
    else if (m.role === "system" && last?.type === "system") last.text += `\n\n${m.content}`;
    else history.push({ type: m.role, text: m.content });
  }
  // The model answers the last turn: a history that ends with an assistant message continues it.
  if (history.at(-1)?.type !== "model") history.push({ type: "model", response: [] });
  return history;
}

/**
 * A GGUF chat model on the CPU (node-llama-cpp, prebuilt binaries, never a source build).
 * Generates one reply at a time; concurrent calls wait their turn.
 */
export class LocalChatModel {
  readonly modelPath: string;
  readonly threads: number;
  #llama: Llama;
  #model: LlamaModel;
  #context: LlamaContext;
  #chat: LlamaChat;
  #lock = new Mutex();
  #active = 0;

  private constructor(
    modelPath: string,
    threads: number,
    llama: Llama,
    model: LlamaModel,
    context: LlamaContext,
  ) {
    this.modelPath = modelPath;
    this.threads = threads;
    this.#llama = llama;
    this.#model = model;
    this.#context = context;
    this.#chat = new LlamaChat({ contextSequence: context.getSequence() });
  }

  /** Loads the model (about 1 s for SmolLM2-135M). Throws when the file is not a loadable GGUF. */
  static async load(options: LoadModelOptions): Promise<LocalChatModel> {
    const threads = options.threads ?? os.availableParallelism();
    const llama = await getLlama({
      gpu: false,
      build: "never",
      maxThreads: threads,
      logLevel: LlamaLogLevel.error,
    });
    const model = await llama.loadModel({ modelPath: options.modelPath });
    const contextSize = options.contextSize ?? Math.min(8192, model.trainContextSize);
    // Flash attention keeps long prompts (the engine's system prompt + search hits) fast on the CPU.
    const context = await model.createContext({ contextSize, threads, flashAttention: true });
    return new LocalChatModel(options.modelPath, threads, llama, model, context);
  }

  /** Generations running now (0 or 1): a test reads it to see that an abort stopped the model. */
  get activeGenerations(): number {
    return this.#active;
  }

  /** Counts the tokens of a text with the model's tokenizer. */
  countTokens(text: string): number {
    return this.#model.tokenize(text).length;
  }

  /** Answers the conversation. Rejects with `signal.reason` when aborted before the model started. */
  async generate(messages: PlainMessage[], options: GenerateOptions = {}): Promise<Generation> {
    const release = await this.#lock.acquire(options.signal);
    this.#active++;
    try {
      const history = toChatHistory(messages);
      const promptTokens = this.#chat.chatWrapper
        .generateContextState({ chatHistory: history })
        .contextText.tokenize(this.#model.tokenizer).length;
      let completionTokens = 0;
      const result = await this.#chat.generateResponse(history, {
        ...(options.maxTokens !== undefined ? { maxTokens: options.maxTokens } : {}),
        temperature: options.temperature ?? 0,
        ...(options.topP !== undefined ? { topP: options.topP } : {}),
        ...(options.seed !== undefined ? { seed: options.seed } : {}),
        ...(options.stop && options.stop.length > 0 ? { customStopTriggers: options.stop } : {}),
        ...(options.signal ? { signal: options.signal, stopOnAbortSignal: true } : {}),
        onToken: (tokens) => {
          completionTokens += tokens.length;
        },
        ...(options.onText ? { onTextChunk: options.onText } : {}),
      });
      const reason = result.metadata.stopReason;
      return {
        text: result.response,
        promptTokens,
        completionTokens,
        finishReason: reason === "maxTokens" ? "length" : "stop",
        aborted: reason === "abort" || options.signal?.aborted === true,
      };
    } finally {
      this.#active--;
      release();
    }
  }

  /** Frees the context, the model and the native backend. */
  async close(): Promise<void> {
    await this.#context.dispose();
    await this.#model.dispose();
    await this.#llama.dispose();
  }
}
