import type { Config } from "../config.ts";
import type { Registry } from "prom-client";
import type { Logger } from "../log.ts";
import type { MongoStoreOptions } from "./mongo.ts";
import type { PostgresStoreOptions } from "./postgres.ts";
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

/** The PostgreSQL store, loaded on first use like the mongoose one. */
export async function createPostgresStore(options: PostgresStoreOptions): Promise<Store> {
  const postgres = await import("./postgres.ts");
  return postgres.createPostgresStore(options);
}

export type StoreConfig = Pick<Config, "MONGO_URL" | "DATA_DIR" | "DATABASE_URL" | "DATABASE_READ_URL" | "DATABASE_PARTITIONS" | "DATABASE_POOL_MAX" | "DATABASE_CONNECT_TIMEOUT_MS">;

/** The PostgreSQL store's settings from the config (tests: `postgresSettings(loadConfig({}))` for the defaults). */
export function postgresSettings(config: Pick<Config, "DATABASE_PARTITIONS" | "DATABASE_POOL_MAX" | "DATABASE_CONNECT_TIMEOUT_MS">): Pick<PostgresStoreOptions, "partitions" | "poolMax" | "connectTimeoutMs"> {
  return { partitions: config.DATABASE_PARTITIONS, poolMax: config.DATABASE_POOL_MAX, connectTimeoutMs: config.DATABASE_CONNECT_TIMEOUT_MS };
}

/**
 * PostgreSQL when DATABASE_URL is set, MongoDB when MONGO_URL is set (config refuses both), otherwise
 * the embedded SQLite store in DATA_DIR.
 */
export function openStore(config: StoreConfig, options: { logger?: Logger; registry?: Registry } = {}): Promise<Store> {
  if (config.DATABASE_URL) {
    return createPostgresStore({
      ...postgresSettings(config), url: config.DATABASE_URL, readUrl: config.DATABASE_READ_URL, logger: options.logger, registry: options.registry,
    });
  }
  return config.MONGO_URL ? createMongoStore({ url: config.MONGO_URL }) : createFileStore(config.DATA_DIR);
}
