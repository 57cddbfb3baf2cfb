import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { ConfigError } from "@deeprecall/core";
import { parse as parseToml } from "smol-toml";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { serverOptionsFromConfig } from "../server-runner.ts";
import { configTemplate, maskList, maskSecret, resolveConfig } from "./index.ts";

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), "deeprecall-config-"));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

function resolveIn(input: Parameters<typeof resolveConfig>[0] = {}) {
  return resolveConfig({ cwd: dir, env: {}, ...input });
}

function errorOf(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error("expected a ConfigError");
}

describe("resolveConfig precedence", () => {
  it("uses defaults when nothing is set", () => {
    const { config, sources } = resolveIn();
    expect(config.vectorstore).toBe("local");
    expect(config.port).toBe(8000);
    expect(config.backend).toBe("openai");
    expect(config.model).toBe("gpt-4o-mini");
    expect(config.persistDir).toBe(path.join(dir, ".deeprecall"));
    expect(sources.port).toEqual({ kind: "default", key: "port" });
    expect(config.apiKeys).toBeUndefined();
  });

  it("flags beat environment, environment beats the toml file, the file beats defaults", () => {
    writeFileSync(
      path.join(dir, "deeprecall.toml"),
      'port = 7001\ncollection = "from_toml"\nmodel = "toml-model"\ntop_k = 9\n',
    );
    const { config, sources } = resolveIn({
      flags: { port: "7003" },
      env: { DEEPRECALL_PORT: "7002", DEEPRECALL_COLLECTION: "from_env" },
    });
    expect(config.port).toBe(7003);
    expect(sources.port?.kind).toBe("flag");
    expect(config.collection).toBe("from_env");
    expect(sources.collection).toEqual({ kind: "environment", key: "DEEPRECALL_COLLECTION" });
    expect(config.model).toBe("toml-model");
    expect(config.topK).toBe(9);
    expect(sources.topK?.kind).toBe("config file");
    expect(config.vectorstore).toBe("local");
  });

  it("loads .env without overriding the real environment", () => {
    writeFileSync(
      path.join(dir, ".env"),
      "OPENAI_API_KEY=sk-from-dotenv-file\nDEEPRECALL_COLLECTION=dotenv_coll\n",
    );
    const { config, envFile } = resolveIn({ env: { DEEPRECALL_COLLECTION: "real_env" } });
    expect(envFile).toBe(path.join(dir, ".env"));
    expect(config.openaiApiKey).toBe("sk-from-dotenv-file");
    expect(config.collection).toBe("real_env");
  });

  it("reads CHROMA_URL and the provider key variables", () => {
    const { config } = resolveIn({
      env: { CHROMA_URL: "http://localhost:8001", ANTHROPIC_API_KEY: "ak", PINECONE_API_KEY: "pk" },
    });
    expect(config.chromaUrl).toBe("http://localhost:8001");
    expect(config.anthropicApiKey).toBe("ak");
    expect(config.pineconeApiKey).toBe("pk");
  });

  it("treats --base-url alone as the openai-compatible backend", () => {
    const { config } = resolveIn({ flags: { baseUrl: "http://127.0.0.1:9/v1", model: "llama" } });
    expect(config.backend).toBe("openai-compatible");
  });

  it("parses lists and numbers from every source", () => {
    const { config } = resolveIn({ flags: { apiKeys: "k1, k2 ,", maxTime: "2.5", rateLimit: "60" } });
    expect(config.apiKeys).toEqual(["k1", "k2"]);
    expect(config.maxTime).toBe(2.5);
    expect(config.rateLimit).toBe(60);
  });

  it("--max-file-size takes bytes or a size with a unit, from every source", () => {
    const size = (value: string | number, source: "flags" | "env" = "flags") =>
      source === "flags"
        ? resolveIn({ flags: { maxFileSize: value } }).config.maxFileSize
        : resolveIn({ env: { DEEPRECALL_MAX_FILE_SIZE: String(value) } }).config.maxFileSize;
    expect(size("1234")).toBe(1234);
    expect(size("2MB")).toBe(2_000_000);
    expect(size("2 mb")).toBe(2_000_000);
    expect(size("1.5KB")).toBe(1500);
    expect(size("2MiB")).toBe(2 * 1024 * 1024);
    expect(size("3KiB", "env")).toBe(3072);
    expect(size("1GB")).toBe(1_000_000_000);
    expect(size("1G")).toBe(1024 ** 3);
    writeFileSync(path.join(dir, "deeprecall.toml"), 'max_file_size = "500KB"\n');
    expect(resolveIn().config.maxFileSize).toBe(500_000);
    for (const bad of ["2XB", "MB", "-1MB", "3GB", "0"]) {
      expect(errorOf(() => size(bad)).message, bad).toMatch(/--max-file-size: expected a size/);
    }
  });

  it("--cors takes a list of origins or *, from every source; unset means no CORS", () => {
    expect(resolveIn().config.cors).toBeUndefined();
    expect(
      resolveIn({ flags: { cors: "https://a.example.com, http://localhost:3000/" } }).config.cors,
    ).toEqual(["https://a.example.com", "http://localhost:3000"]);
    expect(resolveIn({ env: { DEEPRECALL_CORS: "*" } }).config.cors).toEqual(["*"]);
    writeFileSync(path.join(dir, "deeprecall.toml"), 'cors = ["https://app.example.com"]\n');
    const { config, sources } = resolveIn();
    expect(config.cors).toEqual(["https://app.example.com"]);
    expect(sources.cors).toMatchObject({ kind: "config file", key: "cors" });
    expect(errorOf(() => resolveIn({ env: { DEEPRECALL_CORS: "app.example.com" } })).message).toBe(
      'DEEPRECALL_CORS: expected a comma-separated list of origins (e.g. https://app.example.com) or *, got "app.example.com" (from environment)',
    );
    expect(errorOf(() => resolveIn({ flags: { cors: " , " } })).message).toMatch(/^--cors: expected/);
  });

  it("serverOptionsFromConfig: * anywhere in --cors means any origin", () => {
    const options = (flags: Record<string, string>) => serverOptionsFromConfig(resolveIn({ flags }).config);
    expect(options({}).cors).toBeUndefined();
    expect(options({ cors: "https://a.example.com" }).cors).toEqual(["https://a.example.com"]);
    expect(options({ cors: "https://a.example.com,*" }).cors).toBe(true);
    expect(options({ port: "9000", rateLimit: "5" })).toMatchObject({ port: 9000, rateLimit: 5, mcp: false });
  });

  it('the web console is on unless --console off, DEEPRECALL_CONSOLE=off or console = "off" in the file', () => {
    const consoleOf = (input: Parameters<typeof resolveConfig>[0]) =>
      serverOptionsFromConfig(resolveIn(input).config).console;
    expect(consoleOf({})).toBe(true);
    expect(consoleOf({ flags: { console: "off" } })).toBe(false);
    expect(consoleOf({ env: { DEEPRECALL_CONSOLE: "off" } })).toBe(false);
    expect(consoleOf({ env: { DEEPRECALL_CONSOLE: "off" }, flags: { console: "on" } })).toBe(true);
    expect(errorOf(() => resolveIn({ flags: { console: "maybe" } })).message).toMatch(
      /^--console: expected on or off/,
    );
  });

  it("--task-routing on|off, --task-model <id>|off and --public-url, from every source, into the server options", () => {
    const options = (input: Parameters<typeof resolveConfig>[0]) => {
      const { config, sources } = resolveIn(input);
      return serverOptionsFromConfig(config, sources);
    };
    const defaults = options({});
    expect(defaults).toMatchObject({ taskRouting: true, collections: true, storeResponses: true });
    expect(options({ flags: { storeResponses: "off" } }).storeResponses).toBe(false);
    expect(options({ env: { DEEPRECALL_STORE_RESPONSES: "off" } }).storeResponses).toBe(false);
    expect(defaults).not.toHaveProperty("taskModel");
    expect(defaults).not.toHaveProperty("publicUrl");
    expect(resolveIn().sources.taskRouting).toEqual({ kind: "default", key: "taskRouting" });

    expect(options({ flags: { taskRouting: "OFF" } }).taskRouting).toBe(false);
    expect(options({ env: { DEEPRECALL_TASK_ROUTING: "off" } }).taskRouting).toBe(false);
    expect(options({ flags: { taskModel: "my-task" } }).taskModel).toBe("my-task");
    expect(options({ env: { DEEPRECALL_TASK_MODEL: "off" } }).taskModel).toBe(false);
    expect(options({ flags: { publicUrl: "https://recall.example.com" } }).publicUrl).toBe(
      "https://recall.example.com",
    );
    expect(options({ env: { DEEPRECALL_PUBLIC_URL: "http://10.0.0.5:8000" } }).publicUrl).toBe(
      "http://10.0.0.5:8000",
    );

    writeFileSync(
      path.join(dir, "deeprecall.toml"),
      'task_routing = "off"\ntask_model = "off"\npublic_url = "https://docs.example.org"\n',
    );
    const fromFile = resolveIn();
    expect(fromFile.sources.taskRouting).toMatchObject({ kind: "config file", key: "task_routing" });
    expect(serverOptionsFromConfig(fromFile.config, fromFile.sources)).toMatchObject({
      taskRouting: false,
      taskModel: false,
      publicUrl: "https://docs.example.org",
    });
    // A flag beats the file.
    expect(options({ flags: { taskRouting: "on" } }).taskRouting).toBe(true);

    expect(errorOf(() => resolveIn({ flags: { taskRouting: "maybe" } })).message).toMatch(
      /^--task-routing: expected on or off/,
    );
    expect(errorOf(() => resolveIn({ flags: { taskModel: "two words" } })).message).toMatch(
      /^--task-model: expected/,
    );
    expect(errorOf(() => resolveIn({ flags: { publicUrl: "ftp://x.example.com" } })).message).toMatch(
      /^--public-url: expected an http\(s\) URL/,
    );
    expect(errorOf(() => resolveIn({ env: { DEEPRECALL_PUBLIC_URL: "nope" } })).message).toMatch(
      /^DEEPRECALL_PUBLIC_URL: expected/,
    );
  });

  it("--trust-proxy <n> from every source into the server options; 0 or unset leaves X-Forwarded-For ignored", () => {
    const hops = (input: Parameters<typeof resolveConfig>[0] = {}) =>
      serverOptionsFromConfig(resolveIn(input).config).trustProxy;
    expect(hops()).toBeUndefined();
    expect(hops({ flags: { trustProxy: "0" } })).toBeUndefined();
    expect(hops({ flags: { trustProxy: "1" } })).toBe(1);
    expect(hops({ env: { DEEPRECALL_TRUST_PROXY: "2" } })).toBe(2);
    writeFileSync(path.join(dir, "deeprecall.toml"), "trust_proxy = 1\n");
    expect(hops()).toBe(1);
    expect(errorOf(() => resolveIn({ flags: { trustProxy: "-1" } })).message).toMatch(
      /^--trust-proxy: expected a whole number of proxies 0-10/,
    );
    expect(errorOf(() => resolveIn({ env: { DEEPRECALL_TRUST_PROXY: "yes" } })).message).toMatch(
      /^DEEPRECALL_TRUST_PROXY: expected/,
    );
  });

  it("serve serves every collection unless --collection (or DEEPRECALL_COLLECTION) names one", () => {
    const options = (input: Parameters<typeof resolveConfig>[0]) => {
      const { config, sources } = resolveIn(input);
      return serverOptionsFromConfig(config, sources).collections;
    };
    expect(options({})).toBe(true);
    expect(options({ flags: { collection: "a" } })).toBe(false);
    expect(options({ env: { DEEPRECALL_COLLECTION: "a" } })).toBe(false);
    // The config file's collection only names the default one.
    writeFileSync(path.join(dir, "deeprecall.toml"), 'collection = "a"\n');
    expect(options({})).toBe(true);
  });

  it("--cache-answers on|off from every source, default off", () => {
    const { config, sources } = resolveIn();
    expect(config.cacheAnswers).toBe("off");
    expect(sources.cacheAnswers?.kind).toBe("default");
    expect(resolveIn({ flags: { cacheAnswers: "ON" } }).config.cacheAnswers).toBe("on");
    expect(resolveIn({ env: { DEEPRECALL_CACHE_ANSWERS: "on" } }).config.cacheAnswers).toBe("on");
    writeFileSync(path.join(dir, "deeprecall.toml"), 'cache_answers = "on"\n');
    expect(resolveIn().config.cacheAnswers).toBe("on");
    expect(resolveIn({ flags: { cacheAnswers: "off" } }).config.cacheAnswers).toBe("off");
    expect(errorOf(() => resolveIn({ flags: { cacheAnswers: "yes" } })).message).toBe(
      '--cache-answers: expected on or off, got "yes" (from flag)',
    );
  });

  it("--sandbox-workers from every source, unset by default (the sandbox's own default, 8)", () => {
    expect(resolveIn().config.sandboxWorkers).toBeUndefined();
    expect(resolveIn({ flags: { sandboxWorkers: "16" } }).config.sandboxWorkers).toBe(16);
    expect(resolveIn({ env: { DEEPRECALL_SANDBOX_WORKERS: "4" } }).config.sandboxWorkers).toBe(4);
    writeFileSync(path.join(dir, "deeprecall.toml"), "sandbox_workers = 2\n");
    expect(resolveIn().config.sandboxWorkers).toBe(2);
    expect(errorOf(() => resolveIn({ flags: { sandboxWorkers: "0" } })).message).toMatch(
      /^--sandbox-workers: expected an integer 1-256, got "0"/,
    );
  });

  it("resolves relative paths in the toml file against the file's directory", () => {
    const sub = path.join(dir, "conf");
    rmSync(sub, { recursive: true, force: true });
    writeFileSync(path.join(dir, "my.toml"), 'persist_dir = "data"\n');
    const { config, configFile } = resolveIn({ configFile: "my.toml" });
    expect(configFile).toBe(path.join(dir, "my.toml"));
    expect(config.persistDir).toBe(path.join(dir, "data"));
  });
});

describe("resolveConfig errors name the key and the source", () => {
  it("bad flag", () => {
    const error = errorOf(() => resolveIn({ flags: { port: "abc" } }));
    expect(error.message).toBe(
      '--port: expected an integer 1-65535 (0 = any free port), got "abc" (from flag)',
    );
    expect(error.field).toBe("port");
  });

  it("bad environment variable", () => {
    const error = errorOf(() => resolveIn({ env: { DEEPRECALL_VECTORSTORE: "milvus" } }));
    expect(error.message).toBe(
      'DEEPRECALL_VECTORSTORE: expected one of local, chroma, pinecone, got "milvus" (from environment)',
    );
  });

  it("bad toml value", () => {
    writeFileSync(path.join(dir, "deeprecall.toml"), "max_iterations = 0\n");
    const error = errorOf(() => resolveIn());
    expect(error.message).toBe("max_iterations: expected an integer 1-100, got 0 (from deeprecall.toml)");
  });

  it("unknown toml key, and a secret put in the file", () => {
    writeFileSync(path.join(dir, "deeprecall.toml"), "prot = 1\n");
    expect(errorOf(() => resolveIn()).message).toMatch(
      /^prot: unknown key in deeprecall.toml \(known keys: /,
    );
    writeFileSync(path.join(dir, "deeprecall.toml"), 'openai_api_key = "sk-x"\n');
    expect(errorOf(() => resolveIn()).message).toContain(
      "secrets are read from the environment: OPENAI_API_KEY",
    );
  });

  it("invalid TOML syntax names the line", () => {
    writeFileSync(path.join(dir, "deeprecall.toml"), 'port = 1\ncollection = "unterminated\n');
    expect(errorOf(() => resolveIn()).message).toMatch(/^deeprecall.toml: invalid TOML at line 2/);
  });

  it("missing explicit config file", () => {
    expect(errorOf(() => resolveIn({ configFile: "nope.toml" })).message).toBe(
      `config file not found: ${path.join(dir, "nope.toml")}`,
    );
  });

  it("never echoes a secret value", () => {
    const error = errorOf(() => resolveIn({ flags: { apiKeys: " , " } }));
    expect(error.message).toBe(
      "--api-keys: expected a comma-separated list of keys, got (hidden) (from flag)",
    );
  });

  it("cross-field checks", () => {
    expect(errorOf(() => resolveIn({ flags: { chunkSize: "100", chunkOverlap: "100" } })).message).toBe(
      "--chunk-overlap: expected less than the chunk size 100, got 100 (from flag)",
    );
    expect(errorOf(() => resolveIn({ flags: { backend: "openai-compatible" } })).message).toMatch(
      /^--backend: openai-compatible needs --base-url/,
    );
    expect(errorOf(() => resolveIn({ flags: { baseUrl: "http://x/v1" } })).message).toMatch(
      /^--model: required with the openai-compatible backend/,
    );
    expect(errorOf(() => resolveIn({ flags: { vectorstore: "pinecone" } })).message).toMatch(
      /^--pinecone-index: required/,
    );
    expect(errorOf(() => resolveIn({ flags: { baseUrl: "ftp://x" } })).message).toBe(
      '--base-url: expected an http(s) URL, got "ftp://x" (from flag)',
    );
  });
});

describe("secrets and template", () => {
  it("masks secrets", () => {
    expect(maskSecret("sk-proj-abcdefghijklmnop1234")).toBe("sk-…1234");
    expect(maskSecret("short")).toBe("****");
    expect(maskSecret(undefined)).toBe("(not set)");
    expect(maskList(["sk-aaaaaaaaaaaaaaaa1111", "k2"])).toBe("sk-…1111, ****");
  });

  it("the init template is valid TOML that resolves to the defaults, and every line uncommented is too", () => {
    const template = configTemplate();
    expect(parseToml(template)).toEqual({});
    writeFileSync(path.join(dir, "deeprecall.toml"), template);
    expect(resolveIn().config.port).toBe(8000);
    const uncommented = template
      .split("\n")
      .filter((l) => /^# [a-z_]+ = \S/.test(l))
      .map((l) => l.slice(2))
      .join("\n");
    writeFileSync(path.join(dir, "deeprecall.toml"), uncommented);
    const { config, sources } = resolveIn();
    expect(sources.port?.kind).toBe("config file");
    expect(config.chunkSize).toBe(1000);
  });
});
