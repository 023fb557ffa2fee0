import type { Config } from "../config.ts";
import { createMongoStore } from "./mongo.ts";
import { createFileStore } from "./sqlite.ts";
import type { Store } from "./store.ts";

/** MongoDB when MONGO_URL is set, otherwise the embedded SQLite store in DATA_DIR. */
export function openStore(config: Pick<Config, "MONGO_URL" | "DATA_DIR">): Promise<Store> {
  return config.MONGO_URL ? createMongoStore({ url: config.MONGO_URL }) : createFileStore(config.DATA_DIR);
}
