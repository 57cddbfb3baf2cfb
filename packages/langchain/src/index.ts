/** One line of progress text per engine event (core's describeEngineEvent, shared by every adapter). */
export { describeEngineEvent as progressLine } from "@deeprecall/core";
export {
  ChatDeepRecall,
  type ChatDeepRecallCallOptions,
  type ChatDeepRecallInput,
  type DeepRecallResponseMetadata,
  deepRecallMetadata,
  resultMetadata,
  toEngineQuery,
} from "./chat-model.ts";
export {
  type DeepRecallDocumentMetadata,
  DeepRecallRetriever,
  type DeepRecallRetrieverInput,
  type Searchable,
} from "./retriever.ts";
