// The throwaway redis-server helper is shared with other packages' tests (the CLI's, the hardening suite).
export { eventually, findRedisServer, freePort, RedisServerProcess } from "@deeprecall/test-utils";
