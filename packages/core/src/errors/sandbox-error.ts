import { DeepRecallError } from "./deeprecall-error.ts";

const name = "SandboxError";
const marker = `deeprecall.error.${name}`;
const symbol = Symbol.for(marker);

/** The sandbox itself failed (not the model's code: that becomes REPL output). */
export class SandboxError extends DeepRecallError {
  /** The marker {@link isInstance} looks for (set on every instance, also across package copies). */
  readonly [symbol] = true;

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, { cause: options?.cause, code: "sandbox_error" });
  }

  static override isInstance(value: unknown): value is SandboxError {
    return DeepRecallError.hasMarker(value, marker);
  }
}
