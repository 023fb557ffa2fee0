/**
 * A local Rally cluster for the load and chaos tools: N node processes (`node --import tsx
 * server/main.ts`, what `npm start` runs) on loopback, a private redis-server on a free port, and a
 * shared store (one SHARED_SQLITE_DIR, or a private PostgreSQL). Every process can be stopped with a
 * chosen signal and started again on the same port, which is what the chaos faults need. Never the
 * machine's shared Redis (6379) or PostgreSQL (5432).
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Redis } from "ioredis";
import { freePort } from "../server/pool/providers/local.ts";
import { startPostgres, type PostgresHandle } from "./postgres.ts";
import { until } from "./wait.ts";

export const repoRoot = fileURLToPath(new URL("../", import.meta.url));

/** Rate limits raised for many players from one loopback address (the defaults protect a public node). */
export const LOAD_ENV: Readonly<Record<string, string>> = {
  AUTH_RATE_PER_MIN: "1000000",
  API_RATE_PER_MIN: "1000000",
  ACCOUNT_RATE_PER_MIN: "1000000",
  MATCHMAKE_RATE_PER_MIN: "10000",
  GUEST_DEVICE_RATE_PER_MIN: "1000",
  ROOM_CREATES_PER_MIN: "10000",
};

function requireBinary(name: string, hint: string): void {
  const found = spawnSync("sh", ["-c", `command -v ${name}`], { encoding: "utf8" });
  if (found.status !== 0) throw new Error(`${name} is required but was not found on PATH. ${hint}`);
}

function exitOf(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once("exit", () => resolve()));
}

async function redisPing(port: number): Promise<boolean> {
  const c = new Redis({ port, host: "127.0.0.1", lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  c.on("error", () => undefined);
  try {
    await c.connect();
    return (await c.ping()) === "PONG";
  } catch {
    return false;
  } finally {
    c.disconnect();
  }
}

/** A private, non-persistent redis-server that can be killed and started again on the same port. */
export class RedisServer {
  private child: ChildProcess | undefined;
  private constructor(readonly port: number) {}

  get url(): string { return `redis://127.0.0.1:${this.port}`; }
  get running(): boolean { return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null; }

  static async start(): Promise<RedisServer> {
    requireBinary("redis-server", "Install it with `apt-get install redis-server` (.ci/run does this).");
    const server = new RedisServer(await freePort());
    await server.start();
    return server;
  }

  async start(): Promise<void> {
    if (this.running) return;
    this.child = spawn("redis-server", ["--port", String(this.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"], { stdio: "ignore" });
    await until(`redis-server on port ${this.port}`, () => redisPing(this.port), 10_000, 100);
  }

  /** SIGKILL: every key is gone (no persistence), as after a crash of a cache-only Redis. */
  async stop(): Promise<void> {
    const child = this.child;
    if (!child || !this.running) return;
    const exited = exitOf(child);
    child.kill("SIGKILL");
    await exited;
  }
}

export interface ClusterNode {
  readonly index: number;
  readonly port: number;
  readonly url: string;
  /** Colyseus processId of the current process (changes at each start); "" while stopped. */
  processId: string;
  readonly running: boolean;
  readonly pid: number | undefined;
  /** The last log lines (JSON), for a report or a failure. */
  readonly output: string[];
  start(): Promise<void>;
  /** Sends `signal` and waits for the exit (SIGTERM drains: the node waits for its matches). */
  stop(signal?: NodeJS.Signals): Promise<void>;
  /** Resolves when the current process exits. */
  exited(): Promise<void>;
}

export interface ClusterOptions {
  nodes: number;
  store: "sqlite" | "postgres";
  /** Extra environment for every node (after LOAD_ENV and the cluster's own settings). */
  env?: Record<string, string>;
}

export interface LocalCluster {
  readonly nodes: ClusterNode[];
  readonly redis: RedisServer;
  readonly postgres: PostgresHandle | undefined;
  readonly metricsToken: string;
  stop(): Promise<void>;
}

const OUTPUT_LINES = 200;

function makeNode(index: number, port: number, env: Record<string, string>): ClusterNode {
  let child: ChildProcess | undefined;
  const output: string[] = [];
  const push = (d: Buffer) => {
    output.push(...d.toString().split("\n").filter(Boolean));
    if (output.length > OUTPUT_LINES) output.splice(0, output.length - OUTPUT_LINES);
  };
  const url = `http://127.0.0.1:${port}`;
  const node: ClusterNode = {
    index, port, url, output,
    processId: "",
    get running() { return child !== undefined && child.exitCode === null && child.signalCode === null; },
    get pid() { return child?.pid; },
    async start() {
      if (node.running) return;
      const c = spawn(process.execPath, ["--import", "tsx", join(repoRoot, "server/main.ts")], {
        cwd: repoRoot,
        env: { ...process.env, ...env, PORT: String(port), PUBLIC_ADDRESS: `127.0.0.1:${port}` },
        stdio: ["ignore", "pipe", "pipe"],
      });
      child = c;
      c.stdout!.on("data", push);
      c.stderr!.on("data", push);
      const early = exitOf(c).then(() => { throw new Error(`node ${index} (port ${port}) exited early:\n${output.slice(-30).join("\n")}`); });
      early.catch(() => undefined);
      try {
        await Promise.race([until(`node ${index} on port ${port}`, async () => (await fetch(`${url}/readyz`)).status === 200, 60_000, 200), early]);
        const ready = await (await fetch(`${url}/readyz`)).json() as { processId?: string };
        node.processId = ready.processId ?? "";
      } catch (e) {
        c.kill("SIGKILL");
        throw e;
      }
    },
    async stop(signal: NodeJS.Signals = "SIGKILL") {
      const c = child;
      if (!c || !node.running) return;
      const exited = exitOf(c);
      c.kill(signal);
      await exited;
    },
    exited: () => (child ? exitOf(child) : Promise.resolve()),
  };
  return node;
}

/** Starts Redis, the store and `options.nodes` nodes (one after the other: each registers before the next). */
export async function startCluster(options: ClusterOptions): Promise<LocalCluster> {
  const temp = mkdtempSync(join(tmpdir(), "rally-loadtest-"));
  const redis = await RedisServer.start();
  let postgres: PostgresHandle | undefined;
  const nodes: ClusterNode[] = [];
  const metricsToken = randomBytes(24).toString("hex");
  const stop = async () => {
    await Promise.allSettled(nodes.map((n) => n.stop("SIGKILL")));
    await redis.stop();
    await postgres?.stop();
    rmSync(temp, { recursive: true, force: true });
  };
  try {
    const store: Record<string, string> = {};
    if (options.store === "postgres") {
      postgres = await startPostgres();
      store.DATABASE_URL = await postgres.createDatabase("rally_loadtest");
    } else {
      store.SHARED_SQLITE_DIR = mkdtempSync(join(temp, "store-"));
    }
    const env: Record<string, string> = {
      ...LOAD_ENV,
      REDIS_URL: redis.url,
      ...store,
      JWT_SECRET: randomBytes(32).toString("hex"),
      ADMIN_TOKEN: randomBytes(32).toString("hex"),
      METRICS_TOKEN: metricsToken,
      LOG_LEVEL: "warn",
      SERVE_DEMO: "false",
      REGION: "local",
      MM_LEASE_TTL_MS: "2000",
      ...options.env,
    };
    for (let i = 0; i < options.nodes; i++) {
      const node = makeNode(i, await freePort(), { ...env, DATA_DIR: mkdtempSync(join(temp, `node${i}-`)) });
      nodes.push(node);
      await node.start();
    }
    return { nodes, redis, postgres, metricsToken, stop };
  } catch (e) {
    await stop();
    throw e;
  }
}
