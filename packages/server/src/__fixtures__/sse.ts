/** Reads an SSE response incrementally, event by event (raw blocks, comments included). */
export class SseReader {
  readonly #reader: ReadableStreamDefaultReader<Uint8Array>;
  readonly #decoder = new TextDecoder();
  #buffer = "";
  /** Every raw block read so far, e.g. 'data: {...}' or ': keep-alive'. */
  readonly blocks: string[] = [];
  /** The raw text read so far. */
  raw = "";

  constructor(body: ReadableStream<Uint8Array>) {
    this.#reader = body.getReader();
  }

  /** The next block (without its trailing blank line), or undefined at the end. */
  async next(): Promise<string | undefined> {
    for (;;) {
      const end = this.#buffer.indexOf("\n\n");
      if (end !== -1) {
        const block = this.#buffer.slice(0, end);
        this.#buffer = this.#buffer.slice(end + 2);
        this.blocks.push(block);
        return block;
      }
      const { done, value } = await this.#reader.read();
      if (done) {
        if (this.#buffer.trim()) throw new Error(`stream ended mid-event: ${JSON.stringify(this.#buffer)}`);
        return undefined;
      }
      const text = this.#decoder.decode(value, { stream: true });
      this.raw += text;
      this.#buffer += text;
    }
  }

  /** Reads blocks until one satisfies `predicate`; returns it. */
  async until(predicate: (block: string) => boolean): Promise<string> {
    for (;;) {
      const block = await this.next();
      if (block === undefined) throw new Error("stream ended before the expected event");
      if (predicate(block)) return block;
    }
  }

  async rest(): Promise<string[]> {
    const out: string[] = [];
    for (let b = await this.next(); b !== undefined; b = await this.next()) out.push(b);
    return out;
  }

  cancel(): Promise<void> {
    return this.#reader.cancel();
  }
}

/** Parses the JSON of a `data:` block ('[DONE]' stays a string). */
export function dataOf(block: string): unknown {
  if (!block.startsWith("data: ")) throw new Error(`not a data block: ${block}`);
  const data = block.slice(6);
  return data === "[DONE]" ? data : JSON.parse(data);
}
