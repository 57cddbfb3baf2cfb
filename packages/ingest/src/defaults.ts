/**
 * The defaults of `deeprecall ingest` (and of the server's uploads, so both cut a file into the
 * same chunks unless told otherwise).
 */

/** Characters per chunk. */
export const DEFAULT_CHUNK_SIZE = 1000;
/** Characters shared by consecutive chunks. */
export const DEFAULT_CHUNK_OVERLAP = 200;
/** Largest file read, in bytes (20 MiB): larger ones are skipped with a reason. */
export const DEFAULT_MAX_FILE_SIZE = 20 * 1024 * 1024;
