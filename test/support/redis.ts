/**
 * The one Redis starter for tests: a throwaway redis-server on a free port (never 6379, no persistence),
 * the load tools' `RedisServer` underneath (tests and load tools share it; load tools may not import
 * from test/). `kill()` and `restart()` give an outage that loses every key on the same port; `client()`
 * hands out ioredis clients that `stop()` closes with the server.
 */
import { Redis } from "ioredis";
import { RedisServer } from "../../loadtest/index.ts";
import { requireBinary } from "./processes.ts";

export interface TestRedis {
  readonly url: string;
  readonly port: number;
  /** An ioredis client to this server, closed by `stop()`. */
  client(): Redis;
  /** SIGKILL: every key is gone (no persistence), as after a crash; clients reconnect after `restart()`. */
  kill(): Promise<void>;
  /** A new, empty redis-server on the same port (ready when this resolves). */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

export async function startRedis(): Promise<TestRedis> {
  requireBinary("redis-server", "Install it with `apt-get install redis-server` (.ci/run does this).");
  const server = await RedisServer.start();
  const clients: Redis[] = [];
  return {
    url: server.url,
    port: server.port,
    client() {
      const c = new Redis({ port: server.port, host: "127.0.0.1" });
      clients.push(c);
      return c;
    },
    kill: () => server.stop(),
    restart: () => server.start(),
    async stop() {
      await Promise.all(clients.map((c) => c.quit().catch(() => c.disconnect())));
      await server.stop();
    },
  };
}
