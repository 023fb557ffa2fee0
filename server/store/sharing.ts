/**
 * Every node of a cluster must read and write the same player data. A node with REDIS_URL set (a
 * cluster) on the embedded SQLite store would keep its own players, ratings and bans: one deviceId
 * would be two players, a ban on one node would not hold on the next. Such a node refuses to start,
 * unless its SQLite file is the one every local node shares (SHARED_SQLITE_DIR, `npm run cluster`)
 * or the operator asked for per-node data on purpose (ALLOW_PER_NODE_STORE=true).
 */
import { ConfigError } from "../config.ts";

export interface StoreSharingConfig {
  readonly REDIS_URL?: string;
  readonly MONGO_URL?: string;
  readonly DATABASE_URL?: string;
  readonly SHARED_SQLITE_DIR?: string;
  readonly ALLOW_PER_NODE_STORE: boolean;
}

/** Throws a one-line ConfigError when this node would be clustered on a store no other node sees. */
export function checkStoreSharing(config: StoreSharingConfig): void {
  if (!config.REDIS_URL || config.DATABASE_URL || config.MONGO_URL || config.SHARED_SQLITE_DIR || config.ALLOW_PER_NODE_STORE) return;
  throw new ConfigError("DATABASE_URL",
    "required when REDIS_URL is set: every node of a cluster must share one store, and the embedded SQLite store is this node's alone " +
    "(set DATABASE_URL=postgres://... or MONGO_URL, or ALLOW_PER_NODE_STORE=true for an experiment with per-node player data)");
}
