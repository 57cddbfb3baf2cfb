import { DeepRecallError } from "../errors/deeprecall-error.ts";
import { getErrorMessage } from "../errors/get-error-message.ts";
import type { DeepRecallCallbacks } from "./types.ts";

export type CallbackHook = keyof DeepRecallCallbacks;

const name = "CallbackError";
const marker = `deeprecall.error.${name}`;
const symbol = Symbol.for(marker);

/** A callback threw (or rejected). Handed to the other callbacks' `onError`. */
export class CallbackError extends DeepRecallError {
  /** The marker {@link isInstance} looks for (set on every instance, also across package copies). */
  readonly [symbol] = true;
  /** The hook that failed, e.g. "onSearch". */
  readonly hook: CallbackHook;
  /** The failing callback's class name, or "callback" for plain objects. */
  readonly callbackName: string;

  constructor(hook: CallbackHook, callbackName: string, cause: unknown) {
    super(`Callback ${callbackName}.${hook} failed: ${getErrorMessage(cause)}`, {
      cause,
      code: "callback_error",
    });
    this.hook = hook;
    this.callbackName = callbackName;
  }

  static override isInstance(value: unknown): value is CallbackError {
    return DeepRecallError.hasMarker(value, marker);
  }
}
