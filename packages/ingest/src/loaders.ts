import { createHash } from "node:crypto";
import { readFile, stat } from "node:fs/promises";
import path from "node:path";
import { formatBytes } from "@deeprecall/core/format-bytes";
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

/** How a file's text was obtained: read as it is (text, code), extracted from HTML or from a PDF. */
export type FileKind = "text" | "code" | "html" | "pdf";

/** The kind of a file by its extension (case-insensitive), or undefined for an unsupported type. */
export function fileKind(fileName: string): FileKind | undefined {
  const ext = path.extname(fileName).toLowerCase();
  if (PDF_EXTENSIONS.has(ext)) return "pdf";
  if (HTML_EXTENSIONS.has(ext)) return "html";
  if (CODE_EXTENSIONS.has(ext)) return "code";
  if (TEXT_EXTENSIONS.has(ext)) return "text";
  return undefined;
}

/** True for the file types the loaders read (by extension). */
export function isSupportedFile(filePath: string): boolean {
  return fileKind(filePath) !== undefined;
}

/** A file's text and how it was obtained, or why there is none (a sentence fragment for people). */
export type LoadResult = { ok: true; text: string; kind: FileKind } | { ok: false; reason: string };

export interface LoadOptions {
  /** Files larger than this many bytes are refused ("too large"). */
  maxFileSize: number;
  /**
   * Appended to the "too large" reason to say what to do about it, e.g. "raise --max-file-size"
   * from the CLI. Default: nothing.
   */
  sizeHint?: string;
}

const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false });

function unsupported(fileName: string): { ok: false; reason: string } {
  const ext = path.extname(fileName).toLowerCase();
  return { ok: false, reason: `unsupported file type "${ext || "(none)"}"` };
}

function tooLarge(size: number, options: LoadOptions): { ok: false; reason: string } {
  const hint = options.sizeHint ? `; ${options.sizeHint}` : "";
  return {
    ok: false,
    reason: `too large (${formatBytes(size)} > ${formatBytes(options.maxFileSize)}${hint})`,
  };
}

/** UTF-8 bytes to text (a BOM is dropped), or why they are not text. */
function decodeText(bytes: Uint8Array): { ok: true; text: string } | { ok: false; reason: string } {
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    return { ok: false, reason: "not UTF-8 text" };
  }
  // A NUL byte in "text" means a binary file with a text extension.
  return text.includes("\u0000") ? { ok: false, reason: "binary data, not text" } : { ok: true, text };
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

/** A file's bytes and their SHA-256 (hex), or why it could not be read. */
export type ReadResult = { ok: true; bytes: Buffer; sha256: string } | { ok: false; reason: string };

/** The SHA-256 of some bytes, as 64 hex digits: the content hash chunk ids are derived from. */
export function sha256Hex(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

/** Reads a supported file from disk (size-checked first) and hashes it; never throws. */
export async function readSource(filePath: string, options: LoadOptions): Promise<ReadResult> {
  if (!isSupportedFile(filePath)) return unsupported(filePath);
  try {
    const info = await stat(filePath);
    if (!info.isFile()) return { ok: false, reason: "not a regular file" };
    if (info.size > options.maxFileSize) return tooLarge(info.size, options);
    const bytes = await readFile(filePath);
    return { ok: true, bytes, sha256: sha256Hex(bytes) };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return { ok: false, reason: `unreadable (${code ?? (error as Error).message})` };
  }
}

/**
 * Turns a file's bytes into text by the type its name says; never throws. Text and code are
 * UTF-8 as they are, HTML is reduced to its readable text, PDFs to the text of their pages.
 * Refused: an unsupported type, bytes that are not UTF-8 or hold NULs (binary), a PDF that
 * cannot be parsed or has no text layer, and a file with nothing but whitespace ("no text").
 */
export async function parseSource(fileName: string, bytes: Uint8Array): Promise<LoadResult> {
  const kind = fileKind(fileName);
  if (kind === undefined) return unsupported(fileName);
  if (kind === "pdf") {
    try {
      // A copy: pdf.js may take over (detach) the buffer it is given. verbosity 0: pdf.js would
      // otherwise print recovery warnings to the console.
      const pdf = await getDocumentProxy(new Uint8Array(bytes), { verbosity: 0 });
      const { text } = await extractText(pdf, { mergePages: true });
      await pdf.cleanup().catch(() => undefined);
      const trimmed = text.trim();
      return trimmed
        ? { ok: true, text: trimmed, kind }
        : { ok: false, reason: "PDF has no extractable text (scanned images?)" };
    } catch (error) {
      return { ok: false, reason: `unreadable PDF (${(error as Error).message.split("\n")[0]})` };
    }
  }
  const decoded = decodeText(bytes);
  if (!decoded.ok) return decoded;
  const text = kind === "html" ? extractHtmlText(decoded.text) : decoded.text;
  if (text.trim() === "") return { ok: false, reason: "no text" };
  return { ok: true, text, kind };
}

/**
 * Reads one file from disk as text. Never throws for a bad file: an unsupported type, too large,
 * unreadable, not UTF-8, binary, an unparseable PDF or no text come back as `{ ok: false, reason }`.
 */
export async function loadFile(filePath: string, options: LoadOptions): Promise<LoadResult> {
  const read = await readSource(filePath, options);
  return read.ok ? parseSource(filePath, read.bytes) : read;
}

/**
 * Reads a file that is already in memory (an upload: a name and its bytes, no path on disk) as
 * text, exactly as `loadFile` reads one from disk: the type comes from `fileName`'s extension,
 * and the same reasons come back for a file refused (unsupported type, too large, not UTF-8,
 * binary, unreadable PDF, no text). Never throws.
 */
export async function loadBytes(
  fileName: string,
  bytes: Uint8Array,
  options: LoadOptions,
): Promise<LoadResult> {
  if (!isSupportedFile(fileName)) return unsupported(fileName);
  if (bytes.byteLength > options.maxFileSize) return tooLarge(bytes.byteLength, options);
  return parseSource(fileName, bytes);
}
