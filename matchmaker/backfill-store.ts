/**
 * Open backfill seats where every node reads them: a match room's node writes its opening (`put`,
 * again on every change; `remove` once nothing is open), the leader of the match's (mode, shard)
 * reads them each pass (`list`). Redis in a cluster (one hash per shard: `rally:mm:backfill:{shardKey}`,
 * field matchId), memory in one process. The leader removes openings past their `untilMs` and those
 * whose room is gone (its node died), so the hash stays bounded by the matches young enough to join;
 * the hash itself expires after the latest `untilMs` of what it holds, whoever dies.
 * Like the other stores, the Redis client is injected and never closed here.
 */
import type { Redis } from "ioredis";
import { z } from "zod";
import { backfillKey, backfillOpeningSchema } from "../protocol/index.ts";
import type { BackfillRequest } from "./backfill.ts";

const requestSchema = backfillOpeningSchema.extend({ ratings: z.array(z.array(z.number().finite())) })
  .refine((r) => r.ratings.length === r.teams.length && r.ratings.every((rs, i) => rs.length === r.teams[i]!.players.length), { message: "one rating per player" });

export interface BackfillStore {
  /**
   * Write (or replace) one match's opening in its shard's list. `ttlMs`: how long it may matter (until
   * its `untilMs`); the shard's hash lives at least that long, so a node that dies leaves nothing forever.
   */
  put(shardKey: string, request: BackfillRequest, ttlMs: number): Promise<void>;
  remove(shardKey: string, matchId: string): Promise<void>;
  /** Every opening of the shard (unparseable entries are dropped, never returned). */
  list(shardKey: string): Promise<BackfillRequest[]>;
}

export class MemoryBackfillStore implements BackfillStore {
  private readonly byShard = new Map<string, Map<string, BackfillRequest>>();

  async put(shardKey: string, request: BackfillRequest, _ttlMs: number): Promise<void> {
    let m = this.byShard.get(shardKey);
    if (!m) this.byShard.set(shardKey, m = new Map());
    m.set(request.matchId, request);
  }

  async remove(shardKey: string, matchId: string): Promise<void> {
    this.byShard.get(shardKey)?.delete(matchId);
  }

  async list(shardKey: string): Promise<BackfillRequest[]> {
    return [...(this.byShard.get(shardKey)?.values() ?? [])];
  }
}

/** HSET, then extend (never shorten) the hash's TTL to cover this opening: other matches' openings in it may need longer. */
const PUT = `
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
local want = tonumber(ARGV[3])
if redis.call('PTTL', KEYS[1]) < want then redis.call('PEXPIRE', KEYS[1], want) end
return 1`;

export class RedisBackfillStore implements BackfillStore {
  constructor(private readonly redis: Redis) {}

  async put(shardKey: string, request: BackfillRequest, ttlMs: number): Promise<void> {
    await this.redis.eval(PUT, 1, backfillKey(shardKey), request.matchId, JSON.stringify(request), String(Math.max(1000, Math.ceil(ttlMs))));
  }

  async remove(shardKey: string, matchId: string): Promise<void> {
    await this.redis.hdel(backfillKey(shardKey), matchId);
  }

  async list(shardKey: string): Promise<BackfillRequest[]> {
    const all = await this.redis.hgetall(backfillKey(shardKey));
    const out: BackfillRequest[] = [];
    const bad: string[] = [];
    for (const [matchId, raw] of Object.entries(all ?? {})) {
      let value: unknown;
      try { value = JSON.parse(raw); } catch { value = undefined; }
      const parsed = requestSchema.safeParse(value);
      if (parsed.success && parsed.data.matchId === matchId) out.push(parsed.data);
      else bad.push(matchId);
    }
    // a field nobody can read is never served; it goes
    if (bad.length) await this.redis.hdel(backfillKey(shardKey), ...bad);
    return out;
  }
}
