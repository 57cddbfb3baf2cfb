/**
 * A Responses API request's input and a response's output as the items a stored response keeps:
 * the shapes OpenAI's `GET /v1/responses/{id}/input_items` lists (each with an `id`), which a
 * follow-up (`previous_response_id`) replays as if the client had sent them in `input`.
 */
import { isPlainObject } from "@deeprecall/core";
import { randomId } from "./convert.ts";
import type { ResponseItem } from "./response-store.ts";

/** The content part types the Responses API's input messages may carry as text. */
export const TEXT_PARTS: ReadonlySet<string> = new Set(["input_text", "output_text", "text"]);

type Raw = Record<string, unknown>;

/**
 * A field's kind in {@link fields}: a string, a whole number, an optional string, or an optional
 * string or null.
 */
type Kind = "string" | "integer" | "string?" | "nullable?";

/**
 * The `table` entry for `value`'s `type` (an object with a `type` the table names, own keys
 * only), else undefined.
 */
function shapeOf(table: Record<string, Record<string, Kind>>, value: unknown) {
  return isPlainObject(value) && typeof value.type === "string" && Object.hasOwn(table, value.type)
    ? table[value.type]
    : undefined;
}

/**
 * `value`'s `type` and its fields named in `shape`, each of its kind (else undefined; an
 * optional one may be absent): a flat object whatever the client nested in it, so what is kept
 * stays small, valid and serializable.
 */
function fields(value: Raw, shape: Record<string, Kind>): Raw | undefined {
  const out: Raw = { type: value.type };
  for (const [name, kind] of Object.entries(shape)) {
    const v = value[name];
    const ok =
      kind === "integer"
        ? Number.isInteger(v)
        : typeof v === "string" ||
          (kind !== "string" && v === undefined) ||
          (kind === "nullable?" && v === null);
    if (!ok) return undefined;
    if (v !== undefined) out[name] = v;
  }
  return out;
}

/** OpenAI's annotation types of output text and their fields (all required). */
const ANNOTATIONS: Record<string, Record<string, Kind>> = {
  url_citation: { url: "string", start_index: "integer", end_index: "integer", title: "string" },
  file_citation: { file_id: "string", index: "integer", filename: "string" },
  container_file_citation: {
    container_id: "string",
    file_id: "string",
    start_index: "integer",
    end_index: "integer",
    filename: "string",
  },
  file_path: { file_id: "string", index: "integer" },
};

/** An assistant message part's annotations as kept: OpenAI's kinds, their fields only; others left out. */
function annotationsOf(annotations: unknown): Raw[] {
  if (!Array.isArray(annotations)) return [];
  return annotations.flatMap((a) => {
    const shape = shapeOf(ANNOTATIONS, a);
    const kept = shape && fields(a as Raw, shape);
    return kept ? [kept] : [];
  });
}

/** The content parts a function call's output may be (OpenAI's `FunctionAndCustomToolCallOutput`). */
const OUTPUT_PARTS: Record<string, Record<string, Kind>> = {
  input_text: { text: "string" },
  input_image: { image_url: "nullable?", file_id: "nullable?" },
  input_file: { file_id: "nullable?", filename: "string?", file_data: "string?", file_url: "string?" },
};

/**
 * A function call output's `output` as kept: a string as is; a list of OpenAI's content parts
 * with their fields (an image's `detail` "auto" unless it said low, high or original); anything
 * else as its JSON text, which is what the engine read. Never a client's nested JSON as such.
 */
function functionOutput(output: unknown): string | Raw[] {
  if (typeof output === "string") return output;
  if (Array.isArray(output)) {
    const parts = output.map((p) => {
      const shape = shapeOf(OUTPUT_PARTS, p);
      const part = shape && fields(p as Raw, shape);
      if (part?.type === "input_image") {
        const detail = (p as Raw).detail;
        part.detail = detail === "low" || detail === "high" || detail === "original" ? detail : "auto";
      }
      return part;
    });
    if (parts.every((p) => p !== undefined)) return parts;
  }
  try {
    return JSON.stringify(output ?? "");
  } catch {
    return ""; // nested too deeply to write (responseTurn refuses such an output first)
  }
}

/** The item's own id when it sent one, else a new one with `prefix`. */
function idOf(item: Raw, prefix: string): string {
  return typeof item.id === "string" && item.id !== "" ? item.id : randomId(prefix, 24);
}

/** A message's content as parts: a string is one text part. */
function partsOf(content: unknown): Raw[] {
  if (typeof content === "string") return [{ type: "text", text: content }];
  return Array.isArray(content) ? (content as Raw[]) : [];
}

/**
 * A user, system or developer message as OpenAI lists it: `{ id, type: "message", role, content:
 * [{ type: "input_text", text }] }`.
 */
function inputMessage(item: Raw, role: string): ResponseItem {
  return {
    id: idOf(item, "msg_"),
    type: "message",
    role,
    content: partsOf(item.content)
      .filter((p) => typeof p.type === "string" && TEXT_PARTS.has(p.type))
      .map((p) => ({ type: "input_text", text: String(p.text ?? "") })),
  };
}

/**
 * An assistant message as OpenAI lists it (an output message): `output_text` parts (with their
 * annotations when sent) and `refusal` parts, `status` completed unless the item said otherwise.
 */
function assistantMessage(item: Raw): ResponseItem {
  const status = item.status === "incomplete" || item.status === "in_progress" ? item.status : "completed";
  const content = partsOf(item.content).flatMap((p): Raw[] => {
    if (p.type === "refusal") return [{ type: "refusal", refusal: String(p.refusal ?? "") }];
    if (typeof p.type !== "string" || !TEXT_PARTS.has(p.type)) return [];
    return [
      {
        type: "output_text",
        text: String(p.text ?? ""),
        annotations: annotationsOf(p.annotations),
        logprobs: [],
      },
    ];
  });
  return { id: idOf(item, "msg_"), type: "message", role: "assistant", status, content };
}

/**
 * A request's `input` (already validated: see `responseTurn`) as stored input items: a string is
 * one user message; messages get `input_text` (assistant: `output_text`) parts; function calls
 * and their outputs keep their fields with `status: "completed"` (an output's content parts and
 * a message's annotations only as OpenAI defines them: flat, whatever the client nested); an
 * `item_reference` becomes
 * the item it names (`lookup`, among the caller's stored outputs) or is left out when unknown;
 * `reasoning` items are left out (nothing reads them). Items without an id get a new one.
 */
export function inputItems(
  input: string | readonly unknown[],
  lookup: (id: string) => ResponseItem | undefined = () => undefined,
): ResponseItem[] {
  if (typeof input === "string") return [inputMessage({ content: input }, "user")];
  return input.flatMap((raw): ResponseItem[] => {
    const item = (raw ?? {}) as Raw;
    const type = typeof item.type === "string" ? item.type : "message";
    if (type === "message") {
      const role = String(item.role);
      return [role === "assistant" ? assistantMessage(item) : inputMessage(item, role)];
    }
    if (type === "function_call") {
      return [
        {
          id: idOf(item, "fc_"),
          type,
          call_id: String(item.call_id ?? ""),
          name: String(item.name ?? ""),
          arguments: String(item.arguments ?? ""),
          status: "completed",
        },
      ];
    }
    if (type === "function_call_output") {
      return [
        {
          id: idOf(item, "fco_"),
          type,
          call_id: String(item.call_id),
          output: functionOutput(item.output),
          status: "completed",
        },
      ];
    }
    if (type === "item_reference") {
      const found = typeof item.id === "string" ? lookup(item.id) : undefined;
      return found ? [found] : [];
    }
    return [];
  });
}

/**
 * The output items a follow-up carries on as conversation: finished `message` and
 * `function_call` items (copied, so later changes to the route's own objects cannot reach the
 * store). Reasoning summaries and items still in progress (a stream that failed) are left out.
 */
export function conversationItems(output: readonly unknown[]): ResponseItem[] {
  return output
    .filter((raw): raw is ResponseItem => {
      const item = raw as Partial<ResponseItem> | null;
      return (
        typeof item?.id === "string" &&
        (item.type === "message" || item.type === "function_call") &&
        item.status !== "in_progress"
      );
    })
    .map((item) => structuredClone(item));
}

/**
 * The first id two of `items` share, if any: OpenAI refuses such an input ("Duplicate item
 * found"), and a list with one cannot be paged by item id.
 */
export function duplicateId(items: readonly ResponseItem[]): string | undefined {
  const seen = new Set<string>();
  for (const { id } of items) {
    if (seen.has(id)) return id;
    seen.add(id);
  }
  return undefined;
}
