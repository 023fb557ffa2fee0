export * from "./store.ts";
export { createMemoryStore, createFileStore, createSqliteStore } from "./sqlite.ts";
export { openStore } from "./open.ts";
import type { MongoStoreOptions } from "./mongo.ts";
import type { Store } from "./store.ts";
export type { MongoStoreOptions };

/**
 * The mongoose store, loaded on first use: a node on the embedded store never loads mongoose and the
 * MongoDB driver. Merely importing them costs about 10 MB of heap and, measured with `bench:rooms`,
 * several per cent of room tick time and CPU on a node that never talks to MongoDB.
 */
export async function createMongoStore(options: MongoStoreOptions): Promise<Store> {
  const { createMongoStore: open } = await import("./mongo.ts");
  return open(options);
}
