export { formatBlockResult } from "./format.ts";
export { createSandboxPool, DEFAULT_LIMITS } from "./pool.ts";
export type {
  BlockResult,
  SandboxHost,
  SandboxLimits,
  SandboxOptions,
  SandboxPool,
  SandboxSession,
} from "./types.ts";
