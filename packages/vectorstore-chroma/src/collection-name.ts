/**
 * Why Chroma would refuse `name` as a collection name, or undefined when it is valid. The rules
 * are the server's own (chromadb's name validation), checked here so that a bad name is a
 * `ConfigError` naming the rule (a 400 from the DeepRecall server) before any request, not a
 * server error on the first write.
 */
export function chromaCollectionNameProblem(name: string): string | undefined {
  if (!/^[A-Za-z0-9](?:[A-Za-z0-9._-]{1,510})[A-Za-z0-9]$/.test(name)) {
    return "Chroma collection names have 3-512 characters from letters, digits, '.', '_' and '-', starting and ending with a letter or digit";
  }
  if (name.includes("..")) return "Chroma collection names must not contain two consecutive periods (..)";
  if (/^(?:\d{1,3}\.){3}\d{1,3}$/.test(name)) return "Chroma collection names must not be an IPv4 address";
  return undefined;
}
