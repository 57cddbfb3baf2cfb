// Runs in a worker thread (Node strips the types): hammers one SQLite cache file from its own
// connection while other workers do the same, then reports what it read back.
import { parentPort, workerData } from "node:worker_threads";
import { SqliteCache } from "../sqlite.ts";

const { path, workerId, count } = workerData as { path: string; workerId: number; count: number };
const cache = new SqliteCache({ path, ttlSeconds: 0 });
let mismatches = 0;
for (let i = 0; i < count; i++) {
  const key = `w${workerId}-${i}`;
  const value = { workerId, i, payload: { nested: [i, String(i)] } };
  await cache.set(key, value);
  await cache.set("shared", { lastWriter: workerId, i });
  const back = await cache.get<typeof value>(key);
  if (back?.i !== i || back.workerId !== workerId || back.payload.nested[1] !== String(i)) mismatches++;
}
await cache.close();
parentPort?.postMessage({ workerId, mismatches });
