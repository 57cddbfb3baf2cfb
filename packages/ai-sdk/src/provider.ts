import type { DeepRecallEngineApi } from "@deeprecall/core";
import { DeepRecallLanguageModel, type DeepRecallModelSettings } from "./model.ts";

/**
 * DeepRecall as an AI SDK language model:
 * `generateText({ model: deeprecall(engine), prompt })` runs the engine's recursive search and
 * answers with sources (`result.sources`), progress (`result.reasoningText`) and usage.
 */
export function deeprecall(
  engine: DeepRecallEngineApi,
  settings?: DeepRecallModelSettings,
): DeepRecallLanguageModel {
  return new DeepRecallLanguageModel(engine, settings);
}
