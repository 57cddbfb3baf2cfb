/**
 * A horizontal bar chart written as plain SVG (no dependency): one group per row, one bar per
 * series, each bar labelled with its value. Good enough for a handful of headline numbers.
 */
export interface BarGroup {
  label: string;
  /** One value per series; null draws nothing and writes "n/a". */
  values: Array<number | null>;
}

export interface BarChartOptions {
  title: string;
  /** Unit shown after each value, e.g. "req/s". */
  unit: string;
  series: string[];
  groups: BarGroup[];
  width?: number;
  /** Decimals for the value labels. */
  decimals?: number;
}

const PALETTE = ["#2563eb", "#f59e0b", "#10b981", "#ef4444", "#8b5cf6", "#64748b"];

export function escapeXml(text: string): string {
  return text.replace(/[<>&"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
}

export function barChart(options: BarChartOptions): string {
  const width = options.width ?? 780;
  const decimals = options.decimals ?? 0;
  const labelWidth = 250;
  const valueSpace = 120;
  const barHeight = 18;
  const barGap = 4;
  const groupGap = 16;
  const top = 56;
  const plotWidth = width - labelWidth - valueSpace - 20;
  const all = options.groups.flatMap((g) => g.values).filter((v): v is number => v !== null && v >= 0);
  const max = all.length > 0 ? Math.max(...all) : 1;
  const groupHeight = options.series.length * (barHeight + barGap) - barGap;
  const height = top + options.groups.length * (groupHeight + groupGap) + 10;

  const parts: string[] = [];
  parts.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" font-family="system-ui, -apple-system, Segoe UI, sans-serif" font-size="12">`,
    `<title>${escapeXml(options.title)}</title>`,
    `<rect width="100%" height="100%" fill="#ffffff"/>`,
    `<text x="10" y="22" font-size="15" font-weight="600" fill="#111827">${escapeXml(options.title)}</text>`,
  );
  // Legend
  let legendX = 10;
  options.series.forEach((name, i) => {
    const color = PALETTE[i % PALETTE.length];
    parts.push(
      `<rect x="${legendX}" y="32" width="10" height="10" fill="${color}"/>`,
      `<text x="${legendX + 14}" y="41" fill="#374151">${escapeXml(name)}</text>`,
    );
    legendX += 24 + name.length * 7;
  });
  options.groups.forEach((group, g) => {
    const groupTop = top + g * (groupHeight + groupGap);
    parts.push(
      `<text x="${labelWidth - 8}" y="${groupTop + groupHeight / 2 + 4}" text-anchor="end" fill="#111827">${escapeXml(group.label)}</text>`,
    );
    group.values.forEach((value, s) => {
      const y = groupTop + s * (barHeight + barGap);
      const color = PALETTE[s % PALETTE.length];
      if (value === null || !Number.isFinite(value)) {
        parts.push(`<text x="${labelWidth + 4}" y="${y + barHeight - 5}" fill="#6b7280">n/a</text>`);
        return;
      }
      const w = Math.max(1, (Math.max(0, value) / max) * plotWidth);
      const text = `${value.toLocaleString("en-US", { minimumFractionDigits: decimals, maximumFractionDigits: decimals })} ${options.unit}`;
      parts.push(
        `<rect x="${labelWidth}" y="${y}" width="${w.toFixed(1)}" height="${barHeight}" rx="2" fill="${color}"/>`,
        `<text x="${(labelWidth + w + 6).toFixed(1)}" y="${y + barHeight - 5}" fill="#111827">${escapeXml(text)}</text>`,
      );
    });
  });
  parts.push("</svg>");
  return `${parts.join("\n")}\n`;
}

/** Adds an accessible <title> to an SVG that lacks one (charts saved by older runs). */
export function ensureTitle(svg: string, title: string): string {
  if (svg.includes("<title>")) return svg;
  return svg.replace(/^<svg([^>]*)>/, (_, attrs: string) => {
    const withRole = attrs.includes("role=") ? attrs : `${attrs} role="img"`;
    return `<svg${withRole}>\n<title>${escapeXml(title)}</title>`;
  });
}
