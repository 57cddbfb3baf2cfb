/**
 * Masks a secret for display: enough to tell two keys apart, never enough to use one.
 * Short secrets are hidden entirely.
 */
export function maskSecret(value: string | undefined | null): string {
  if (value === undefined || value === null || value === "") return "(not set)";
  if (value.length < 16) return "****";
  return `${value.slice(0, 3)}…${value.slice(-4)}`;
}

/** Masks each key of a list, e.g. server API keys. */
export function maskList(values: string[] | undefined): string {
  if (!values || values.length === 0) return "(not set)";
  return values.map((v) => maskSecret(v)).join(", ");
}
