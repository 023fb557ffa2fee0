/**
 * Redis TicketStore for a cluster. Layout (prefix default `rally:mm:`), where `{sk}` is the
 * (mode, shard) key of `shardKey`: the mode alone for the `default` shard, `mode/shard` else:
 *   t:{id}       hash  data (ticket JSON), state, mode, shard, sk, enq, matchId (PEXPIRE once its
 *                      players were sent back to the queue: `expire`, cleared by `requeue`)
 *   w:{sk}       zset  waiting ticket ids of one (mode, shard), scored by enqueuedAt
 *   fence:{sk}   str   highest lease token that has claimed in this (mode, shard)
 * Every state change is one Lua script, so it is atomic against other matchers and the
 * queue rooms on other nodes. The client is injected; this class never connects or quits.
 * A hash written before shards existed has no `sk`: the scripts fall back to its mode.
 */
import type { Redis } from "ioredis";
import { TicketError, TicketState, type Ticket } from "./ticket.ts";
import { DEFAULT_SHARD } from "./rules.ts";
import { shardKey, type ClaimResult, type StoredTicket, type TicketStore, type WaitingFilter } from "./ticket-store.ts";

// KEYS: ticket hash, waiting zset; ARGV: data, mode, enq, id, shard, sk
const ADD = `
local state = redis.call('HGET', KEYS[1], 'state')
if state and state ~= 'cancelled' then return 0 end
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], 'data', ARGV[1], 'state', 'waiting', 'mode', ARGV[2], 'enq', ARGV[3], 'shard', ARGV[5], 'sk', ARGV[6])
redis.call('ZADD', KEYS[2], ARGV[3], ARGV[4])
return 1`;

const SK = `local sk = redis.call('HGET', KEYS[1], 'sk') or redis.call('HGET', KEYS[1], 'mode')`;

const CANCEL = `
if redis.call('HGET', KEYS[1], 'state') ~= 'waiting' then return 0 end
${SK}
redis.call('HSET', KEYS[1], 'state', 'cancelled')
redis.call('ZREM', ARGV[1] .. sk, ARGV[2])
return 1`;

// KEYS: fence, waiting zset, ticket hashes...; ARGV: fence token, matchId, sk, ticket ids...
const CLAIM = `
local fence = tonumber(ARGV[1])
local seen = tonumber(redis.call('GET', KEYS[1]) or '0')
if fence < seen then return -1 end
for i = 3, #KEYS do
  if redis.call('HGET', KEYS[i], 'state') ~= 'waiting' then return 0 end
  local sk = redis.call('HGET', KEYS[i], 'sk') or redis.call('HGET', KEYS[i], 'mode')
  if sk ~= ARGV[3] then return -2 end
end
redis.call('SET', KEYS[1], ARGV[1])
for i = 3, #KEYS do
  redis.call('HSET', KEYS[i], 'state', 'matched', 'matchId', ARGV[2])
  redis.call('ZREM', KEYS[2], ARGV[i + 1])
end
return 1`;

const REQUEUE = `
if redis.call('HGET', KEYS[1], 'state') ~= 'matched' then return 0 end
${SK}
local enq = redis.call('HGET', KEYS[1], 'enq')
redis.call('HSET', KEYS[1], 'state', 'waiting')
redis.call('HDEL', KEYS[1], 'matchId')
redis.call('PERSIST', KEYS[1])
redis.call('ZADD', ARGV[1] .. sk, enq, ARGV[2])
return 1`;

const REMOVE = `
if redis.call('EXISTS', KEYS[1]) == 1 then
  ${SK}
  redis.call('ZREM', ARGV[1] .. sk, ARGV[2])
end
redis.call('DEL', KEYS[1])
return 1`;

// only a matched ticket expires: a waiting one is in a zset and must stay consistent with it
const EXPIRE = `
if redis.call('HGET', KEYS[1], 'state') ~= 'matched' then return 0 end
redis.call('PEXPIRE', KEYS[1], ARGV[1])
return 1`;

/** Read page size for listWaiting: bounded pipelines instead of one huge reply. */
const PAGE = 1000;

export class RedisTicketStore implements TicketStore {
  constructor(private readonly redis: Redis, private readonly prefix = "rally:mm:") {}

  private tkey(id: string): string { return `${this.prefix}t:${id}`; }
  private wkey(sk: string): string { return `${this.prefix}w:${sk}`; }

  async add(ticket: Ticket, shard: string = DEFAULT_SHARD): Promise<void> {
    const sk = shardKey(ticket.mode, shard);
    const ok = await this.redis.eval(ADD, 2, this.tkey(ticket.id), this.wkey(sk),
      JSON.stringify(ticket), ticket.mode, String(ticket.enqueuedAt), ticket.id, shard, sk);
    if (ok !== 1) throw new TicketError("MM_DUPLICATE_TICKET", `ticket ${ticket.id} already queued`);
  }

  async cancel(ticketId: string): Promise<boolean> {
    return (await this.redis.eval(CANCEL, 1, this.tkey(ticketId), `${this.prefix}w:`, ticketId)) === 1;
  }

  async get(ticketId: string): Promise<StoredTicket | undefined> {
    const h = await this.redis.hgetall(this.tkey(ticketId));
    if (!h.data) return undefined;
    return { ticket: JSON.parse(h.data) as Ticket, state: h.state as TicketState, matchId: h.matchId || undefined, shard: h.shard || DEFAULT_SHARD };
  }

  async listWaiting(mode: string, filter: WaitingFilter = {}): Promise<Ticket[]> {
    const ids = await this.redis.zrange(this.wkey(shardKey(mode, filter.shard)), "0", "-1");
    const out: Ticket[] = [];
    for (let i = 0; i < ids.length; i += PAGE) {
      const page = ids.slice(i, i + PAGE);
      const pipe = this.redis.pipeline();
      for (const id of page) pipe.hmget(this.tkey(id), "data", "state");
      const replies = (await pipe.exec()) ?? [];
      for (const [err, value] of replies) {
        if (err) throw err;
        const [data, state] = value as [string | null, string | null];
        // a ticket claimed between ZRANGE and HMGET is skipped, not returned stale
        if (!data || state !== TicketState.waiting) continue;
        const t = JSON.parse(data) as Ticket;
        if (!filter.region || t.region === filter.region) out.push(t);
      }
    }
    return out;
  }

  async claim(mode: string, ticketIds: readonly string[], matchId: string, fence: number, shard: string = DEFAULT_SHARD): Promise<ClaimResult> {
    if (new Set(ticketIds).size !== ticketIds.length) return { ok: false, reason: "not-waiting" };
    const sk = shardKey(mode, shard);
    const keys = [`${this.prefix}fence:${sk}`, this.wkey(sk), ...ticketIds.map((id) => this.tkey(id))];
    const r = await this.redis.eval(CLAIM, keys.length, ...keys, String(fence), matchId, sk, ...ticketIds);
    if (r === 1) return { ok: true };
    return { ok: false, reason: r === -1 ? "stale-fence" : r === -2 ? "wrong-shard" : "not-waiting" };
  }

  async requeue(ticketId: string): Promise<boolean> {
    return (await this.redis.eval(REQUEUE, 1, this.tkey(ticketId), `${this.prefix}w:`, ticketId)) === 1;
  }

  async expire(ticketId: string, ttlMs: number): Promise<void> {
    await this.redis.eval(EXPIRE, 1, this.tkey(ticketId), String(Math.max(1, Math.round(ttlMs))));
  }

  async remove(ticketId: string): Promise<void> {
    await this.redis.eval(REMOVE, 1, this.tkey(ticketId), `${this.prefix}w:`, ticketId);
  }
}
