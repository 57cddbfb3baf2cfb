/**
 * A byte count for people, in binary units with at most one decimal: "512 bytes", "4.9 KiB",
 * "64 MiB", "1.5 GiB" (1 KiB = 1024 bytes). Used wherever a limit or a size is shown to a model
 * or a person (sandbox memory limits, rejected files).
 */
export function formatBytes(bytes: number): string {
  const units = ["KiB", "MiB", "GiB", "TiB"];
  if (!Number.isFinite(bytes) || Math.abs(bytes) < 1024) return `${bytes} bytes`;
  let value = bytes;
  let unit = -1;
  while (Math.abs(value) >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${Math.round(value * 10) / 10} ${units[unit]}`;
}
