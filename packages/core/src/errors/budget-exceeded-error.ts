import { DeepRecallError } from "./deeprecall-error.ts";

const name = "BudgetExceededError";
const marker = `deeprecall.error.${name}`;
const symbol = Symbol.for(marker);

/** A `QueryBudget` limit was reached. `limit` names it, e.g. "maxSearchCalls". */
export class BudgetExceededError extends DeepRecallError {
  /** The marker {@link isInstance} looks for (set on every instance, also across package copies). */
  readonly [symbol] = true;
  readonly limit: string;

  constructor(limit: string, message?: string) {
    super(message ?? `Budget exceeded: ${limit}`, { code: "budget_exceeded" });
    this.limit = limit;
  }

  static override isInstance(value: unknown): value is BudgetExceededError {
    return DeepRecallError.hasMarker(value, marker);
  }
}
