export {
  type GenerateOptions,
  type Generation,
  type LoadModelOptions,
  LocalChatModel,
  type PlainMessage,
  toChatHistory,
} from "./local-model.ts";
export {
  DEFAULT_GGUF_PATH,
  findTestModel,
  TEST_GGUF_ENV,
  TEST_GGUF_NAME,
  type TestModelLookup,
  testModelOrSkip,
} from "./model-file.ts";
export { Mutex } from "./mutex.ts";
export {
  type RecordedRequest,
  startTestLlmServer,
  type TestLlmServer,
  type TestLlmServerOptions,
  toPlainMessages,
} from "./openai-server.ts";
export { type RunningTestLlm, startTestLlm, threadsFromEnv } from "./start.ts";
