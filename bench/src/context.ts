import { join } from "node:path";
import type { LoadOptions } from "./load.ts";
import { BENCH_DIR } from "./proc.ts";

export interface BenchContext {
  load: LoadOptions;
  log: (line: string) => void;
  /** Scratch directory (git-ignored): canned bodies, CPU profiles, data directories. */
  outDir: string;
  /** Versions of the peers, collected for the report. */
  versions: Record<string, string>;
  /** Turn CPU profiling of our server on/off (default on when a goal is missed). */
  profile: "auto" | "always" | "never";
  /** CPU the servers under test are pinned to (the load generator has another), if pinning is on. */
  serverCpu?: number;
}

export interface Goal {
  scenario: string;
  goal: string;
  measured: string;
  /** null when it could not be measured (peer missing), or for a figure that is only reported. */
  met: boolean | null;
  /** A figure to report, not a pass/fail target. */
  informational?: boolean;
}

export interface Chart {
  /** File name under docs/. */
  file: string;
  title: string;
  svg: string;
}

export interface ScenarioReport {
  id: string;
  title: string;
  markdown: string;
  goals: Goal[];
  charts: Chart[];
  raw: unknown;
}

export function defaultOutDir(): string {
  return join(BENCH_DIR, ".out");
}
