import type { Config } from "../config.ts";
import type { MongoStoreOptions } from "./mongo.ts";
import { createFileStore } from "./sqlite.ts";
import type { Store } from "./store.ts";

/**
 * The mongoose store, loaded on first use: a node on the embedded store never loads mongoose and the
 * MongoDB driver (11 MB of heap the GC would walk for nothing).
 */
export async function createMongoStore(options: MongoStoreOptions): Promise<Store> {
  const mongo = await import("./mongo.ts");
  return mongo.createMongoStore(options);
}

/** MongoDB when MONGO_URL is set, otherwise the embedded SQLite store in DATA_DIR. */
export function openStore(config: Pick<Config, "MONGO_URL" | "DATA_DIR">): Promise<Store> {
  return config.MONGO_URL ? createMongoStore({ url: config.MONGO_URL }) : createFileStore(config.DATA_DIR);
}
