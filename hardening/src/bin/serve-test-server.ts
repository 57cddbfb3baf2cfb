// Manual exploration: starts the suite's test server and prints its URL (Ctrl-C to stop).
import { startTestServer } from "../harness/server.ts";

const server = await startTestServer();
console.log(server.url);
process.on("SIGINT", () => void server.close().then(() => process.exit(0)));
