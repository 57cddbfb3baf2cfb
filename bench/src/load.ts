import autocannon from "autocannon";
import { median } from "./stats.ts";

export interface LoadTarget {
  /** Peer name as shown in the tables. */
  name: string;
  url: string;
  path: string;
  method?: "GET" | "POST";
  body?: string;
  headers?: Record<string, string>;
}

export interface LoadOptions {
  connections: number;
  /** Seconds per measured round. */
  duration: number;
  rounds: number;
  /** Seconds of load before measuring, per peer. */
  warmup: number;
}

/** One autocannon run. Latencies in ms (autocannon's histogram has 1 ms resolution). */
export interface RoundResult {
  rps: number;
  p50: number;
  p99: number;
  requests: number;
  non2xx: number;
  errors: number;
  bytesPerRequest: number;
}

export interface PeerLoadResult {
  name: string;
  rounds: RoundResult[];
  /** Medians over the rounds. */
  rps: number;
  p50: number;
  p99: number;
  non2xx: number;
  errors: number;
  bytesPerRequest: number;
}

export async function runAutocannon(
  target: LoadTarget,
  connections: number,
  duration: number,
): Promise<RoundResult> {
  const result = await autocannon({
    url: `${target.url}${target.path}`,
    method: target.method ?? "POST",
    ...(target.body !== undefined ? { body: target.body } : {}),
    headers: { "content-type": "application/json", ...target.headers },
    connections,
    duration,
    pipelining: 1,
  });
  const completed = result.requests.total;
  return {
    rps: completed / result.duration,
    p50: result.latency.p50,
    p99: result.latency.p99,
    requests: completed,
    non2xx: result.non2xx,
    errors: result.errors,
    bytesPerRequest: completed > 0 ? result.throughput.total / completed : 0,
  };
}

export function summarizeRounds(name: string, rounds: RoundResult[]): PeerLoadResult {
  return {
    name,
    rounds,
    rps: median(rounds.map((r) => r.rps)),
    p50: median(rounds.map((r) => r.p50)),
    p99: median(rounds.map((r) => r.p99)),
    non2xx: rounds.reduce((sum, r) => sum + r.non2xx, 0),
    errors: rounds.reduce((sum, r) => sum + r.errors, 0),
    bytesPerRequest: median(rounds.map((r) => r.bytesPerRequest)),
  };
}

/**
 * Warms every peer up, then measures them in interleaved rounds (A B C, B C A, C A B, ...) so slow
 * drift of the shared machine hits every peer alike. Reports medians over rounds.
 */
export async function compareLoad(
  targets: LoadTarget[],
  options: LoadOptions,
  log: (line: string) => void = () => {},
): Promise<PeerLoadResult[]> {
  for (const target of targets) {
    if (options.warmup > 0) await runAutocannon(target, options.connections, options.warmup);
  }
  const rounds = new Map<string, RoundResult[]>(targets.map((t) => [t.name, []]));
  for (let round = 0; round < options.rounds; round++) {
    // Rotate the order every round so no peer always runs right after the same neighbour.
    const order = targets.map((_, i) => targets[(i + round) % targets.length]!);
    for (const target of order) {
      const r = await runAutocannon(target, options.connections, options.duration);
      rounds.get(target.name)!.push(r);
      log(
        `  round ${round + 1}/${options.rounds} ${target.name}: ${r.rps.toFixed(0)} req/s, p50 ${r.p50} ms, p99 ${r.p99} ms` +
          (r.non2xx + r.errors > 0 ? ` (${r.non2xx} non-2xx, ${r.errors} errors)` : ""),
      );
    }
  }
  return targets.map((t) => summarizeRounds(t.name, rounds.get(t.name)!));
}
