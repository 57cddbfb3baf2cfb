/**
 * A Responses API request's input and a response's output as the items a stored response keeps:
 * the shapes OpenAI's `GET /v1/responses/{id}/input_items` lists (each with an `id`), which a
 * follow-up (`previous_response_id`) replays as if the client had sent them in `input`.
 */
import { randomId } from "./convert.ts";
import type { ResponseItem } from "./response-store.ts";

const TEXT_PARTS: ReadonlySet<string> = new Set(["input_text", "output_text", "text"]);

type Raw = Record<string, unknown>;

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
        annotations: Array.isArray(p.annotations) ? p.annotations : [],
        logprobs: [],
      },
    ];
  });
  return { id: idOf(item, "msg_"), type: "message", role: "assistant", status, content };
}

/**
 * A request's `input` (already validated: see `responseTurn`) as stored input items: a string is
 * one user message; messages get `input_text` (assistant: `output_text`) parts; function calls
 * and their outputs keep their fields with `status: "completed"`; an `item_reference` becomes
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
      const output = typeof item.output === "string" || Array.isArray(item.output) ? item.output : "";
      return [{ id: idOf(item, "fco_"), type, call_id: String(item.call_id), output, status: "completed" }];
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
