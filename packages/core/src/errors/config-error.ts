import { DeepRecallError } from "./deeprecall-error.ts";

const name = "ConfigError";
const marker = `deeprecall.error.${name}`;
const symbol = Symbol.for(marker);

/** An option or configuration value is invalid. `field` names it. */
export class ConfigError extends DeepRecallError {
  /** The marker {@link isInstance} looks for (set on every instance, also across package copies). */
  readonly [symbol] = true;
  readonly field: string | undefined;

  constructor(message: string, options?: { cause?: unknown; field?: string }) {
    super(message, { cause: options?.cause, code: "config_error" });
    this.field = options?.field;
  }

  static override isInstance(value: unknown): value is ConfigError {
    return DeepRecallError.hasMarker(value, marker);
  }
}
