import { readdirSync, readFileSync, renameSync, unlinkSync, writeFileSync } from "node:fs";
import { hostname } from "node:os";
import path from "node:path";
import { getErrorMessage, isProcessAlive } from "@deeprecall/core";
import type { DeepRecallConfig } from "./config/index.ts";

/**
 * A `deeprecall serve` holds the local store's collections it serves (a lock per collection), so
 * `deeprecall ingest`, `delete` and `status` cannot open them while it runs. Instead the server
 * says where it listens, in `<persist dir>/serve-<pid>.json` (written after listen, removed on
 * shutdown), and those commands go through its HTTP API (`/v1/documents`, `/v1/models`): the
 * server's own writes keep its caches right. The ingest manifest, file hashing and per-file
 * replacement stay in the CLI; only the store is remote.
 */
export interface ServerAdvert {
  /** Where the server answers, e.g. http://127.0.0.1:8000 (0.0.0.0 and :: as loopback). */
  url: string;
  pid: number;
  hostname: string;
  /** The only collection served (`serve --collection`), or null when it serves every collection. */
  collection: string | null;
  startedAt: string;
  /**
   * Its language model, so that `deeprecall status` can tell a server that has no key from one
   * that can answer (its /health names the model either way). Absent in older adverts.
   */
  model?: AdvertisedModel;
}

export interface AdvertisedModel {
  /** e.g. "openai gpt-4o-mini". */
  description: string;
  /** False when its key is missing: chat answers 503. */
  configured: boolean;
  /** The variable to set, when not configured, e.g. "OPENAI_API_KEY". */
  missingKeyVariable?: string;
}

/** What an advert says of `llm` (see createLanguageModels). */
export function advertisedModel(llm: {
  description: string;
  configured: boolean;
  missingKeyVariable?: string | undefined;
}): AdvertisedModel {
  return {
    description: llm.description,
    configured: llm.configured,
    ...(llm.missingKeyVariable ? { missingKeyVariable: llm.missingKeyVariable } : {}),
  };
}

const ADVERT = /^serve-(\d+)\.json$/;

export function advertFile(persistDir: string, pid = process.pid): string {
  return path.join(persistDir, `serve-${pid}.json`);
}

/** Writes this process's advert; returns its remover (idempotent, also run on process exit). */
export function advertiseServer(
  persistDir: string,
  info: { url: string; collection: string | null; model?: AdvertisedModel },
): () => void {
  const file = advertFile(persistDir);
  const advert: ServerAdvert = {
    url: info.url,
    pid: process.pid,
    hostname: hostname(),
    collection: info.collection,
    startedAt: new Date().toISOString(),
    ...(info.model ? { model: info.model } : {}),
  };
  const temp = `${file}.tmp`;
  writeFileSync(temp, JSON.stringify(advert));
  renameSync(temp, file);
  let removed = false;
  const remove = () => {
    if (removed) return;
    removed = true;
    process.off("exit", remove);
    try {
      unlinkSync(file);
    } catch {
      // already gone
    }
  };
  process.on("exit", remove);
  return remove;
}

/** The live servers on this host advertising in `persistDir` that serve `collection` (any, when not given). */
export function findServers(persistDir: string, collection?: string): ServerAdvert[] {
  let names: string[];
  try {
    names = readdirSync(persistDir);
  } catch {
    return [];
  }
  const host = hostname();
  const found: ServerAdvert[] = [];
  for (const name of names) {
    if (!ADVERT.test(name)) continue;
    try {
      const advert = JSON.parse(readFileSync(path.join(persistDir, name), "utf8")) as ServerAdvert;
      if (typeof advert.url !== "string" || typeof advert.pid !== "number") continue;
      if (advert.hostname !== host || advert.pid === process.pid || !isProcessAlive(advert.pid)) continue;
      if (collection !== undefined && advert.collection !== null && advert.collection !== collection)
        continue;
      found.push(advert);
    } catch {
      // unreadable or torn: not an advert
    }
  }
  return found;
}

/**
 * Advertises a server that just started listening at `url` on the local store of `config` (a
 * no-op for other stores): returns the remover to run on shutdown, or undefined when nothing was
 * written. A failure to write is reported through `warn` (the server still runs; ingest and
 * delete then cannot reach it while it holds the store).
 */
export function advertiseLocalServer(
  config: DeepRecallConfig,
  info: { url: string; collection: string | null; model?: AdvertisedModel },
  warn: (message: string) => void,
): (() => void) | undefined {
  if (config.vectorstore !== "local") return undefined;
  try {
    return advertiseServer(config.persistDir, info);
  } catch (error) {
    warn(
      `could not write ${advertFile(config.persistDir)} (${getErrorMessage(error)}): ingest and delete cannot reach this server while it holds the store`,
    );
    return undefined;
  }
}
