/**
 * The DeepRecall error hierarchy, one class per file under `errors/`: `DeepRecallError` and its
 * kinds. Each carries a `Symbol.for("deeprecall.error.<Name>")` marker; test with the static
 * `isInstance` (works across two copies of the package), not `instanceof`.
 */
export * from "./errors/index.ts";
