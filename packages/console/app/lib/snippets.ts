/**
 * "Copy as curl" and "Copy as OpenAI SDK code" for a chat request exactly as the console sent
 * it, minus `deeprecall.trace`: the live trace is for the console (an SDK would see its events
 * as odd chunks; the server's README says clients leave it off). The API key is never copied:
 * both snippets read it from `$DEEPRECALL_API_KEY`.
 */

/** The environment variable the snippets read the API key from. */
export const KEY_ENV = "DEEPRECALL_API_KEY";

/** `body` without the console-only `deeprecall.trace` (and without `deeprecall` when nothing else is left). */
export function withoutTrace(body: unknown): unknown {
  if (typeof body !== "object" || body === null || Array.isArray(body)) return body;
  const { deeprecall, ...rest } = body as Record<string, unknown>;
  if (typeof deeprecall !== "object" || deeprecall === null || Array.isArray(deeprecall)) return body;
  const { trace: _trace, ...options } = deeprecall as Record<string, unknown>;
  return Object.keys(options).length > 0 ? { ...rest, deeprecall: options } : rest;
}

/** A POSIX shell single-quoted word: safe for any text, quotes included. */
export function shellQuote(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}

/**
 * A curl command sending `body` to `<baseUrl>/v1/chat/completions`; `-N` so a streamed answer
 * prints as it arrives. With `withKey`, the Authorization header reads `$DEEPRECALL_API_KEY`.
 */
export function curlSnippet(baseUrl: string, body: unknown, withKey: boolean): string {
  const lines = [
    `curl -N ${shellQuote(`${trimSlash(baseUrl)}/v1/chat/completions`)}`,
    `  -H 'Content-Type: application/json'`,
    ...(withKey ? [`  -H "Authorization: Bearer $${KEY_ENV}"`] : []),
    `  -d ${shellQuote(JSON.stringify(withoutTrace(body), null, 2))}`,
  ];
  return lines.join(" \\\n");
}

/**
 * Node code for the official `openai` client sending `body` (the `deeprecall` extension field
 * included: the SDK passes unknown fields through). A streamed request prints the answer as it
 * arrives (the `?.` guards against chunks without `choices`).
 */
export function openaiSdkSnippet(baseUrl: string, body: Record<string, unknown>, withKey: boolean): string {
  const apiKey = withKey ? `process.env.${KEY_ENV}` : `process.env.${KEY_ENV} ?? "unused"`;
  const args = JSON.stringify(withoutTrace(body), null, 2);
  const lines = [
    `import OpenAI from "openai";`,
    ``,
    `const client = new OpenAI({`,
    `  baseURL: ${JSON.stringify(`${trimSlash(baseUrl)}/v1`)},`,
    `  apiKey: ${apiKey},`,
    `});`,
    ``,
  ];
  if (body.stream === true) {
    lines.push(
      `const stream = await client.chat.completions.create(${args});`,
      `for await (const chunk of stream) {`,
      `  process.stdout.write(chunk.choices?.[0]?.delta?.content ?? "");`,
      `  if (chunk.deeprecall) console.log("\\n\\nsources:", chunk.deeprecall.sources.map((s) => s.id));`,
      `}`,
    );
  } else {
    lines.push(
      `const completion = await client.chat.completions.create(${args});`,
      `console.log(completion.choices[0].message.content);`,
      `console.log("sources:", completion.deeprecall.sources.map((s) => s.id));`,
    );
  }
  return `${lines.join("\n")}\n`;
}

function trimSlash(url: string): string {
  return url.replace(/\/+$/, "");
}
