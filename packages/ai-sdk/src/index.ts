/** One line of progress text per engine event (core's describeEngineEvent, shared by every adapter). */
export { describeEngineEvent as progressLine } from "@deeprecall/core";
export {
  type DeepRecallCallOptions,
  DeepRecallLanguageModel,
  type DeepRecallModelSettings,
  PROVIDER_KEY,
  toSourcePart,
} from "./model.ts";
export { type MappedPrompt, mapPrompt } from "./prompt.ts";
export { deeprecall } from "./provider.ts";
export {
  type AskToolInput,
  type AskToolOptions,
  type AskToolOutput,
  askTool,
  type Searchable,
  type SearchToolInput,
  type SearchToolOptions,
  type SearchToolOutput,
  searchTool,
} from "./tools.ts";
