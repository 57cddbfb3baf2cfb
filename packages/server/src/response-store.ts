/**
 * The Responses API's stored responses (`store: true`, OpenAI's default): what `GET
 * /v1/responses/{id}`, its `input_items`, `DELETE` and a follow-up's `previous_response_id` read,
 * and what an `item_reference` to an earlier output item resolves against. In process and
 * bounded (least recently used out first), so several replicas do not share it: a follow-up must
 * reach the replica that answered the response it names.
 */
import { Buffer } from "node:buffer";

/** One item of a response's input or output as OpenAI lists it: `{ id, type, ... }` (JSON). */
export type ResponseItem = { id: string; type: string } & Record<string, unknown>;

/** One kept response. Never mutated once stored (a follow-up may share its items). */
export interface StoredResponse {
  /** The response's id, "resp_…". */
  readonly id: string;
  /** The response object exactly as it was returned (its JSON text), for `GET /v1/responses/{id}`. */
  readonly response: string;
  /**
   * Everything the response was generated from, oldest first, as `input_items` lists it: the
   * conversation of the response it followed (`previous_response_id`, recursively), then this
   * request's own input items.
   */
  readonly input: readonly ResponseItem[];
  /**
   * The output items a follow-up carries on as conversation, in order: the assistant's message
   * and function call items (not reasoning summaries, which no later turn reads).
   */
  readonly output: readonly ResponseItem[];
}

/** Bounds of a {@link ResponseStore}; the oldest-used responses go first when either is passed. */
export interface ResponseStoreOptions {
  /** Most responses kept. Default 1000. */
  maxResponses?: number;
  /**
   * Most bytes kept, counted as the UTF-8 size of each response's JSON plus its input and output
   * items' JSON (the heap holds somewhat more). Default 64 MiB. A response bigger than this on
   * its own is not kept.
   */
  maxBytes?: number;
}

export const DEFAULT_MAX_RESPONSES = 1000;
export const DEFAULT_MAX_RESPONSE_BYTES = 64 * 1024 * 1024;

interface Entry {
  scope: string;
  record: StoredResponse;
  bytes: number;
}

/**
 * Responses by id, each visible only in the scope that stored it (the API key's non-secret id,
 * or "" when auth is off): another scope gets `undefined`, exactly as for an unknown id, so ids
 * cannot be probed across keys. Least recently used first out, by count and by bytes; a read
 * (`get`, `item`) counts as a use.
 */
export class ResponseStore {
  readonly maxResponses: number;
  readonly maxBytes: number;
  /** In use order: the first is the least recently used. */
  readonly #entries = new Map<string, Entry>();
  /** Output item id → the id of the response that produced it (for `item_reference`). */
  readonly #items = new Map<string, string>();
  #bytes = 0;

  constructor(options: ResponseStoreOptions = {}) {
    this.maxResponses = options.maxResponses ?? DEFAULT_MAX_RESPONSES;
    this.maxBytes = options.maxBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
  }

  /** How many responses are kept. */
  get size(): number {
    return this.#entries.size;
  }

  /** The bytes they count for (see {@link ResponseStoreOptions.maxBytes}). */
  get bytes(): number {
    return this.#bytes;
  }

  /**
   * Keeps `record` in `scope` (replacing one with the same id), evicting the least recently used
   * until both bounds hold. False when the record alone is bigger than `maxBytes` (not kept).
   */
  put(scope: string, record: StoredResponse): boolean {
    const bytes =
      Buffer.byteLength(record.response) +
      Buffer.byteLength(JSON.stringify(record.input)) +
      Buffer.byteLength(JSON.stringify(record.output));
    this.#remove(record.id);
    if (bytes > this.maxBytes) return false;
    this.#entries.set(record.id, { scope, record, bytes });
    this.#bytes += bytes;
    for (const item of record.output) this.#items.set(item.id, record.id);
    while (this.#entries.size > this.maxResponses || this.#bytes > this.maxBytes) {
      this.#remove(this.#entries.keys().next().value!);
    }
    return true;
  }

  /** The response `id` if `scope` stored it (and it is still kept), now the most recently used. */
  get(scope: string, id: string): StoredResponse | undefined {
    const entry = this.#entries.get(id);
    if (!entry || entry.scope !== scope) return undefined;
    this.#entries.delete(id);
    this.#entries.set(id, entry);
    return entry.record;
  }

  /** Forgets the response `id` of `scope`; false when that scope has no such response. */
  delete(scope: string, id: string): boolean {
    const entry = this.#entries.get(id);
    if (!entry || entry.scope !== scope) return false;
    this.#remove(id);
    return true;
  }

  /** The output item `itemId` of a response `scope` stored (for `item_reference`), if still kept. */
  item(scope: string, itemId: string): ResponseItem | undefined {
    const responseId = this.#items.get(itemId);
    if (responseId === undefined) return undefined;
    return this.get(scope, responseId)?.output.find((item) => item.id === itemId);
  }

  #remove(id: string): void {
    const entry = this.#entries.get(id);
    if (!entry) return;
    this.#entries.delete(id);
    this.#bytes -= entry.bytes;
    for (const item of entry.record.output) {
      if (this.#items.get(item.id) === id) this.#items.delete(item.id);
    }
  }
}
