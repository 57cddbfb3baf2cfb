import { createHash } from "node:crypto";
import { readFile, stat } from "node:fs/promises";
import path from "node:path";
import { convert as htmlToText } from "html-to-text";
import { extractText, getDocumentProxy } from "unpdf";

/** Plain-text formats read as UTF-8 as they are. */
export const TEXT_EXTENSIONS = new Set([
  ".txt",
  ".md",
  ".markdown",
  ".mdx",
  ".rst",
  ".json",
  ".jsonl",
  ".csv",
  ".tsv",
]);

/** Source code and config files, also read as UTF-8 text. */
export const CODE_EXTENSIONS = new Set([
  ".js",
  ".mjs",
  ".cjs",
  ".jsx",
  ".ts",
  ".mts",
  ".cts",
  ".tsx",
  ".py",
  ".rb",
  ".go",
  ".rs",
  ".java",
  ".kt",
  ".kts",
  ".scala",
  ".c",
  ".h",
  ".cc",
  ".cpp",
  ".hpp",
  ".cs",
  ".swift",
  ".php",
  ".sh",
  ".bash",
  ".zsh",
  ".sql",
  ".r",
  ".lua",
  ".pl",
  ".ex",
  ".exs",
  ".erl",
  ".hs",
  ".ml",
  ".clj",
  ".dart",
  ".vue",
  ".svelte",
  ".css",
  ".scss",
  ".less",
  ".yaml",
  ".yml",
  ".toml",
  ".ini",
  ".xml",
  ".proto",
  ".graphql",
  ".tf",
]);

export const HTML_EXTENSIONS = new Set([".html", ".htm", ".xhtml"]);
export const PDF_EXTENSIONS = new Set([".pdf"]);

export function isSupportedFile(filePath: string): boolean {
  const ext = path.extname(filePath).toLowerCase();
  return (
    TEXT_EXTENSIONS.has(ext) ||
    CODE_EXTENSIONS.has(ext) ||
    HTML_EXTENSIONS.has(ext) ||
    PDF_EXTENSIONS.has(ext)
  );
}

export type LoadResult =
  | { ok: true; text: string; kind: "text" | "code" | "html" | "pdf" }
  | { ok: false; reason: string };

export interface LoadOptions {
  /** Files larger than this many bytes are skipped. */
  maxFileSize: number;
}

const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false });

function decodeUtf8(bytes: Uint8Array): string | null {
  try {
    const text = utf8.decode(bytes);
    // A NUL byte in "text" means a binary file with a text extension.
    return text.includes("\u0000") ? null : text;
  } catch {
    return null;
  }
}

function formatBytes(n: number): string {
  if (n >= 1024 * 1024) return `${(n / (1024 * 1024)).toFixed(1)} MB`;
  if (n >= 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${n} B`;
}

/** HTML to readable text: block structure kept as line breaks; scripts, styles, images and link targets dropped. */
export function extractHtmlText(html: string): string {
  return htmlToText(html, {
    wordwrap: false,
    selectors: [
      { selector: "a", options: { ignoreHref: true } },
      { selector: "img", format: "skip" },
      { selector: "nav", format: "skip" },
      { selector: "h1", options: { uppercase: false } },
      { selector: "h2", options: { uppercase: false } },
      { selector: "h3", options: { uppercase: false } },
      { selector: "h4", options: { uppercase: false } },
      { selector: "h5", options: { uppercase: false } },
      { selector: "h6", options: { uppercase: false } },
      { selector: "table", options: { uppercaseHeaderCells: false } },
    ],
  }).trim();
}

/** A file's bytes and their SHA-256, or why it could not be read. */
export type ReadResult = { ok: true; bytes: Buffer; sha256: string } | { ok: false; reason: string };

/** Reads a supported file (size-checked) and hashes it; never throws. */
export async function readSource(filePath: string, options: LoadOptions): Promise<ReadResult> {
  const ext = path.extname(filePath).toLowerCase();
  if (!isSupportedFile(filePath)) return { ok: false, reason: `unsupported file type "${ext || "(none)"}"` };
  try {
    const info = await stat(filePath);
    if (!info.isFile()) return { ok: false, reason: "not a regular file" };
    if (info.size > options.maxFileSize) {
      return {
        ok: false,
        reason: `too large (${formatBytes(info.size)} > ${formatBytes(options.maxFileSize)}; raise --max-file-size)`,
      };
    }
    const bytes = await readFile(filePath);
    return { ok: true, bytes, sha256: createHash("sha256").update(bytes).digest("hex") };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return { ok: false, reason: `unreadable (${code ?? (error as Error).message})` };
  }
}

/** Turns a file's bytes into text by its type; never throws. */
export async function parseSource(filePath: string, bytes: Buffer): Promise<LoadResult> {
  const ext = path.extname(filePath).toLowerCase();
  if (PDF_EXTENSIONS.has(ext)) {
    try {
      // verbosity 0: pdf.js would otherwise print recovery warnings to the console.
      const pdf = await getDocumentProxy(new Uint8Array(bytes), { verbosity: 0 });
      const { text } = await extractText(pdf, { mergePages: true });
      await pdf.cleanup().catch(() => undefined);
      const trimmed = text.trim();
      return trimmed
        ? { ok: true, text: trimmed, kind: "pdf" }
        : { ok: false, reason: "PDF has no extractable text (scanned images?)" };
    } catch (error) {
      return { ok: false, reason: `unreadable PDF (${(error as Error).message.split("\n")[0]})` };
    }
  }
  const text = decodeUtf8(bytes);
  if (text === null) return { ok: false, reason: "not UTF-8 text" };
  if (HTML_EXTENSIONS.has(ext)) return { ok: true, text: extractHtmlText(text), kind: "html" };
  return { ok: true, text, kind: CODE_EXTENSIONS.has(ext) ? "code" : "text" };
}

/**
 * Reads one file as text. Never throws for a bad file: too large, unreadable, not UTF-8,
 * binary or an unparseable PDF come back as `{ ok: false, reason }`.
 */
export async function loadFile(filePath: string, options: LoadOptions): Promise<LoadResult> {
  const read = await readSource(filePath, options);
  return read.ok ? parseSource(filePath, read.bytes) : read;
}
