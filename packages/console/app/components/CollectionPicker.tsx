import { useId, useState } from "preact/hooks";
import { COLLECTION_NAME_RULE, collectionNameProblem } from "../lib/collection-name.ts";
import { type CollectionChoice, collectionOptionLabel } from "../lib/models.ts";

const NEW = "\u0000new";

/**
 * Picks the collection the Documents screen works on: the ones the server serves (with their
 * document counts), or a new name (uploading into it creates it).
 */
export function CollectionPicker({
  collections,
  value,
  onChange,
}: {
  collections: CollectionChoice[];
  value: string | undefined;
  onChange: (collection: string | undefined) => void;
}) {
  const id = useId();
  const [adding, setAdding] = useState(false);
  const [name, setName] = useState("");
  /** Shown once the person tried to use the name (not while they are still typing it). */
  const [problem, setProblem] = useState<string | null>(null);
  const known = collections.some((c) => c.name === value);
  const options: CollectionChoice[] =
    known || value === undefined ? collections : [...collections, { name: value, label: value }];
  if (options.length === 0) options.push({ name: undefined, label: "default", isDefault: true });
  return (
    <div class="collection-picker">
      <div class="field inline">
        <label for={id}>Collection</label>
        <select
          id={id}
          value={adding ? NEW : (value ?? "")}
          onChange={(e) => {
            const v = e.currentTarget.value;
            if (v === NEW) {
              setAdding(true);
              return;
            }
            setAdding(false);
            onChange(v === "" ? undefined : v);
          }}
        >
          {options.map((c) => (
            <option key={c.name ?? ""} value={c.name ?? ""}>
              {collectionOptionLabel(c)}
            </option>
          ))}
          <option value={NEW}>New collection…</option>
        </select>
      </div>
      {adding ? (
        <form
          class="row"
          onSubmit={(e) => {
            e.preventDefault();
            const n = name.trim();
            const wrong = collectionNameProblem(n);
            setProblem(wrong);
            if (wrong) return;
            setAdding(false);
            setName("");
            onChange(n);
          }}
        >
          <div class="field inline">
            <label for={`${id}-new`}>New collection name</label>
            <input
              id={`${id}-new`}
              value={name}
              maxLength={128}
              aria-invalid={problem !== null}
              aria-describedby={`${id}-rule`}
              onInput={(e) => {
                setName(e.currentTarget.value);
                if (problem) setProblem(collectionNameProblem(e.currentTarget.value.trim()));
              }}
              // biome-ignore lint/a11y/noAutofocus: the person just chose to name a new collection.
              autoFocus
            />
          </div>
          <button type="submit" class="btn">
            Use
          </button>
          <p
            id={`${id}-rule`}
            class={problem ? "hint error-text" : "hint"}
            role={problem ? "alert" : undefined}
          >
            {problem ?? COLLECTION_NAME_RULE}
          </p>
        </form>
      ) : null}
    </div>
  );
}
