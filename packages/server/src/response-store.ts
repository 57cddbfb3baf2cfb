/**
 * The Responses API's stored responses (`store: true`, OpenAI's default): what `GET
 * /v1/responses/{id}`, its `input_items`, `DELETE` and a follow-up's `previous_response_id` read,
 * and what an `item_reference` to an earlier output item resolves against. In process and
 * bounded (least recently used out first), so several replicas do not share it: a follow-up must
 * reach the replica that answered the response it names.
 */
/** One item of a response's input or output as OpenAI lists it: `{ id, type, ... }` (JSON). */
export type ResponseItem = { id: string; type: string } & Record<string, unknown>;

/** A response to keep ({@link ResponseStore.put}). */
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

/**
 * A kept response as {@link ResponseStore.get} hands it back. The store holds JSON text only, so
 * each call of `input()` or `output()` parses a new copy (the caller's to change; call once).
 */
export interface KeptResponse {
  readonly id: string;
  /** The response object's JSON text, as it was returned. */
  readonly response: string;
  /** {@link StoredResponse.input}, parsed anew. */
  input(): ResponseItem[];
  /** {@link StoredResponse.output}, parsed anew. */
  output(): ResponseItem[];
}

/** Bounds of a {@link ResponseStore}; the oldest-used responses go first when either is passed. */
export interface ResponseStoreOptions {
  /** Most responses kept. Default 1000. */
  maxResponses?: number;
  /**
   * Most bytes kept: the memory of each response's JSON text and of its input and output items'
   * (kept as JSON text too, never as the objects a client's JSON could make many times larger),
   * 1 byte a character, 2 for a text with characters beyond U+00FF (as V8 stores strings).
   * Default 64 MiB. A response bigger than this on its own is not kept.
   */
  maxBytes?: number;
}

export const DEFAULT_MAX_RESPONSES = 1000;
export const DEFAULT_MAX_RESPONSE_BYTES = 64 * 1024 * 1024;

interface Entry {
  scope: string;
  id: string;
  response: string;
  /** JSON text of the input items. */
  input: string;
  /** JSON text of the output items. */
  output: string;
  /** The output items' ids (the server's own, a few per response), indexed in #items. */
  itemIds: readonly string[];
  bytes: number;
}

/** The memory a string's characters take in V8: one byte each, two once any is beyond U+00FF. */
function stringBytes(text: string): number {
  return /[\u0100-\uffff]/.test(text) ? 2 * text.length : text.length;
}

function kept(entry: Entry): KeptResponse {
  return {
    id: entry.id,
    response: entry.response,
    input: () => JSON.parse(entry.input) as ResponseItem[],
    output: () => JSON.parse(entry.output) as ResponseItem[],
  };
}

/**
 * Responses by id, each visible only in the scope that stored it (the API key's non-secret id,
 * or "" when auth is off): another scope gets `undefined`, exactly as for an unknown id, so ids
 * cannot be probed across keys. Least recently used first out, by count and by bytes; a read
 * (`get`, `item`) counts as a use. Everything is kept as JSON text, so what it counts is what it
 * holds, and nothing a caller does to what it put or got changes what is kept.
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
   *
   * @throws whatever `JSON.stringify` throws for its items (e.g. nested too deeply), keeping
   *   nothing and changing nothing.
   */
  put(scope: string, record: StoredResponse): boolean {
    const input = JSON.stringify(record.input);
    const output = JSON.stringify(record.output);
    const bytes = stringBytes(record.response) + stringBytes(input) + stringBytes(output);
    this.#remove(record.id);
    if (bytes > this.maxBytes) return false;
    const id = record.id;
    const itemIds = record.output.map((item) => item.id);
    this.#entries.set(id, { scope, id, response: record.response, input, output, itemIds, bytes });
    this.#bytes += bytes;
    for (const itemId of itemIds) this.#items.set(itemId, id);
    while (this.#entries.size > this.maxResponses || this.#bytes > this.maxBytes) {
      this.#remove(this.#entries.keys().next().value!);
    }
    return true;
  }

  /** The response `id` if `scope` stored it (and it is still kept), now the most recently used. */
  get(scope: string, id: string): KeptResponse | undefined {
    const entry = this.#entries.get(id);
    if (!entry || entry.scope !== scope) return undefined;
    this.#entries.delete(id);
    this.#entries.set(id, entry);
    return kept(entry);
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
    return this.get(scope, responseId)
      ?.output()
      .find((item) => item.id === itemId);
  }

  #remove(id: string): void {
    const entry = this.#entries.get(id);
    if (!entry) return;
    this.#entries.delete(id);
    this.#bytes -= entry.bytes;
    for (const itemId of entry.itemIds) {
      if (this.#items.get(itemId) === id) this.#items.delete(itemId);
    }
  }
}
