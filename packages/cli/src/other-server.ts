import path from "node:path";
import type { DeepRecallConfig } from "./config/index.ts";
import { findServers } from "./server-advert.ts";
import { fetchServerHealth, localServerUrl } from "./server-health.ts";

/** How long the check may take: it runs before every write to a local store. */
const PROBE_MS = 300;

/**
 * PROBE_MS, unless `env` has DEEPRECALL_TEST_SERVER_PROBE_MS: a test hook, not a setting. Tests
 * that expect the warning give the probe more time, so a busy machine cannot make it miss the
 * answer; the default's give-up time is tested without it.
 */
function probeMs(env: Record<string, string | undefined>): number {
  const fromEnv = Number(env.DEEPRECALL_TEST_SERVER_PROBE_MS);
  return Number.isFinite(fromEnv) && fromEnv > 0 ? fromEnv : PROBE_MS;
}

/**
 * A warning when the CLI is about to write to a local store that no `deeprecall serve` serves
 * (no advert in its persist directory) while a DeepRecall server answers on the configured
 * host:port: that server holds another store (`./.deeprecall` is relative to the folder each was
 * started in) and will never see what is written here. Undefined otherwise, and whenever the
 * check cannot tell (nothing answers within 300 ms, another program answers): never fatal.
 */
export async function otherServerWarning(
  config: DeepRecallConfig,
  env: Record<string, string | undefined> = {},
): Promise<string | undefined> {
  if (config.vectorstore !== "local") return undefined;
  // A server on this store (any collection) has its advert here: then it is the same store.
  if (findServers(config.persistDir).length > 0) return undefined;
  const url = localServerUrl(config.host, config.port);
  // No API key: /health is public, and whatever answers on that port may not be ours.
  const health = await fetchServerHealth(url, { timeoutMs: probeMs(env) });
  if (!health) return undefined;
  const here = path.resolve(config.persistDir);
  if (health.persistDir && path.resolve(health.persistDir) === here) return undefined;
  const theirs = health.persistDir
    ? `its store is ${health.persistDir}`
    : `it serves a different store (${health.vectorStore === "local" ? "a local store in another folder" : health.vectorStore})`;
  return `warning: a deeprecall server answers at ${url}, but this writes to the local store in ${here} and ${theirs}: the server will not see these changes. Run this from the folder the server runs in, or pass --persist-dir ${health.persistDir ?? "<its .deeprecall folder>"}.`;
}
