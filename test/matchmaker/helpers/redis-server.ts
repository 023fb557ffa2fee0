/**
 * Each Redis-backed suite starts its own throwaway redis-server on a free port (never
 * 6379), without persistence, and stops it afterwards.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { createServer } from "node:net";
import { Redis } from "ioredis";

export interface TestRedis {
  readonly port: number;
  client(): Redis;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      const port = typeof addr === "object" && addr ? addr.port : 0;
      srv.close(() => (port && port !== 6379 ? resolve(port) : reject(new Error("no free port"))));
    });
  });
}

export async function startRedis(): Promise<TestRedis> {
  const probe = spawnSync("redis-server", ["--version"], { encoding: "utf8" });
  if (probe.error || probe.status !== 0) {
    throw new Error("redis-server not found on PATH: install it (e.g. apt-get install redis-server) to run the Redis TicketStore and lease tests");
  }
  const port = await freePort();
  const proc: ChildProcess = spawn("redis-server", ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"], { stdio: "ignore" });
  const clients: Redis[] = [];
  const deadline = Date.now() + 5000;
  for (;;) {
    const probeClient = new Redis({ port, host: "127.0.0.1", lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    probeClient.on("error", () => {}); // refused while the server boots; retried below
    try {
      await probeClient.connect();
      await probeClient.ping();
      await probeClient.quit();
      break;
    } catch {
      probeClient.disconnect();
      if (Date.now() > deadline || proc.exitCode !== null) { proc.kill(); throw new Error(`redis-server did not start on port ${port}`); }
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  return {
    port,
    client() {
      const c = new Redis({ port, host: "127.0.0.1" });
      clients.push(c);
      return c;
    },
    async stop() {
      await Promise.all(clients.map((c) => c.quit().catch(() => c.disconnect())));
      if (proc.exitCode === null) {
        const exited = new Promise((r) => proc.once("exit", r));
        proc.kill("SIGTERM");
        await exited;
      }
    },
  };
}
