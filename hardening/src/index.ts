// The suite's reusable harness: fault-injecting doubles and real-service launchers.

export { HOSTILE_CORPUS, type HostileSnippet } from "./corpus/hostile.ts";
export {
  type FakeLlm,
  type FakeLlmAction,
  type FakeLlmCall,
  type FakeLlmScript,
  ragReply,
  startFakeLlm,
} from "./harness/fake-llm.ts";
export { FlakyStore, type StoreFault } from "./harness/flaky-store.ts";
export { answerTurn, questionOf, type ReplModelOptions, replModel, snippetModel } from "./harness/model.ts";
export { type RunRecord, RunRecorder } from "./harness/recorder.ts";
export {
  SEED_DOCUMENTS,
  startTestServer,
  type TestServer,
  type TestServerOptions,
} from "./harness/server.ts";
export { ChromaProcess } from "./harness/services.ts";
