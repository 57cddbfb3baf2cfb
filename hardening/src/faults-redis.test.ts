import { createRedisState, type RedisLogEntry, type RedisState } from "@deeprecall/redis";
import { RedisServerProcess } from "@deeprecall/test-utils";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { chatBody, getJson, postJson } from "./harness/http.ts";
import { startTestServer, type TestServer } from "./harness/server.ts";
import { findRedis, REDIS_HINT } from "./harness/services.ts";
import { isCI, waitFor } from "./harness/util.ts";

const haveRedis = findRedis() !== undefined;
if (!haveRedis && isCI) throw new Error(`CI=true and redis-server is missing. ${REDIS_HINT}`);

const LIMIT = 5;

interface Fleet {
  server: TestServer;
  state: RedisState;
  logs: RedisLogEntry[];
}

async function replica(redis: RedisServerProcess, failOpen: boolean, prefix: string): Promise<Fleet> {
  const logs: RedisLogEntry[] = [];
  const state = createRedisState({
    url: redis.url,
    failOpen,
    prefix,
    rateLimitClock: "server",
    maxReconnectDelayMs: 200,
    logger: (entry) => logs.push(entry),
  });
  const server = await startTestServer({
    engine: { cache: state.cache, callbacks: [state.usageTracker] },
    app: { rateLimit: { requestsPerMinute: LIMIT, store: state.rateLimitStore } },
  });
  return { server, state, logs };
}

async function burst(url: string, n: number): Promise<number[]> {
  const statuses: number[] = [];
  for (let i = 0; i < n; i++) statuses.push((await fetch(`${url}/v1/models`)).status);
  return statuses;
}

describe.skipIf(!haveRedis)("fault injection: Redis goes down and comes back", () => {
  let redis: RedisServerProcess;
  beforeAll(async () => {
    redis = await RedisServerProcess.start();
  });
  afterAll(() => redis?.stop());

  it("fail open: limits hold, the outage lets traffic through with a warning, usage survives, limits return", async () => {
    const { server, state, logs } = await replica(redis, true, "hardening-open:");
    try {
      const usage0 = await getJson<{ usage: { total_queries: number } }>(`${server.url}/v1/usage`);
      expect(usage0.status).toBe(200);
      expect(usage0.body.usage.total_queries).toBe(0);
      // The bucket held LIMIT tokens; one went to the usage read above.
      expect(await burst(server.url, LIMIT + 1)).toEqual([...Array(LIMIT - 1).fill(200), 429, 429]);
      await redis.stop();
      // Rate limit: allowed while Redis is away (fail open), with a logged warning.
      expect(await burst(server.url, 3)).toEqual([200, 200, 200]);
      expect(logs.some((l) => l.level === "warn" || l.level === "error")).toBe(true);
      // A query still answers (cache misses), and its usage is kept in memory meanwhile.
      const during = await postJson<{ choices: Array<{ message: { content: string } }> }>(
        `${server.url}/v1/chat/completions`,
        chatBody("Who developed the first compiler?"),
      );
      expect(during.status).toBe(200);
      expect(during.body.choices[0]!.message.content).toContain("Grace Hopper");
      const usageDown = await getJson<{ error: { code: string } }>(`${server.url}/v1/usage`);
      expect(usageDown.status).toBe(503);

      await redis.restart();
      // The query answered during the outage is not lost from the fleet's usage (exactly one).
      let usage = await getJson<{ usage: { total_queries: number } }>(`${server.url}/v1/usage`);
      await waitFor(async () => {
        usage = await getJson<{ usage: { total_queries: number } }>(`${server.url}/v1/usage`);
        return usage.status === 200 && usage.body.usage.total_queries >= 1;
      }, "usage to come back with the pending query");
      expect(usage.body.usage.total_queries).toBe(1);
      // Limits are enforced again (the restarted Redis starts with fresh buckets, and the
      // polling above used some of its tokens).
      const after = await burst(server.url, LIMIT + 1);
      expect(after).toContain(429);
      expect(after.filter((s) => s === 200).length).toBeLessThanOrEqual(LIMIT);
    } finally {
      await server.close();
      await state.close();
    }
  });

  it("fail closed: 503 with Retry-After while Redis is away, service resumes when it is back", async () => {
    const { server, state } = await replica(redis, false, "hardening-closed:");
    try {
      expect((await fetch(`${server.url}/v1/models`)).status).toBe(200);
      await redis.stop();
      const down = await fetch(`${server.url}/v1/models`);
      expect(down.status).toBe(503);
      expect(down.headers.get("retry-after")).toBeTruthy();
      const body = (await down.json()) as { error: { message: string; type: string } };
      expect(body.error.message).not.toMatch(/redis:\/\/|127\.0\.0\.1:\d+/);
      // Health stays exempt and up.
      expect((await fetch(`${server.url}/health`)).status).toBe(200);
      await redis.restart();
      await waitFor(async () => (await fetch(`${server.url}/v1/models`)).status === 200, "service to resume");
    } finally {
      await server.close();
      await state.close();
    }
  });
});
