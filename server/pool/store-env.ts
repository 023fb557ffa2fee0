/**
 * The store settings the pool manager gives every node it starts, so that they all read and write
 * the same player data (a node with REDIS_URL on a store of its own refuses to start).
 */
import { mkdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { ConfigError, type Config } from "../config.ts";

/** DATABASE_URL (and its tuning) or MONGO_URL; with neither, the local provider's nodes share one SQLite file. */
export function nodeStoreEnv(config: Config, stateDir: string): Record<string, string> {
  if (config.DATABASE_URL) {
    return {
      DATABASE_URL: config.DATABASE_URL,
      ...(config.DATABASE_READ_URL ? { DATABASE_READ_URL: config.DATABASE_READ_URL } : {}),
      DATABASE_PARTITIONS: String(config.DATABASE_PARTITIONS),
      DATABASE_POOL_MAX: String(config.DATABASE_POOL_MAX),
      DATABASE_CONNECT_TIMEOUT_MS: String(config.DATABASE_CONNECT_TIMEOUT_MS),
    };
  }
  if (config.MONGO_URL) return { MONGO_URL: config.MONGO_URL };
  // Containers cannot share a file: they need a database every node reaches.
  if (config.POOL_PROVIDER !== "local") throw new ConfigError("DATABASE_URL", `POOL_PROVIDER=${config.POOL_PROVIDER} needs a store every node shares: set DATABASE_URL (or MONGO_URL)`);
  const dir = config.SHARED_SQLITE_DIR ? resolve(config.SHARED_SQLITE_DIR) : join(stateDir, "store");
  mkdirSync(dir, { recursive: true });
  return { SHARED_SQLITE_DIR: dir };
}

