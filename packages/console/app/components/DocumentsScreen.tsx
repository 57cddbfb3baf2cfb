import { useEffect, useState } from "preact/hooks";
import { apiJson } from "../lib/api.ts";
import type { ModelJson } from "../lib/api-types.ts";
import { collectionsOf } from "../lib/models.ts";
import { documentsHref } from "../lib/routes.ts";
import { CollectionPicker } from "./CollectionPicker.tsx";
import { DocumentList } from "./DocumentList.tsx";
import { UploadZone } from "./UploadZone.tsx";

/**
 * The Documents screen for one collection (from the hash, `?collection=`; none = the default
 * one): upload files into it, then browse, search and delete what it holds.
 */
export function DocumentsScreen({ collection }: { collection: string | undefined }) {
  const [collections, setCollections] = useState<ReturnType<typeof collectionsOf>>([]);
  // Uploads reload the list and the counts; deletes (already gone from the list) the counts.
  const [uploads, setUploads] = useState(0);
  const [deletes, setDeletes] = useState(0);
  /** The default collection's count from `/health`: `/v1/models` gives counts only when several collections are served. */
  const [healthCount, setHealthCount] = useState<number | undefined>(undefined);
  useEffect(() => {
    apiJson<{ data: ModelJson[] }>("v1/models")
      .then((list) => setCollections(collectionsOf(list.data ?? [])))
      .catch(() => setCollections([]));
    apiJson<{ documents: number | null }>("health")
      .then((h) => setHealthCount(typeof h.documents === "number" ? h.documents : undefined))
      .catch(() => setHealthCount(undefined));
  }, [uploads, deletes]);
  const total =
    collections.find((c) => c.name === collection)?.documents ??
    (collection === undefined ? healthCount : undefined);
  return (
    <div class="page">
      <div class="page-head">
        <h1>Documents</h1>
        <CollectionPicker
          collections={collections}
          value={collection}
          onChange={(c) => {
            location.hash = documentsHref(c);
          }}
        />
      </div>
      <UploadZone collection={collection} onUploaded={() => setUploads((n) => n + 1)} />
      <DocumentList
        collection={collection}
        version={uploads}
        total={total}
        onChanged={() => setDeletes((n) => n + 1)}
      />
    </div>
  );
}
