import type { Config } from "../config.ts";
import { createFileStore } from "./sqlite.ts";
import type { Store } from "./store.ts";

/** MongoDB when MONGO_URL is set (mongoose loads only then), otherwise the embedded SQLite store in DATA_DIR. */
export async function openStore(config: Pick<Config, "MONGO_URL" | "DATA_DIR">): Promise<Store> {
  if (!config.MONGO_URL) return createFileStore(config.DATA_DIR);
  const { createMongoStore } = await import("./mongo.ts");
  return createMongoStore({ url: config.MONGO_URL });
}
