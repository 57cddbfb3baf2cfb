import { createRequire } from "node:module";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { ConfigError, type EmbeddingFunction, getErrorMessage } from "@deeprecall/core";

/** The npm package holding Chroma's default embedding function (all-MiniLM-L6-v2, ONNX). */
export const DEFAULT_EMBED_PACKAGE = "@chroma-core/default-embed";

interface DefaultEmbedModule {
  DefaultEmbeddingFunction: new () => { generate(texts: string[]): Promise<number[][]> };
}

async function importFrom(specifier: string): Promise<DefaultEmbedModule> {
  try {
    // A variable specifier: the package is optional, so neither TypeScript nor bundlers may require it.
    return (await import(specifier)) as DefaultEmbedModule;
  } catch (first) {
    // Under strict layouts (pnpm) the application, not this package, owns the optional dependency.
    try {
      const resolved = createRequire(join(process.cwd(), "noop.js")).resolve(specifier);
      return (await import(pathToFileURL(resolved).href)) as DefaultEmbedModule;
    } catch {
      throw first;
    }
  }
}

/**
 * Loads Chroma's default embedding function, which the Python client uses when a collection has
 * none: all-MiniLM-L6-v2 run locally with ONNX, from the optional `@chroma-core/default-embed`
 * package (it downloads the model on first use). Every failure, missing package or model that
 * cannot be fetched, becomes a `ConfigError` that says how to fix it.
 */
export function chromaDefaultEmbedding(specifier = DEFAULT_EMBED_PACKAGE): EmbeddingFunction {
  let loaded: Promise<{ generate(texts: string[]): Promise<number[][]> }> | undefined;
  const load = () => {
    loaded ??= importFrom(specifier).then(
      (mod) => {
        if (typeof mod.DefaultEmbeddingFunction !== "function") {
          throw new ConfigError(`${specifier} does not export DefaultEmbeddingFunction`, {
            field: "embedding",
          });
        }
        return new mod.DefaultEmbeddingFunction();
      },
      (cause: unknown) => {
        loaded = undefined; // allow a later retry, e.g. after installing the package
        throw new ConfigError(
          `ChromaStore has no \`embedding\` configured, so it needs Chroma's default embedding function (all-MiniLM-L6-v2, as the Python client uses), but the optional package ${specifier} could not be loaded. Install it (npm install ${specifier}) or pass \`embedding\` (an AI SDK EmbeddingModel or a function).`,
          { field: "embedding", cause },
        );
      },
    );
    return loaded;
  };
  return async (texts) => {
    const ef = await load();
    try {
      return await ef.generate(texts);
    } catch (cause) {
      throw new ConfigError(
        `Chroma's default embedding function failed (${getErrorMessage(cause)}). It downloads the all-MiniLM-L6-v2 model on first use, so it needs network access once; offline, pass \`embedding\` instead.`,
        { field: "embedding", cause },
      );
    }
  };
}
