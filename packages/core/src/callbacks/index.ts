export { CallbackError, type CallbackHook } from "./callback-error.ts";
export { ConsoleCallback, type ConsoleCallbackOptions, type TextSink } from "./console.ts";
export { JsonlCallback, type JsonlCallbackOptions, type JsonlEventName } from "./jsonl.ts";
export { CallbackManager, type CallbackManagerOptions } from "./manager.ts";
export { ProgressCallback, type ProgressCallbackOptions } from "./progress.ts";
export type { CallbackContext, DeepRecallCallbacks } from "./types.ts";
export { recentQueryOf, UsageTrackingCallback, type UsageTrackingCallbackOptions } from "./usage.ts";
