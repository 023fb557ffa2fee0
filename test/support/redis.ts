/**
 * Each Redis-backed suite starts its own throwaway redis-server (test/support/processes.ts: a free
 * port, never 6379, no persistence) and gets ioredis clients that are closed with it.
 */
import { Redis } from "ioredis";
import { startRedis as startRedisServer } from "./processes.ts";

export interface TestRedis {
  readonly port: number;
  client(): Redis;
  stop(): Promise<void>;
}

export async function startRedis(): Promise<TestRedis> {
  const server = await startRedisServer();
  const clients: Redis[] = [];
  return {
    port: server.port,
    client() {
      const c = new Redis({ port: server.port, host: "127.0.0.1" });
      clients.push(c);
      return c;
    },
    async stop() {
      await Promise.all(clients.map((c) => c.quit().catch(() => c.disconnect())));
      await server.stop();
    },
  };
}
