const name = "DeepRecallError";
const marker = `deeprecall.error.${name}`;
const symbol = Symbol.for(marker);

/**
 * The base of every error the library throws on purpose, so callers can tell our failures from
 * bugs. Recognise one with {@link DeepRecallError.isInstance} rather than `instanceof`: it also
 * recognises errors from another copy of `@deeprecall/core` (two versions in one
 * `node_modules`), because each error carries a `Symbol.for("deeprecall.error.<Name>")` marker.
 */
export class DeepRecallError extends Error {
  /** The marker {@link isInstance} looks for (set on every instance, also across package copies). */
  readonly [symbol] = true;
  /** Stable machine-readable code, e.g. "config_error". */
  readonly code: string;

  constructor(message: string, options?: { cause?: unknown; code?: string }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = options?.code ?? "deeprecall_error";
  }

  /** Whether `value` is a DeepRecallError (of any kind), from this copy of the package or another. */
  static isInstance(value: unknown): value is DeepRecallError {
    return DeepRecallError.hasMarker(value, marker);
  }

  /** Whether `value` carries the marker `Symbol.for(marker)` set to `true`. */
  protected static hasMarker(value: unknown, marker: string): boolean {
    if (value === null || typeof value !== "object") return false;
    return (value as Record<symbol, unknown>)[Symbol.for(marker)] === true;
  }
}
