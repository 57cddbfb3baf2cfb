import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}

interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples?: number[];
}

export interface ProfileSummary {
  totalSamples: number;
  /** Share of samples per area (a package, node internals, GC, idle). */
  byArea: Array<{ area: string; share: number }>;
  /** Heaviest functions by self time. */
  topFunctions: Array<{ name: string; area: string; share: number }>;
}

/** Maps a script URL to the package (or runtime area) it belongs to. */
export function areaOf(url: string, functionName: string): string {
  if (functionName === "(idle)") return "(idle)";
  if (functionName === "(garbage collector)") return "(garbage collector)";
  if (functionName === "(program)") return "(program: native/runtime)";
  if (url.startsWith("node:internal/")) {
    const part = url.slice("node:internal/".length).split("/");
    return `node:internal/${part.length > 1 ? part[0] : (part[0] ?? "")}`;
  }
  if (url.startsWith("node:")) return url;
  const nm = url.lastIndexOf("/node_modules/");
  if (nm >= 0) {
    const rest = url.slice(nm + "/node_modules/".length).split("/");
    return rest[0]?.startsWith("@") ? `${rest[0]}/${rest[1]}` : (rest[0] ?? url);
  }
  const pkg = /\/packages\/([^/]+)\//.exec(url);
  if (pkg) return `@deeprecall/${pkg[1]}`;
  if (/\/bench\//.test(url)) return "bench harness";
  return url === "" ? "(native)" : url;
}

export function summarizeProfile(profile: CpuProfile, top = 12): ProfileSummary {
  const total = profile.nodes.reduce((sum, n) => sum + (n.hitCount ?? 0), 0) || 1;
  const areas = new Map<string, number>();
  const functions = new Map<string, { area: string; hits: number }>();
  for (const node of profile.nodes) {
    const hits = node.hitCount ?? 0;
    if (hits === 0) continue;
    const { functionName, url, lineNumber } = node.callFrame;
    const area = areaOf(url, functionName);
    areas.set(area, (areas.get(area) ?? 0) + hits);
    const file = url.split("/").pop() ?? "";
    const key = `${functionName || "(anonymous)"} ${file ? `(${file}:${lineNumber + 1})` : ""}`.trim();
    const entry = functions.get(key) ?? { area, hits: 0 };
    entry.hits += hits;
    functions.set(key, entry);
  }
  return {
    totalSamples: total,
    byArea: [...areas.entries()]
      .map(([area, hits]) => ({ area, share: hits / total }))
      .sort((a, b) => b.share - a.share),
    topFunctions: [...functions.entries()]
      .map(([name, { area, hits }]) => ({ name, area, share: hits / total }))
      .sort((a, b) => b.share - a.share)
      .slice(0, top),
  };
}

/** Reads the newest .cpuprofile in `dir`. */
export async function readNewestProfile(dir: string): Promise<CpuProfile> {
  const files = (await readdir(dir)).filter((f) => f.endsWith(".cpuprofile")).sort();
  const last = files.at(-1);
  if (!last) throw new Error(`no .cpuprofile written in ${dir}`);
  return JSON.parse(await readFile(join(dir, last), "utf8")) as CpuProfile;
}
