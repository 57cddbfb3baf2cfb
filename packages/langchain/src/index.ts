export {
  ChatDeepRecall,
  type ChatDeepRecallCallOptions,
  type ChatDeepRecallInput,
  type DeepRecallResponseMetadata,
  deepRecallMetadata,
  resultMetadata,
  toEngineQuery,
} from "./chat-model.ts";
export { progressLine } from "./progress.ts";
export {
  type DeepRecallDocumentMetadata,
  DeepRecallRetriever,
  type DeepRecallRetrieverInput,
  type Searchable,
} from "./retriever.ts";
