/**
 * Guest-side setup evaluated once in every fresh QuickJS context. It receives three native
 * functions on temporary globals (removed at once), defines what model code may use, and returns
 * an object of internal helpers that only the worker holds a handle to.
 *
 * Natives:
 *   __dr_host(fn, argsJson) -> replyJson   blocking call to the host (main thread)
 *   __dr_out(json, length)                   append one printed line (cut, as a JSON string; `length` is its full size)
 *   __dr_final(json)                         record the FINAL answer (as a JSON string)
 */
export const PRELUDE_SOURCE = String.raw`(function (contextJson, limitsJson) {
  "use strict";
  const g = globalThis;
  const hostCall = g.__dr_host;
  const emit = g.__dr_out;
  const setFinal = g.__dr_final;
  delete g.__dr_host;
  delete g.__dr_out;
  delete g.__dr_final;

  // Captured so that model code overwriting JSON/Object/Array does not break the plumbing.
  const stringify = JSON.stringify;
  const parseJson = JSON.parse;
  const ObjectRef = Object;
  const isArray = Array.isArray;
  const defineProperty = Object.defineProperty;
  const getOwnPropertyNames = Object.getOwnPropertyNames;
  const hasOwn = (o, k) => ObjectRef.prototype.hasOwnProperty.call(o, k);
  const PromiseRef = Promise;
  const SetRef = Set;
  const ErrorRef = Error;
  const TypeErrorRef = TypeError;
  const RangeErrorRef = RangeError;
  // String methods the plumbing uses, called through captured references: model code may replace
  // String.prototype.slice and friends (to make print pass a 25 MB string across, for one).
  const applyRef = Reflect.apply;
  const stringSlice = String.prototype.slice;
  const sliceText = (text, end) => applyRef(stringSlice, text, [0, end]);

  const limits = parseJson(limitsJson);
  const FINAL_SIGNAL = ObjectRef.freeze({ toString() { return "FINAL() was called"; } });

  function safeJson(value) {
    try {
      return stringify(value, jsonReplacer());
    } catch (e) {
      return undefined;
    }
  }
  function jsonReplacer() {
    const seen = [];
    return function (key, value) {
      if (typeof value === "bigint") return value.toString() + "n";
      if (typeof value === "function") return "[Function" + (value.name ? ": " + value.name : "") + "]";
      if (typeof value === "symbol") return value.toString();
      if (value instanceof ErrorRef) return value.name + ": " + value.message;
      if (value !== null && typeof value === "object") {
        if (value instanceof Map) return { "[Map]": [...value.entries()] };
        if (value instanceof Set) return { "[Set]": [...value.values()] };
        // Ancestors stack: a value that contains itself is circular.
        while (seen.length > 0 && seen[seen.length - 1] !== this) seen.pop();
        if (seen.includes(value)) return "[Circular]";
        seen.push(value);
      }
      return value;
    };
  }
  function format(value) {
    if (typeof value === "string") return value;
    if (value === undefined) return "undefined";
    if (typeof value === "function") return "[Function" + (value.name ? ": " + value.name : "") + "]";
    if (typeof value === "symbol" || typeof value === "bigint") return String(value);
    if (value instanceof ErrorRef) return value.name + ": " + value.message;
    const json = safeJson(value);
    return json === undefined ? String(value) : json;
  }
  function render(value) {
    if (typeof value === "string") return value;
    if (value === undefined) return "undefined";
    return format(value);
  }

  function checkLength(fn, what, text, max) {
    if (text.length > max) {
      throw new RangeErrorRef(fn + ": the " + what + " is " + text.length + " characters, more than the limit of " + max + "; shorten it");
    }
  }

  // What a host call refused by the query's budget throws, so code can test
  // "e instanceof BudgetExceededError" as well as e.name.
  class BudgetExceededError extends ErrorRef {}
  defineProperty(BudgetExceededError.prototype, "name", { value: "BudgetExceededError", writable: true, configurable: true });

  // The JSON of a host call's arguments, written out here from strings, numbers, null and
  // arrays of strings only, without JSON.stringify on a container: that would consult a toJSON
  // model code can put on Array.prototype and send the host any amount of JSON to parse on its
  // thread. (A primitive's JSON never consults toJSON.)
  function argJson(value) {
    if (value === null || value === undefined) return "null";
    const type = typeof value;
    if (type === "string" || type === "number" || type === "boolean") return stringify(value);
    if (isArray(value)) {
      let json = "[";
      for (let i = 0; i < value.length; i++) {
        const item = value[i];
        if (typeof item !== "string") throw new TypeErrorRef("host call: a list argument must hold strings");
        json += (i > 0 ? "," : "") + stringify(item);
      }
      return json + "]";
    }
    throw new TypeErrorRef("host call: unsupported argument of type " + type);
  }
  function call(fn, args) {
    let json = "[";
    for (let i = 0; i < args.length; i++) json += (i > 0 ? "," : "") + argJson(args[i]);
    const reply = parseJson(hostCall(fn, json + "]"));
    if (!reply.ok) {
      const error = reply.name === "BudgetExceededError" ? new BudgetExceededError(reply.message) : new ErrorRef(reply.message);
      error.name = reply.name;
      throw error;
    }
    return reply.value;
  }
  // Host results are plain arrays that also work as promises, so "searchDb(q)",
  // "await searchDb(q)", "searchDb(q).then(...)" and "searchDb(q).catch(...)" all behave (a
  // failed call has already thrown, so catch and finally only pass the array on).
  function thenable(array) {
    const methods = {
      then: function (onFulfilled, onRejected) {
        return PromiseRef.resolve(array.slice()).then(onFulfilled, onRejected);
      },
      catch: function (onRejected) {
        return PromiseRef.resolve(array.slice()).catch(onRejected);
      },
      finally: function (onFinally) {
        return PromiseRef.resolve(array.slice()).finally(onFinally);
      },
    };
    for (const name of ["then", "catch", "finally"]) {
      defineProperty(array, name, { value: methods[name], enumerable: false, writable: true, configurable: true });
    }
    return array;
  }

  function searchDb(query, topK, filters) {
    if (query !== null && typeof query === "object" && !isArray(query)) {
      // searchDb({ query, topK, filters }) is a common model habit.
      return searchDb(query.query, query.topK ?? query.top_k ?? topK, query.filters ?? filters);
    }
    if (typeof query !== "string") {
      throw new TypeErrorRef("searchDb(query, topK = 5, filters?): query must be a string, got " + typeof query);
    }
    if (topK !== undefined && topK !== null && (typeof topK !== "number" || !(topK >= 1))) {
      throw new TypeErrorRef("searchDb(query, topK = 5, filters?): topK must be a positive number");
    }
    if (filters !== undefined && filters !== null && (typeof filters !== "object" || isArray(filters))) {
      throw new TypeErrorRef("searchDb(query, topK = 5, filters?): filters must be an object");
    }
    checkLength("searchDb", "query", query, limits.maxQueryChars);
    // The filter crosses as the JSON text checked here: serialised once, so a toJSON cannot
    // pass the check small and then send something else.
    let filterJson = null;
    if (filters !== undefined && filters !== null) {
      try {
        filterJson = stringify(filters);
      } catch (e) {
        throw new TypeErrorRef("searchDb: the filter cannot be written as JSON (" + String(e && e.message) + ")");
      }
      if (typeof filterJson !== "string") throw new TypeErrorRef("searchDb: the filter cannot be written as JSON");
      checkLength("searchDb", "filter (as JSON)", filterJson, limits.maxFilterChars);
    }
    const hits = call("searchDb", [query, typeof topK === "number" ? topK : null, filterJson]);
    return thenable(hits);
  }
  function llmQuery(prompt) {
    if (prompt === undefined) throw new TypeErrorRef("llmQuery(prompt): prompt is required");
    const text = typeof prompt === "string" ? prompt : format(prompt);
    checkLength("llmQuery", "prompt", text, limits.maxPromptChars);
    return call("llmQuery", [text]);
  }
  function llmQueryBatched(prompts) {
    if (!isArray(prompts)) throw new TypeErrorRef("llmQueryBatched(prompts): prompts must be an array of strings");
    if (prompts.length > limits.maxBatchSize) {
      throw new RangeErrorRef("llmQueryBatched: " + prompts.length + " prompts is more than the limit of " + limits.maxBatchSize + " per call; send fewer (or fewer at a time)");
    }
    const list = [];
    const count = prompts.length;
    let total = 0;
    for (let i = 0; i < count; i++) {
      const p = prompts[i];
      const text = typeof p === "string" ? p : format(p);
      checkLength("llmQueryBatched", "prompt", text, limits.maxPromptChars);
      total += text.length;
      if (total > limits.maxBatchChars) {
        throw new RangeErrorRef("llmQueryBatched: the prompts come to more than " + limits.maxBatchChars + " characters together (the limit per call); send fewer or shorter prompts at a time");
      }
      list[i] = text;
    }
    return thenable(call("llmQueryBatched", [list]));
  }
  // Only what can be kept crosses to the host: a 30 MB string printed 200 times costs the
  // host 200 short copies, not 6 GB. The full length still reaches it for the truncation notice.
  function print(...args) {
    let text = "";
    for (let i = 0; i < args.length; i++) text += (i > 0 ? " " : "") + format(args[i]);
    // As JSON text: the host reads strings up to their first NUL character otherwise.
    emit(stringify(text.length > limits.maxOutputChars ? sliceText(text, limits.maxOutputChars + 1) : text), text.length);
  }
  function FINAL(value) {
    const text = render(value);
    if (text.length > limits.maxFinalChars) {
      throw new RangeErrorRef("FINAL: the answer is " + text.length + " characters, more than the limit of " + limits.maxFinalChars + "; give a shorter answer");
    }
    setFinal(stringify(text));
    throw FINAL_SIGNAL;
  }
  function FINAL_VAR(name) {
    if (typeof name !== "string") throw new TypeErrorRef("FINAL_VAR(name): name must be a string");
    if (!hasOwn(g, name)) throw new ErrorRef("FINAL_VAR: no variable named " + name);
    return FINAL(g[name]);
  }
  function describe(value) {
    if (value === null) return "null";
    if (isArray(value)) return "Array(" + value.length + ")";
    if (typeof value === "string") return "string (" + value.length + " chars)";
    if (typeof value === "function") return "function";
    if (typeof value === "object") {
      const ctor = ObjectRef.getPrototypeOf(value)?.constructor;
      const keys = ObjectRef.keys(value).length;
      return (ctor && ctor.name && ctor.name !== "Object" ? ctor.name : "object") + " (" + keys + " keys)";
    }
    return typeof value;
  }

  const console = { log: print, info: print, warn: print, error: print, debug: print };
  const api = {
    searchDb, search_db: searchDb,
    llmQuery, llm_query: llmQuery,
    llmQueryBatched, llm_query_batched: llmQueryBatched,
    print, console, FINAL, FINAL_VAR, SHOW_VARS, BudgetExceededError,
    context: contextJson === undefined ? null : parseJson(contextJson),
  };
  for (const name of ObjectRef.keys(api)) {
    defineProperty(g, name, { value: api[name], writable: true, configurable: true, enumerable: false });
  }

  const builtins = new SetRef(getOwnPropertyNames(g));
  function userVars() {
    return getOwnPropertyNames(g).filter((name) => !builtins.has(name));
  }
  function SHOW_VARS() {
    const names = userVars();
    if (names.length === 0) {
      print("(no variables defined yet)");
      return;
    }
    print(names.map((name) => name + ": " + describe(g[name])).join("\n"));
  }

  return {
    finalSignal: FINAL_SIGNAL,
    listVars() {
      return stringify(userVars());
    },
    getVar(name) {
      if (!hasOwn(g, name)) return undefined;
      const value = g[name];
      if (value === undefined) return undefined;
      return stringify(render(value));
    },
    setVar(name, json) {
      g[name] = parseJson(json);
    },
    describeError(error) {
      if (error instanceof ErrorRef) {
        return stringify({ name: String(error.name), message: String(error.message), stack: String(error.stack ?? "") });
      }
      return stringify({ name: "Uncaught", message: format(error), stack: "", bare: error === null || error === undefined });
    },
  };
})`;
