/**
 * Refuses a platform token the second time it is presented, until it would have expired anyway.
 * With Redis (REDIS_URL) the record is a `SET NX PX` shared by every node, so a token replayed to
 * another node is refused too; without Redis, or while Redis is unreachable, each node remembers
 * what it saw in a bounded LRU (a replay to another node is then not caught; logged).
 */
import { createHash } from "node:crypto";
import type { Redis } from "ioredis";
import { LRUCache } from "lru-cache";
import type { Logger } from "../../log.ts";

export interface ReplayGuard {
  /** True the first time `parts` are seen within `ttlMs`; false for a replay. */
  first(parts: readonly string[], ttlMs: number): Promise<boolean>;
}

export function createReplayGuard(options: { redis?: Redis; logger?: Logger; max?: number } = {}): ReplayGuard {
  const { redis, logger } = options;
  const seen = new LRUCache<string, true>({ max: options.max ?? 100_000, ttl: 1000, ttlAutopurge: false });
  let lastWarn = 0;
  return {
    async first(parts, ttlMs) {
      // Hashed: the record never holds a usable token, and keys have one size.
      const key = createHash("sha256").update(parts.join("\u0000")).digest("base64url");
      const ttl = Math.max(1000, Math.ceil(ttlMs));
      if (seen.has(key)) return false;
      seen.set(key, true, { ttl });
      if (!redis) return true;
      try {
        return (await redis.set(`rally:replay:${key}`, "1", "PX", ttl, "NX")) === "OK";
      } catch (err) {
        if (Date.now() - lastWarn > 10_000) {
          lastWarn = Date.now();
          logger?.warn({ err }, "platform sign-in: Redis unavailable, replays are checked on this node only");
        }
        return true;
      }
    },
  };
}
