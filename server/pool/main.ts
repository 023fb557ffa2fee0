/**
 * `npm run cluster`: the pool manager and, through it, game nodes in every POOL_REGIONS region.
 * Dev convenience: with REDIS_URL unset and `redis-server` on the PATH, it starts a private Redis.
 * Every node it starts shares one store: the manager passes its DATABASE_URL (or MONGO_URL) on;
 * with none set and the local provider, every node opens the same SQLite file (POOL_STATE_DIR/store/rally.db,
 * SHARED_SQLITE_DIR), which WAL + BEGIN IMMEDIATE + busy_timeout make safe for concurrent processes.
 * Ctrl-C (SIGINT/SIGTERM) drains and stops the nodes it started, then exits.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdirSync } from "node:fs";
import { resolve } from "node:path";
import express from "express";
import { RedisDriver } from "@colyseus/redis-driver";
import { RedisPresence } from "@colyseus/redis-presence";
import { loadTokenSecretText } from "../auth/index.ts";
import { ConfigError, loadConfig, type Config } from "../config.ts";
import { mountAdminApi } from "../http/admin.ts";
import { createLogger } from "../log.ts";
import { cleanupDeadNode, createNodeCommands, createNodeRegistry, createPoolLimitsStore, readQueueWaits } from "../registry/index.ts";
import { readCapacityWaits } from "../registry/commands.ts";
import { PoolManager } from "./manager.ts";
import { createPoolMetrics } from "./metrics.ts";
import { parseScheduleJson } from "./schedule-config.ts";
import type { NodeEnvBase, NodeProvider } from "./provider.ts";
import { LocalProvider, freePort } from "./providers/local.ts";
import { nodeStoreEnv } from "./store-env.ts";

async function startDevRedis(): Promise<{ url: string; child: ChildProcess } | null> {
  if (spawnSync("sh", ["-c", "command -v redis-server"]).status !== 0) return null;
  const port = await freePort();
  const child = spawn("redis-server", ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"], { stdio: "ignore" });
  const presence = new RedisPresence(`redis://127.0.0.1:${port}`);
  const until = Date.now() + 10_000;
  while (Date.now() < until) {
    try {
      await presence.hgetall("rally:ping");
      break;
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  presence.shutdown();
  return { url: `redis://127.0.0.1:${port}`, child };
}

async function createProvider(config: Config, env: NodeEnvBase, stateDir: string): Promise<NodeProvider> {
  switch (config.POOL_PROVIDER) {
    case "local":
      return new LocalProvider({ stateDir, publicHost: config.POOL_PUBLIC_HOST, env });
    case "docker": {
      const { DockerProvider, dockerodeEngine } = await import("./providers/docker.ts");
      return new DockerProvider(await dockerodeEngine(), { image: config.POOL_DOCKER_IMAGE, network: config.POOL_DOCKER_NETWORK, publicHost: config.POOL_PUBLIC_HOST, env, drainTimeoutS: config.DRAIN_TIMEOUT_S });
    }
    case "agones": {
      const { AgonesProvider, kubernetesEngine } = await import("./providers/agones.ts");
      return new AgonesProvider(await kubernetesEngine(config.POOL_AGONES_NAMESPACE), { image: config.POOL_DOCKER_IMAGE, env, publicHost: config.POOL_PUBLIC_HOST, drainTimeoutS: config.DRAIN_TIMEOUT_S });
    }
  }
}

async function main(): Promise<void> {
  let config = loadConfig();
  const logger = createLogger(config.LOG_LEVEL, { component: "pool" });
  const storeEnv = nodeStoreEnv(config, resolve(config.POOL_STATE_DIR)); // before any child process: it may refuse
  let devRedis: { url: string; child: ChildProcess } | null = null;
  if (!config.REDIS_URL) {
    devRedis = await startDevRedis();
    if (!devRedis) throw new ConfigError("REDIS_URL", "the pool needs Redis: set REDIS_URL, or install redis-server for a private dev instance");
    config = Object.freeze({ ...config, REDIS_URL: devRedis.url });
    logger.info({ url: devRedis.url }, "started a private redis-server (REDIS_URL was unset)");
  }
  const redisUrl = config.REDIS_URL!;
  const stateDir = resolve(config.POOL_STATE_DIR);
  mkdirSync(stateDir, { recursive: true });
  const env: NodeEnvBase = {
    REDIS_URL: redisUrl,
    JWT_SECRET: await loadTokenSecretText(config.JWT_SECRET, stateDir),
    ROOM_CAPACITY: String(config.POOL_NODE_CAPACITY),
    LOG_LEVEL: config.LOG_LEVEL,
    DRAIN_TIMEOUT_S: String(config.DRAIN_TIMEOUT_S),
    ...(config.ADMIN_TOKEN ? { ADMIN_TOKEN: config.ADMIN_TOKEN } : {}),
    ...storeEnv,
  };

  const presence = new RedisPresence(redisUrl);
  const driver = new RedisDriver(redisUrl);
  const registry = createNodeRegistry(presence, config.NODE_TTL_MS);
  const commands = createNodeCommands(presence);
  const limits = createPoolLimitsStore(presence);
  const metrics = createPoolMetrics();
  const provider = await createProvider(config, env, stateDir);
  const manager = new PoolManager({
    provider, registry, metrics, logger,
    drain: (nodeId) => commands.drain(nodeId),
    cleanup: (nodeId) => cleanupDeadNode(presence, driver, nodeId),
    limitOverrides: () => limits.all(),
    queueWaits: () => readQueueWaits(presence),
    capacityWaits: () => readCapacityWaits(presence),
    regions: config.POOL_REGIONS,
    limits: { min: config.POOL_MIN_NODES, max: Math.max(config.POOL_MIN_NODES, config.POOL_MAX_NODES) },
    policy: {
      warmRooms: config.POOL_WARM_ROOMS,
      scaleUpUtilization: config.POOL_SCALE_UP_UTILIZATION,
      scaleDownUtilization: config.POOL_SCALE_DOWN_UTILIZATION,
      scaleDownAfterMs: config.POOL_SCALE_DOWN_AFTER_S * 1000,
      scaleDownCooldownMs: 60_000,
      queueWaitUpS: config.POOL_QUEUE_WAIT_UP_S,
    },
    nodeCapacity: config.POOL_NODE_CAPACITY,
    schedule: parseScheduleJson(config.POOL_SCHEDULE),
    forecast: { mode: config.POOL_FORECAST },
    tickMs: config.POOL_TICK_MS,
    drainMaxMs: config.POOL_DRAIN_MAX_S * 1000,
    crashBackoffMs: config.POOL_CRASH_BACKOFF_S * 1000,
    crashBackoffMaxMs: config.POOL_CRASH_BACKOFF_MAX_S * 1000,
  });

  const app = express();
  app.disable("x-powered-by");
  app.get("/healthz", (_req, res) => void res.json({ status: "ok" }));
  app.get("/metrics", (_req, res, next) => void metrics.text().then((t) => res.type(metrics.registry.contentType).send(t), next));
  mountAdminApi(app, { adminToken: config.ADMIN_TOKEN, ratePerMin: config.ADMIN_RATE_PER_MIN, registry, commands, limits });
  const http = app.listen(config.POOL_PORT, config.HOST);

  await manager.start();
  logger.info({ provider: provider.kind, regions: config.POOL_REGIONS, port: config.POOL_PORT, redis: redisUrl }, "pool manager running");

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, "stopping the pool: draining its nodes");
    http.close();
    await manager.stop({ stopNodes: true, waitMs: (config.DRAIN_TIMEOUT_S + config.SHUTDOWN_GRACE_S) * 1000 });
    presence.shutdown();
    await driver.shutdown().catch(() => undefined);
    devRedis?.child.kill("SIGKILL");
    process.exit(0);
  };
  process.once("SIGINT", () => void shutdown("SIGINT"));
  process.once("SIGTERM", () => void shutdown("SIGTERM"));
}

try {
  await main();
} catch (e) {
  if (e instanceof ConfigError) {
    console.error(e.message);
    process.exit(1);
  }
  throw e;
}
