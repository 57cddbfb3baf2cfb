/**
 * Token-id input for `/v1/embeddings`. OpenAI's endpoint takes `input` as text or as token ids
 * (an array of integers, or an array of such arrays), and some clients send ids by default:
 * LangChain's `OpenAIEmbeddings` tokenises with tiktoken and posts the token arrays. Our
 * embedding model takes text, so the ids are decoded back to the text they encode.
 *
 * The ids are read as `cl100k_base` tokens: the encoding of OpenAI's embedding models
 * (`text-embedding-3-*`, `text-embedding-ada-002`), and what tiktoken (hence LangChain) falls back
 * to for a model name it does not know, such as this server's embedding model id. The encoder
 * (≈1.7 MB of ranks, `js-tiktoken`) is loaded on the first token-id request only.
 */
import { invalid } from "./params.ts";

type Decoder = (tokens: number[]) => string;

let decoder: Promise<Decoder> | undefined;

async function loadDecoder(): Promise<Decoder> {
  const [{ Tiktoken }, ranks] = await Promise.all([
    import("js-tiktoken/lite"),
    import("js-tiktoken/ranks/cl100k_base"),
  ]);
  const encoding = new Tiktoken(ranks.default);
  return (tokens) => encoding.decode(tokens);
}

/** The largest token id of `cl100k_base` (its special tokens included). */
const MAX_TOKEN_ID = 100_276;

/**
 * Decodes each token array of `input` to text (`param` names it in errors: "input" or
 * "input[i]"). A token that is not an integer id of `cl100k_base` is a 400 `invalid_value`.
 */
export async function decodeTokenInput(input: number[][], params: string[]): Promise<string[]> {
  input.forEach((tokens, i) => {
    const bad = tokens.findIndex((t) => !Number.isInteger(t) || t < 0 || t > MAX_TOKEN_ID);
    if (bad !== -1) {
      throw invalid(
        `${params[i]}[${bad}]`,
        `Token ids must be integers from 0 to ${MAX_TOKEN_ID} (cl100k_base), got ${String(tokens[bad])}.`,
      );
    }
  });
  decoder ??= loadDecoder();
  const decode = await decoder;
  return input.map((tokens) => decode(tokens));
}
