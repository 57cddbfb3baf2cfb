import { createRequire } from "node:module";
import type { CollectionInfo } from "@deeprecall/core";
import { plural } from "@deeprecall/core";
import {
  describeValueSource,
  FIELD_NAMES,
  FIELDS,
  type FieldSpec,
  maskList,
  maskSecret,
} from "../config/index.ts";
import { createLanguageModels } from "../models.ts";
import { CliError, oneLine } from "../output.ts";
import { openServedStore } from "../served-store.ts";
import { type AdvertisedModel, findServers } from "../server-advert.ts";
import { fetchServerHealth } from "../server-health.ts";
import { openVectorStore } from "../stores.ts";
import { type CommandContext, loadConfig } from "./common.ts";

const require = createRequire(import.meta.url);

function versionOf(pkg: string): string {
  try {
    return (require(`${pkg}/package.json`) as { version: string }).version;
  } catch {
    return "unknown";
  }
}

export async function runStatus(ctx: CommandContext, opts: Record<string, unknown>): Promise<void> {
  const { config, sources, configFile, envFile } = loadConfig(ctx, opts);
  const versions = {
    cli: versionOf("@deeprecall/cli"),
    core: versionOf("@deeprecall/core"),
    server: versionOf("@deeprecall/server"),
    node: process.versions.node,
  };
  const values: Record<string, { value: string; source: string }> = {};
  for (const name of FIELD_NAMES) {
    const spec: FieldSpec = FIELDS[name];
    const raw = config[name];
    if (raw === undefined && !spec.secret) continue;
    const shown = spec.secret
      ? Array.isArray(raw)
        ? maskList(raw)
        : maskSecret(raw as string | undefined)
      : Array.isArray(raw)
        ? raw.join(",")
        : String(raw);
    values[spec.flag ?? spec.env[0] ?? name] = {
      value: shown,
      source: raw === undefined ? "" : describeValueSource(sources[name]),
    };
  }
  const llm = createLanguageModels(config);
  let store: {
    description: string;
    reachable: boolean;
    documents?: number;
    collection?: string;
    collections?: CollectionInfo[];
    /** The --collection flag names a collection the store does not have. */
    missingCollection?: string;
    error?: string;
  };
  // Through a running server, the model that answers is the server's, not this CLI's default.
  let server: { url: string; model?: string; advertised?: AdvertisedModel } | undefined;
  try {
    const log = (line: string) => ctx.io.err(line);
    const handle =
      (await openServedStore(config, config.collection, { log, verb: "asking" })) ??
      (await openVectorStore(config, { log }));
    try {
      if (handle.serverUrl) {
        const health = await fetchServerHealth(handle.serverUrl, {
          ...(config.apiKeys?.[0] ? { apiKey: config.apiKeys[0] } : {}),
        });
        // Its /health names the model even when the server has no key: its advert says which.
        const advertised = findServers(config.persistDir).find((a) => a.url === handle.serverUrl)?.model;
        server = {
          url: handle.serverUrl,
          ...(health ? { model: health.engineModel } : {}),
          ...(advertised ? { advertised } : {}),
        };
      }
      // Listed before counting: counting opens the collection, and opening a local one creates it.
      const collections = await handle.collections.collections.listCollections();
      const exists = collections.some((c) => c.name === handle.collection);
      // The configured collection is listed even before its first document; one typed on the
      // command line that does not exist is most likely a typo: say so instead of listing (and
      // creating) it.
      const named = sources.collection?.kind === "flag";
      const documents = exists || !named ? await handle.store.count() : 0;
      if (!exists && !named) {
        collections.push({ name: handle.collection, count: documents });
        collections.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
      }
      store = {
        description: handle.info.description,
        reachable: true,
        documents,
        collection: handle.collection,
        collections,
        ...(!exists && named ? { missingCollection: handle.collection } : {}),
      };
    } catch (error) {
      store = { description: handle.info.description, reachable: false, error: oneLine(error) };
    } finally {
      await handle.close().catch(() => {});
    }
  } catch (error) {
    store = { description: config.vectorstore, reachable: false, error: oneLine(error) };
  }
  const model = server
    ? {
        description: server.model ?? "unknown",
        server: server.url,
        ...(server.advertised
          ? {
              configured: server.advertised.configured,
              ...(server.advertised.missingKeyVariable
                ? { missing: server.advertised.missingKeyVariable }
                : {}),
            }
          : {}),
      }
    : {
        description: llm.description,
        configured: llm.configured,
        ...(llm.missingKeyVariable ? { missing: llm.missingKeyVariable } : {}),
      };

  if (opts.json) {
    ctx.io.out(
      JSON.stringify(
        { versions, configFile: configFile ?? null, envFile: envFile ?? null, config: values, store, model },
        null,
        2,
      ),
    );
  } else {
    const out = ctx.io.out;
    out(
      `deeprecall ${versions.cli} (core ${versions.core}, server ${versions.server}, node ${versions.node})`,
    );
    out(`config file: ${configFile ?? "(none)"}${envFile ? `   .env: ${envFile}` : ""}`);
    out("");
    out("Configuration in effect:");
    const width = Math.max(...Object.keys(values).map((k) => k.length));
    for (const [key, { value, source }] of Object.entries(values)) {
      out(`  ${key.padEnd(width)}  ${value}${source ? `  (${source})` : ""}`);
    }
    out("");
    out(
      store.reachable
        ? store.missingCollection
          ? `Store: ${store.description}: reachable`
          : `Store: ${store.description}: reachable, ${plural(store.documents ?? 0, "document")}`
        : `Store: ${store.description}: NOT reachable: ${store.error}`,
    );
    if (store.collections) {
      out(`Collections (${store.collections.length}):`);
      const width = Math.max(...store.collections.map((c) => c.name.length));
      for (const { name, count } of store.collections) {
        out(
          `  ${name.padEnd(width)}  ${plural(count, "document")}${name === store.collection ? "  (--collection)" : ""}`,
        );
      }
    }
    out(
      server
        ? server.advertised?.configured === false
          ? `Model: not configured on the server at ${server.url}: ${server.advertised.missingKeyVariable ?? "its API key"} is not set where it runs (documents and search work; chat returns 503). Set it and restart the server.`
          : `Model: ${server.model ?? "unknown (its /health did not answer)"}, the server's at ${server.url}`
        : llm.configured
          ? `Model: ${llm.description}`
          : `Model: not configured: ${llm.missingKeyVariable} is not set (${llm.description} would be used; serve starts, documents and search work, chat returns 503)`,
    );
  }
  if (!store.reachable) throw new CliError(`store not reachable: ${store.error}`);
  if (store.missingCollection) {
    const names = (store.collections ?? []).map((c) => c.name);
    throw new CliError(
      `no collection "${store.missingCollection}" in this store (${names.length > 0 ? `it has: ${names.join(", ")}` : "it has none yet"}); \`deeprecall ingest --collection ${store.missingCollection}\` would create it`,
    );
  }
}
