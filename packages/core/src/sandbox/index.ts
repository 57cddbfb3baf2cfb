export { formatBlockResult } from "./format.ts";
export { createSandboxPool, DEFAULT_LIMITS } from "./pool.ts";
export type {
  BlockResult,
  HostCallOptions,
  SandboxHost,
  SandboxLimits,
  SandboxOptions,
  SandboxPool,
  SandboxPoolStats,
  SandboxSession,
  SandboxWorkerReport,
  SessionNesting,
} from "./types.ts";
