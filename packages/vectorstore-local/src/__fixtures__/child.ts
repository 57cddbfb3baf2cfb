// Child process used by the tests: `node child.ts <directory> hold|write-loop`.
//  hold:       opens the store (takes the lock), prints "locked", then waits to be killed.
//  write-loop: adds batches of BATCH documents forever, printing "committed <n>" after each.
import { LocalStore } from "../local-store.ts";

const [directory, mode] = process.argv.slice(2);
const BATCH = 200;
const store = new LocalStore({ directory: directory!, compactionThresholdBytes: 256 * 1024 });
await store.open();
if (mode === "hold") {
  process.stdout.write("locked\n");
  setInterval(() => {}, 1 << 30);
} else {
  const filler = "lorem ipsum dolor sit amet ".repeat(20);
  for (let batch = 0; ; batch++) {
    await store.addDocuments({
      documents: Array.from({ length: BATCH }, (_, i) => `batch ${batch} item ${i} ${filler}`),
      ids: Array.from({ length: BATCH }, (_, i) => `b${batch}-${i}`),
      metadatas: Array.from({ length: BATCH }, (_, i) => ({ batch, i })),
      embeddings: Array.from({ length: BATCH }, (_, i) => [batch + 1, i + 1, 1, 0.5]),
    });
    process.stdout.write(`committed ${batch + 1}\n`);
  }
}
