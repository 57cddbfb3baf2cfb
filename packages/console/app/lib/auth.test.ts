import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  clearKey,
  getKey,
  isKeyNeeded,
  type KeyRequest,
  KeyRequestCancelled,
  noteUnauthorized,
  onKeyRequest,
  requestKey,
  setKey,
} from "./auth.ts";

/** A Storage in memory (the tests run in Node, without a browser's sessionStorage/localStorage). */
class MemoryStorage {
  #items = new Map<string, string>();
  getItem(key: string) {
    return this.#items.get(key) ?? null;
  }
  setItem(key: string, value: string) {
    this.#items.set(key, value);
  }
  removeItem(key: string) {
    this.#items.delete(key);
  }
}

beforeEach(() => {
  Object.assign(globalThis, { sessionStorage: new MemoryStorage(), localStorage: new MemoryStorage() });
});
afterEach(() => {
  clearKey();
});

describe("the API key", () => {
  it("is kept for the tab, and on the device only when remembered; sign out forgets both", () => {
    setKey("sk-1", false);
    expect(getKey()).toBe("sk-1");
    expect(localStorage.getItem("deeprecall.apiKey")).toBeNull();
    setKey("sk-2", true);
    expect(localStorage.getItem("deeprecall.apiKey")).toBe("sk-2");
    clearKey();
    expect(getKey()).toBeNull();
    expect(localStorage.getItem("deeprecall.apiKey")).toBeNull();
  });
});

describe("requestKey", () => {
  it("shares one prompt between concurrent 401s and stores the key entered", async () => {
    const asked: KeyRequest[] = [];
    const off = onKeyRequest((r) => asked.push(r));
    try {
      const a = requestKey("Missing API key");
      const b = requestKey("Missing API key");
      expect(asked).toHaveLength(1);
      asked[0]!.submit("sk-right", false);
      expect(await a).toBe("sk-right");
      expect(await b).toBe("sk-right");
      expect(getKey()).toBe("sk-right");
      // The next 401 asks again.
      const c = requestKey("Invalid API key");
      expect(asked.map((r) => r.message)).toEqual(["Missing API key", "Invalid API key"]);
      asked[1]!.cancel();
      await expect(c).rejects.toBeInstanceOf(KeyRequestCancelled);
    } finally {
      off();
    }
  });

  it("waits for the prompt when the 401 comes before it is registered", async () => {
    const early = requestKey("Missing API key");
    const asked: KeyRequest[] = [];
    const off = onKeyRequest((r) => asked.push(r));
    try {
      expect(asked.map((r) => r.message)).toEqual(["Missing API key"]);
      asked[0]!.submit("sk-late", true);
      expect(await early).toBe("sk-late");
    } finally {
      off();
    }
  });
});

describe("noteUnauthorized", () => {
  it("forgets a key the server refused, keeps one stored since, and marks the server as needing a key", () => {
    expect(isKeyNeeded()).toBe(false);
    setKey("sk-wrong", true);
    noteUnauthorized("sk-wrong");
    expect(getKey()).toBeNull();
    expect(localStorage.getItem("deeprecall.apiKey")).toBeNull();
    expect(isKeyNeeded()).toBe(true);
    // A 401 to a call sent with an older key does not forget the one entered meanwhile.
    setKey("sk-new", false);
    noteUnauthorized("sk-old");
    expect(getKey()).toBe("sk-new");
  });
});
