/**
 * Every node of a cluster shares one store. `npm run cluster` shares one SQLite file between the
 * local node processes (SHARED_SQLITE_DIR): proved safe here with four processes writing it at once
 * (WAL + BEGIN IMMEDIATE + busy_timeout). A clustered node (REDIS_URL) on a store of its own refuses
 * to start with one line, unless ALLOW_PER_NODE_STORE=true.
 */
import assert from "node:assert/strict";
import { execFile, spawn, spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { createFileStore } from "../../../server/store/index.ts";
import { checkStoreSharing } from "../../../server/store/sharing.ts";
import { nodeStoreEnv } from "../../../server/pool/store-env.ts";
import { loadConfig } from "../../../server/config.ts";
import { freePort, guest, repoRoot, startNodeProcess, startRedis, tempDir } from "../../support/processes.ts";
import { until } from "../../support/wait.ts";

const run = promisify(execFile);

describe("one SQLite file shared by several processes (npm run cluster's dev store)", function () {
  this.timeout(120_000);
  it("four processes writing at once: one player per deviceId, no lost grant, the last item consumed once, each result applied once", async () => {
    const dir = tempDir("rally-shared-sqlite-");
    const setup = await createFileStore(dir);
    await setup.inventory.grant("shared", { gem: 1 }, "setup");
    await setup.close();
    const startAt = Date.now() + 3000; // every worker loaded before the first write
    const outs = await Promise.all([0, 1, 2, 3].map((i) =>
      run(process.execPath, ["--import", "tsx", join(repoRoot, "test/support/fixtures/shared-sqlite-writer.ts"), dir, String(i), String(startAt)], { cwd: repoRoot, timeout: 90_000 })));
    const results = outs.map((o) => JSON.parse(o.stdout.trim().split("\n").pop()!) as { guests: string[]; consumed: number; applied: number });
    for (const r of results.slice(1)) assert.deepEqual(r.guests, results[0].guests, "the same deviceId is the same player in every process");
    assert.equal(new Set(results[0].guests).size, 20);
    assert.equal(results.reduce((n, r) => n + r.consumed, 0), 1, "exactly one consume of the last gem applied");
    assert.equal(results.reduce((n, r) => n + r.applied, 0), 10, "each of the 10 results applied by exactly one process");
    const store = await createFileStore(dir);
    assert.deepEqual(await store.inventory.get("shared"), { coins: 80 }, "4 x 20 grants, none lost; the gem is gone");
    assert.equal((await store.ratings.get("shared", "arena"))?.matches, 10, "each result counted once in the rating");
    await store.close();
  });
});

describe("a clustered node on a store no other node sees", function () {
  this.timeout(60_000);
  it("checkStoreSharing: REDIS_URL with the node's own SQLite file is refused; a shared store or the explicit opt-out passes", () => {
    const base = { REDIS_URL: "redis://127.0.0.1:1", ALLOW_PER_NODE_STORE: false };
    assert.throws(() => checkStoreSharing(base), /^ConfigError: Invalid environment variable DATABASE_URL: required when REDIS_URL is set/);
    assert.throws(() => checkStoreSharing(base), (e: Error) => e.name === "ConfigError");
    checkStoreSharing({ ...base, REDIS_URL: undefined });
    checkStoreSharing({ ...base, DATABASE_URL: "postgres://x@127.0.0.1/db" });
    checkStoreSharing({ ...base, MONGO_URL: "mongodb://127.0.0.1/db" });
    checkStoreSharing({ ...base, SHARED_SQLITE_DIR: "/tmp/x" });
    checkStoreSharing({ ...base, ALLOW_PER_NODE_STORE: true });
    assert.equal(loadConfig({ ALLOW_PER_NODE_STORE: "true" }).ALLOW_PER_NODE_STORE, true);
    assert.equal(loadConfig({}).ALLOW_PER_NODE_STORE, false);
  });

  it("`npm start` with REDIS_URL and no shared store exits 1 with one stderr line saying why", async () => {
    const env: Record<string, string | undefined> = { ...process.env, REDIS_URL: "redis://127.0.0.1:1", DATA_DIR: tempDir(), PORT: String(await freePort()), LOG_LEVEL: "silent" };
    for (const k of ["DATABASE_URL", "MONGO_URL", "SHARED_SQLITE_DIR", "ALLOW_PER_NODE_STORE"]) delete env[k];
    const out = spawnSync(process.execPath, ["--import", "tsx", join(repoRoot, "server/main.ts")], {
      cwd: repoRoot, encoding: "utf8", timeout: 30_000,
      env,
    });
    assert.equal(out.status, 1, out.stderr);
    const lines = out.stderr.split("\n").filter((l) => l.trim() && !/ExperimentalWarning|--trace-warnings|injected env|optional \.env/.test(l));
    assert.equal(lines.length, 1, out.stderr);
    assert.match(lines[0], /DATABASE_URL: required when REDIS_URL is set: every node of a cluster must share one store.*ALLOW_PER_NODE_STORE=true/);
  });

  it("with ALLOW_PER_NODE_STORE=true the same node starts (an experiment with per-node data)", async () => {
    const redis = await startRedis();
    try {
      const node = await startNodeProcess({ REDIS_URL: redis.url, ALLOW_PER_NODE_STORE: "true", JWT_SECRET: "per-node-store-test-0123456789-abcdefghijk", LOG_LEVEL: "warn", SERVE_DEMO: "false" });
      assert.equal((await fetch(`${node.url}/readyz`)).status, 200);
      await node.stop("SIGKILL");
    } finally {
      await redis.stop();
    }
  });
});

describe("npm run cluster: the store settings the pool manager gives its nodes", () => {
  it("DATABASE_URL (with its tuning) or MONGO_URL when set; otherwise one SQLite directory for every local node", () => {
    const stateDir = tempDir("rally-pool-state-");
    const pg = nodeStoreEnv(loadConfig({ DATABASE_URL: "postgres://rally@db:5432/rally", DATABASE_READ_URL: "postgres://rally@replica:5432/rally", DATABASE_PARTITIONS: "16" }), stateDir);
    assert.equal(pg.DATABASE_URL, "postgres://rally@db:5432/rally");
    assert.equal(pg.DATABASE_READ_URL, "postgres://rally@replica:5432/rally");
    assert.equal(pg.DATABASE_PARTITIONS, "16");
    assert.deepEqual(nodeStoreEnv(loadConfig({ MONGO_URL: "mongodb://m/rally" }), stateDir), { MONGO_URL: "mongodb://m/rally" });
    assert.deepEqual(nodeStoreEnv(loadConfig({}), stateDir), { SHARED_SQLITE_DIR: join(stateDir, "store") });
  });
  it("refuses to start container nodes without a database they can all reach", () => {
    assert.throws(() => nodeStoreEnv(loadConfig({ POOL_PROVIDER: "docker" }), tempDir()), /^ConfigError: Invalid environment variable DATABASE_URL: POOL_PROVIDER=docker needs a store every node shares/);
  });
});

describe("npm run cluster (server/pool/main.ts) with nothing but redis-server", function () {
  this.timeout(120_000);
  it("its two local nodes share one store: one deviceId is one player on both", async () => {
    const redis = await startRedis();
    const stateDir = tempDir("rally-cluster-main-");
    const env: Record<string, string | undefined> = {
      ...process.env, REDIS_URL: redis.url, POOL_REGIONS: "eu-west", POOL_MIN_NODES: "2", POOL_MAX_NODES: "2", POOL_WARM_ROOMS: "0",
      POOL_STATE_DIR: stateDir, POOL_PORT: String(await freePort()), POOL_TICK_MS: "500", LOG_LEVEL: "warn", DRAIN_TIMEOUT_S: "5", SHUTDOWN_GRACE_S: "2",
      JWT_SECRET: "cluster-main-secret-0123456789-abcdefghijkl",
    };
    for (const k of ["DATABASE_URL", "MONGO_URL", "SHARED_SQLITE_DIR", "ALLOW_PER_NODE_STORE", "DATA_DIR"]) delete env[k];
    const pool = spawn(process.execPath, ["--import", "tsx", join(repoRoot, "server/pool/main.ts")], { cwd: repoRoot, env, stdio: "ignore" });
    const nodes = () => { try { return JSON.parse(readFileSync(join(stateDir, "nodes.json"), "utf8")) as Array<{ port: number; pid: number; status: string }>; } catch { return []; } };
    try {
      const running = await until("two ready nodes", async () => {
        const list = nodes().filter((n) => n.status === "running");
        if (list.length < 2) return null;
        const ready = await Promise.all(list.map((n) => fetch(`http://127.0.0.1:${n.port}/readyz`).then((r) => r.status === 200, () => false)));
        return ready.every(Boolean) ? list : null;
      }, 90_000, 500);
      const [a, b] = running.map((n) => `http://127.0.0.1:${n.port}`);
      const onA = await guest(a, "device-npm-run-cluster");
      const onB = await guest(b, "device-npm-run-cluster");
      assert.equal(onB.playerId, onA.playerId);
    } finally {
      pool.kill("SIGKILL");
      for (const n of nodes()) { try { process.kill(n.pid, "SIGKILL"); } catch { /* already gone */ } }
      await redis.stop();
    }
  });
});
