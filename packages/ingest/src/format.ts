/**
 * A byte count for people: "512 B", "4.9 KB", "20.0 MB" (1 KB = 1024 bytes, one decimal), as
 * the reasons of skipped and rejected files show sizes.
 */
export function formatBytes(n: number): string {
  if (n >= 1024 * 1024) return `${(n / (1024 * 1024)).toFixed(1)} MB`;
  if (n >= 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${n} B`;
}
