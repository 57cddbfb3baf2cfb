export { type LocalCollectionsOptions, LocalStore, type LocalStoreOptions } from "./local-store.ts";
export { tokenize } from "./tokenize.ts";
