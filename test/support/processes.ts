/**
 * Real processes for tests: a free port, a private redis-server, a Rally node as a child process.
 * Nothing here is mocked; each helper cleans up what it started.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Client } from "@colyseus/sdk";
import { freePort } from "../../server/pool/providers/local.ts";
import { until } from "./wait.ts";
import { startRedis, type TestRedis as RedisHandle } from "./redis.ts";

export const repoRoot = fileURLToPath(new URL("../../", import.meta.url));

// The local node provider's free-port helper, shared by tests rather than copied.
export { freePort };

export function tempDir(prefix = "rally-test-"): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** Fails loudly (never skips) when a required binary is missing. */
export function requireBinary(name: string, hint: string): void {
  const found = spawnSync("sh", ["-c", `command -v ${name}`], { encoding: "utf8" });
  if (found.status !== 0) throw new Error(`${name} is required for this test but was not found on PATH. ${hint}`);
}


// The one Redis starter (test/support/redis.ts), under the name the process tests import it by.
export { startRedis, type RedisHandle };

export interface NodeHandle {
  readonly port: number;
  readonly url: string;
  readonly child: ChildProcess;
  /** Everything the node printed (JSON log lines), for assertions and for debugging a failure. */
  readonly output: string[];
  /** Sends a signal and waits for exit; resolves to the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
  exited: Promise<number | null>;
}

/** `tsx server/main.ts` (or another `entry` that starts a node) as a child process (what `npm start` runs), ready when /readyz says 200. */
export async function startNodeProcess(env: Record<string, string> = {}, entry = "server/main.ts"): Promise<NodeHandle> {
  const port = Number(env.PORT ?? await freePort());
  const output: string[] = [];
  const child = spawn(process.execPath, ["--import", "tsx", join(repoRoot, entry)], {
    cwd: repoRoot,
    env: { ...process.env, DATA_DIR: tempDir(), LOG_LEVEL: "info", ...env, PORT: String(port) },
    stdio: ["ignore", "pipe", "pipe"],
  });
  child.stdout!.on("data", (d: Buffer) => output.push(...d.toString().split("\n").filter(Boolean)));
  child.stderr!.on("data", (d: Buffer) => output.push(...d.toString().split("\n").filter(Boolean)));
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  const url = `http://127.0.0.1:${port}`;
  try {
    await Promise.race([
      until(`node on port ${port}`, async () => (await fetch(`${url}/readyz`)).status === 200, 30_000, 100),
      exited.then((code) => { throw new Error(`node exited early with ${code}:\n${output.join("\n")}`); }),
    ]);
  } catch (e) {
    child.kill("SIGKILL");
    throw e;
  }
  return {
    port, url, child, output, exited,
    stop: async (signal = "SIGTERM") => {
      if (child.exitCode === null) child.kill(signal);
      return exited;
    },
  };
}

/** POST /v1/auth/guest and return the body. */
export async function guest(baseUrl: string, deviceId?: string): Promise<{ playerId: string; name: string; token: string; refreshToken: string }> {
  const res = await fetch(`${baseUrl}/v1/auth/guest`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(deviceId ? { deviceId } : {}),
  });
  if (res.status !== 200) throw new Error(`guest login failed: ${res.status} ${await res.text()}`);
  return res.json() as Promise<{ playerId: string; name: string; token: string; refreshToken: string }>;
}

/** An official-SDK client of `node`, signed in with `token`. */
export function sdkClientOf(node: { readonly url: string }, token: string): Client {
  const c = new Client(node.url);
  c.auth.token = token;
  return c;
}

/** A mocha `afterEach`: when the test failed, print the last 40 output lines of each node (A, B, ...). */
export function printNodesOnFailure(nodes: readonly NodeHandle[]) {
  return function (this: Mocha.Context): void {
    if (this.currentTest?.state !== "failed") return;
    for (const [i, n] of nodes.entries()) console.error(`--- node ${String.fromCharCode(65 + i)} output:\n${n.output.slice(-40).join("\n")}`);
  };
}

/**
 * `count` node processes sharing one Redis and one store directory (a cluster on this machine): each
 * on a free port with its own PUBLIC_ADDRESS; warn-level logs, no demo, region "local" and a raised
 * sign-in limit unless `env` says otherwise.
 */
export async function startClusterNodes(count: number, redisUrl: string, env: Record<string, string> = {}, entry?: string): Promise<NodeHandle[]> {
  const common = { REDIS_URL: redisUrl, SHARED_SQLITE_DIR: tempDir("rally-cluster-store-"), LOG_LEVEL: "warn", SERVE_DEMO: "false", REGION: "local", AUTH_RATE_PER_MIN: "1000", ...env };
  const nodes: NodeHandle[] = [];
  for (let i = 0; i < count; i++) {
    const port = await freePort();
    nodes.push(await startNodeProcess({ ...common, PORT: String(port), PUBLIC_ADDRESS: `127.0.0.1:${port}` }, entry));
  }
  return nodes;
}

/**
 * A mocha fixture for a describe block: a private redis-server and `count` cluster nodes on it, started
 * `before` the tests; `after` them, SDK rooms pushed to `rooms` are left, the nodes SIGKILLed and Redis
 * stopped; a failed test prints the nodes' output.
 */
export function useCluster(count: number, env: Record<string, string> = {}): { redis(): RedisHandle; readonly nodes: NodeHandle[]; readonly rooms: Array<{ readonly connection?: { readonly isOpen: boolean }; leave(consented?: boolean): Promise<unknown> }> } {
  let redis: RedisHandle | undefined;
  const nodes: NodeHandle[] = [];
  const rooms: Array<{ readonly connection?: { readonly isOpen: boolean }; leave(consented?: boolean): Promise<unknown> }> = [];
  before(async () => {
    redis = await startRedis();
    nodes.push(...await startClusterNodes(count, redis.url, env));
  });
  after(async () => {
    await Promise.allSettled(rooms.map((x) => (x.connection?.isOpen ? x.leave(true) : undefined)));
    await Promise.allSettled(nodes.map((n) => n.stop("SIGKILL")));
    await redis?.stop();
  });
  afterEach(printNodesOnFailure(nodes));
  return {
    redis() {
      if (!redis) throw new Error("the cluster's Redis is not started yet (use it inside a test)");
      return redis;
    },
    nodes, rooms,
  };
}
