export type { Store, PlayerRecord } from "./store.ts";
export { createMemoryStore, createFileStore } from "./embedded.ts";
