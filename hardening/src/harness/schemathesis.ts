import { spawn } from "node:child_process";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { findExecutable } from "./util.ts";

const LOCAL_VENV = fileURLToPath(new URL("../../.venv/bin/schemathesis", import.meta.url));

export const SCHEMATHESIS_HINT =
  "Install Schemathesis from PyPI: python3 -m venv hardening/.venv && hardening/.venv/bin/pip install schemathesis (or set SCHEMATHESIS_BIN).";

/** `$SCHEMATHESIS_BIN`, else hardening/.venv/bin/schemathesis, else `schemathesis` on PATH. */
export function findSchemathesis(): string | undefined {
  return findExecutable([process.env.SCHEMATHESIS_BIN, LOCAL_VENV, "schemathesis", "st"]);
}

export interface SchemathesisFailure {
  code: string;
  title: string;
  count: number;
  operations: string[];
}

export interface SchemathesisReport {
  complete: boolean;
  stop_reason: string;
  exit_code: number;
  operations: { total: number; selected: number; tested: number; errored: number };
  test_cases: { generated: number; with_failures: number; unique_failures: number; errored: number };
  failures: SchemathesisFailure[];
  errors: unknown[];
  warnings: Record<string, unknown>;
}

export interface SchemathesisRun {
  report: SchemathesisReport;
  /** The human-readable console output (failures with reproducing curl commands). */
  output: string;
}

/**
 * Runs `schemathesis run <url>/openapi.json` with every check except `positive_data_acceptance`
 * (semantic rules such as "at least one user message" cannot be written in the schema) and
 * returns its JSON report. `--request-timeout` turns a hanging endpoint into an error.
 * `workers` (Schemathesis threads) defaults to 1: with more, Hypothesis's generator now and then
 * fails internally (races between its threads), which would fail a run for no fault of the server.
 * `--suppress-health-check too_slow`: Hypothesis's `too_slow` health check times the generation
 * of its first inputs by the wall clock, so on a slow or busy machine it can become a report error
 * that says nothing about the server; every check on the server's responses stays on.
 */
export async function runSchemathesis(
  baseUrl: string,
  options: { maxExamples: number; seed: number; headers?: string[]; extraArgs?: string[]; workers?: number },
): Promise<SchemathesisRun> {
  const bin = findSchemathesis();
  if (!bin) throw new Error(`Schemathesis not found. ${SCHEMATHESIS_HINT}`);
  const reportDir = await mkdtemp(join(tmpdir(), "deeprecall-schemathesis-"));
  const args = [
    "run",
    `${baseUrl}/openapi.json`,
    "--checks",
    "all",
    "--exclude-checks",
    "positive_data_acceptance",
    "--max-examples",
    String(options.maxExamples),
    "--seed",
    String(options.seed),
    "--request-timeout",
    "30",
    "--suppress-health-check",
    "too_slow",
    "--workers",
    String(options.workers ?? 1),
    "--output-truncate",
    "false",
    "--report",
    "json",
    "--report-dir",
    reportDir,
    ...(options.headers ?? []).flatMap((h) => ["-H", h]),
    ...(options.extraArgs ?? []),
  ];
  try {
    const output = await new Promise<string>((resolve, reject) => {
      const child = spawn(bin, args, {
        // Its caches (.hypothesis, .schemathesis) go to the temp dir: every run starts clean.
        cwd: reportDir,
        stdio: ["ignore", "pipe", "pipe"],
        env: { ...process.env, NO_COLOR: "1", SCHEMATHESIS_TELEMETRY: "false" },
      });
      let out = "";
      child.stdout.on("data", (d: Buffer) => {
        out += d.toString("utf8");
      });
      child.stderr.on("data", (d: Buffer) => {
        out += d.toString("utf8");
      });
      child.once("error", reject);
      child.once("exit", () => resolve(out));
    });
    const files = (await readdir(reportDir)).filter((f) => f.endsWith(".json"));
    if (files.length === 0) throw new Error(`Schemathesis wrote no report. Output:\n${output}`);
    const report = JSON.parse(await readFile(join(reportDir, files[0]!), "utf8")) as SchemathesisReport;
    return { report, output };
  } finally {
    await rm(reportDir, { recursive: true, force: true });
  }
}
