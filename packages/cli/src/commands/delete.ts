import { plural } from "@deeprecall/core";
import { CliError } from "../output.ts";
import { type CommandContext, loadConfig } from "./common.ts";

export async function runDelete(
  ctx: CommandContext,
  ids: string[],
  opts: Record<string, unknown>,
): Promise<void> {
  const fromFlag = typeof opts.ids === "string" ? opts.ids.split(",") : [];
  const all = [...ids, ...fromFlag].map((s) => s.trim()).filter((s) => s.length > 0);
  const paths = ((opts.path as string[] | undefined) ?? []).filter((p) => p.trim() !== "");
  if (all.length === 0 && paths.length === 0)
    throw new CliError(
      "give the ids to delete: deeprecall delete ID [ID...] (or --ids a,b), or the ingested files: --path FILE_OR_DIR",
      2,
    );
  if (all.length > 0 && paths.length > 0) throw new CliError("give ids or --path, not both", 2);
  const { config } = loadConfig(ctx, opts);
  const { openStoreForWriting } = await import("./ingest.ts");
  const handle = await openStoreForWriting(ctx, config);
  try {
    if (paths.length > 0) {
      const { runDeletePath } = await import("./ingest.ts");
      await runDeletePath(ctx, paths, opts, handle, config);
      return;
    }
    const before = await handle.store.count();
    await handle.store.delete(all);
    const after = await handle.store.count();
    const removed = before - after;
    if (opts.json) ctx.io.out(JSON.stringify({ requested: all.length, deleted: removed, remaining: after }));
    else
      ctx.io.out(
        `Deleted ${removed} of ${plural(all.length, "id")} (${all.length - removed} not found); ${plural(after, "document")} remain${after === 1 ? "s" : ""}.`,
      );
  } finally {
    await handle.close();
  }
}
