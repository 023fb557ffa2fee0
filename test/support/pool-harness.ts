/** A real pool for end-to-end tests: private Redis, LocalProvider (real node processes), PoolManager. */
import { RedisDriver } from "@colyseus/redis-driver";
import { RedisPresence } from "@colyseus/redis-presence";
import { loadConfig } from "../../server/config.ts";
import { cleanupDeadNode, createNodeCommands, createNodeRegistry, createPoolLimitsStore, type NodeEntry } from "../../server/registry/index.ts";
import { PoolManager, type ManagerOptions } from "../../server/pool/manager.ts";
import { createPoolMetrics, type PoolMetrics } from "../../server/pool/metrics.ts";
import { defaultPolicy } from "../../server/pool/policy.ts";
import { LocalProvider } from "../../server/pool/providers/local.ts";
import { startRedis, tempDir, type RedisHandle } from "./processes.ts";
import { until } from "./wait.ts";

export const SECRET = "pool-test-secret-0123456789abcdefghijkl";

export interface Pool {
  redis: RedisHandle;
  presence: RedisPresence;
  driver: RedisDriver;
  provider: LocalProvider;
  stateDir: string;
  /** The SQLite directory every node of the pool shares (what `npm run cluster` gives its nodes). */
  sharedStoreDir: string;
  metrics: PoolMetrics;
  manager: PoolManager;
  makeManager(over?: Partial<ManagerOptions>): PoolManager;
  entries(): Promise<NodeEntry[]>;
  close(): Promise<void>;
}

/** `until` (test/support/wait.ts) with the pool tests' argument order and a 200 ms poll. */
export function waitUntil<T>(check: () => Promise<T | null | undefined | false> | T | null | undefined | false, timeoutMs: number, what: string): Promise<T> {
  return until(what, check, timeoutMs, 200) as Promise<T>;
}

export async function startPool(over: Partial<ManagerOptions> = {}, nodeEnv: Record<string, string> = {}): Promise<Pool> {
  const redis = await startRedis();
  const presence = new RedisPresence(redis.url);
  const driver = new RedisDriver(redis.url);
  const registry = createNodeRegistry(presence, loadConfig({}).NODE_TTL_MS); // the nodes run on the default NODE_TTL_MS
  const commands = createNodeCommands(presence);
  const limits = createPoolLimitsStore(presence);
  const stateDir = tempDir("rally-pool-");
  const sharedStoreDir = tempDir("rally-pool-store-");
  const env = { REDIS_URL: redis.url, SHARED_SQLITE_DIR: sharedStoreDir, JWT_SECRET: SECRET, ROOM_CAPACITY: "4", LOG_LEVEL: "info", SHUTDOWN_GRACE_S: "3", DRAIN_TIMEOUT_S: "60", ...nodeEnv };
  const provider = new LocalProvider({ stateDir, publicHost: "127.0.0.1", env });
  const metrics = createPoolMetrics();
  const makeManager = (o: Partial<ManagerOptions> = {}) => new PoolManager({
    provider, registry, metrics,
    drain: (id) => commands.drain(id),
    cleanup: (id) => cleanupDeadNode(presence, driver, id),
    limitOverrides: () => limits.all(),
    regions: ["eu", "us"],
    limits: { min: 1, max: 3 },
    policy: { ...defaultPolicy, warmRooms: 1 },
    nodeCapacity: 4,
    tickMs: 500,
    drainMaxMs: 120_000,
    startTimeoutMs: 60_000,
    crashBackoffMs: 500,
    crashBackoffMaxMs: 5000,
    logger: { info() {}, warn() {}, error() {} },
    ...over,
    ...o,
  });
  const manager = makeManager();
  return {
    redis, presence, driver, provider, stateDir, sharedStoreDir, metrics, manager, makeManager,
    entries: () => registry.list(),
    async close() {
      await manager.stop({ stopNodes: false }).catch(() => undefined);
      for (const n of await provider.list()) await provider.stop(n.id, { signal: "SIGKILL" }).catch(() => undefined);
      presence.shutdown();
      await driver.shutdown().catch(() => undefined);
      await redis.stop();
    },
  };
}

/** Ready registry entries of pool nodes in a region. */
export async function readyIn(pool: Pool, region: string): Promise<NodeEntry[]> {
  const now = Date.now();
  return (await pool.entries()).filter((e) => e.region === region && e.name && e.state === "ready" && now - e.heartbeatAt < 6000);
}
