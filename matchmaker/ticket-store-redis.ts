/**
 * Redis TicketStore for a cluster. Layout (prefix default `rally:mm:`), where `{sk}` is the
 * (mode, shard) key of `shardKey`: the mode alone for the `default` shard, `mode/shard` else:
 *   t:{id}       hash  data (ticket JSON), state, mode, shard, sk, enq, matchId (PEXPIRE once its
 *                      players were sent back to the queue: `expire`, cleared by `requeue`)
 *   w:{sk}       zset  waiting ticket ids of one (mode, shard), scored by enqueuedAt
 *   fence:{sk}   str   highest lease token that has claimed in this (mode, shard)
 *   seq:{sk}     hash  change log head of w:{sk}: e (epoch: random, set once), n (seq of the last
 *                      change), f (the log is trimmed up to this seq)
 *   c:{sk}       zset  ticket ids whose waiting membership changed, scored by the seq of their
 *                      last change (the leader's mirror re-reads only these; trimmed on read)
 * Every state change is one Lua script, so it is atomic against other matchers and the
 * queue rooms on other nodes. The client is injected; this class never connects or quits.
 * A hash written before shards existed has no `sk`: the scripts fall back to its mode.
 */
import { MM_PREFIX } from "../protocol/index.ts";
import { randomUUID } from "node:crypto";
import type { Redis } from "ioredis";
import { RallyError } from "../protocol/index.ts";
import { TicketState, type Ticket } from "./ticket.ts";
import { DEFAULT_SHARD } from "./rules.ts";
import { shardKey, type ClaimResult, type StoredTicket, type TicketStore, type WaitingChanges, type WaitingCursor, type WaitingFilter, type WaitingSnapshot } from "./ticket-store.ts";

/**
 * Every script that changes a waiting list logs the ticket id in that list's change log, in the
 * same atomic step: \`logchange(prefix, sk, id, epoch)\` (epoch: the caller's candidate, kept only
 * if the log has none yet, e.g. after Redis lost its data).
 */
const LOG = `
local function logchange(p, sk, id, epoch)
  local head = p .. 'seq:' .. sk
  redis.call('HSETNX', head, 'e', epoch)
  redis.call('ZADD', p .. 'c:' .. sk, redis.call('HINCRBY', head, 'n', 1), id)
end`;

// KEYS: ticket hash, waiting zset; ARGV: data, mode, enq, id, shard, sk, prefix, epoch
const ADD = `${LOG}
local state = redis.call('HGET', KEYS[1], 'state')
if state and state ~= 'cancelled' then return 0 end
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], 'data', ARGV[1], 'state', 'waiting', 'mode', ARGV[2], 'enq', ARGV[3], 'shard', ARGV[5], 'sk', ARGV[6])
redis.call('ZADD', KEYS[2], ARGV[3], ARGV[4])
logchange(ARGV[7], ARGV[6], ARGV[4], ARGV[8])
return 1`;

const SK = `local sk = redis.call('HGET', KEYS[1], 'sk') or redis.call('HGET', KEYS[1], 'mode')`;

// KEYS: ticket hash; ARGV: prefix, id, epoch (the same for REQUEUE and REMOVE)
const CANCEL = `${LOG}
if redis.call('HGET', KEYS[1], 'state') ~= 'waiting' then return 0 end
${SK}
redis.call('HSET', KEYS[1], 'state', 'cancelled')
redis.call('ZREM', ARGV[1] .. 'w:' .. sk, ARGV[2])
logchange(ARGV[1], sk, ARGV[2], ARGV[3])
return 1`;

// KEYS: fence, waiting zset, ticket hashes...; ARGV: fence token, matchId, sk, prefix, epoch, ticket ids...
const CLAIM = `${LOG}
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
  redis.call('ZREM', KEYS[2], ARGV[i + 3])
  logchange(ARGV[4], ARGV[3], ARGV[i + 3], ARGV[5])
end
return 1`;

const REQUEUE = `${LOG}
if redis.call('HGET', KEYS[1], 'state') ~= 'matched' then return 0 end
${SK}
local enq = redis.call('HGET', KEYS[1], 'enq')
redis.call('HSET', KEYS[1], 'state', 'waiting')
redis.call('HDEL', KEYS[1], 'matchId')
redis.call('PERSIST', KEYS[1])
redis.call('ZADD', ARGV[1] .. 'w:' .. sk, enq, ARGV[2])
logchange(ARGV[1], sk, ARGV[2], ARGV[3])
return 1`;

const REMOVE = `${LOG}
if redis.call('EXISTS', KEYS[1]) == 1 then
  ${SK}
  if redis.call('ZREM', ARGV[1] .. 'w:' .. sk, ARGV[2]) == 1 then logchange(ARGV[1], sk, ARGV[2], ARGV[3]) end
end
redis.call('DEL', KEYS[1])
return 1`;

// KEYS: log head; ARGV: epoch candidate. Returns { epoch, seq } (the epoch is created if absent).
const HEAD = `
redis.call('HSETNX', KEYS[1], 'e', ARGV[1])
return { redis.call('HGET', KEYS[1], 'e'), tonumber(redis.call('HGET', KEYS[1], 'n') or '0') }`;

// KEYS: log head, change log, waiting zset; ARGV: cursor epoch, cursor seq, prefix, sk, max changes.
// Returns {0} when the log cannot continue from the cursor (or too much changed: a snapshot is
// cheaper), else { 1, seq, waiting count, id, data-or-'', id, data-or-'', ... } for every ticket
// changed after the cursor: data only if it waits in this (mode, shard) now. The log is then
// trimmed up to seq (one reader, the leader, follows it; another reader would see {0} and re-read).
const CHANGES = `
local e = redis.call('HGET', KEYS[1], 'e')
local n = tonumber(redis.call('HGET', KEYS[1], 'n') or '0')
local f = tonumber(redis.call('HGET', KEYS[1], 'f') or '0')
local my = tonumber(ARGV[2])
if e ~= ARGV[1] or n < my or my < f then return {0} end
if redis.call('ZCOUNT', KEYS[2], '(' .. ARGV[2], '+inf') > tonumber(ARGV[5]) then return {0} end
local ids = redis.call('ZRANGEBYSCORE', KEYS[2], '(' .. ARGV[2], '+inf')
local out = { 1, n, redis.call('ZCARD', KEYS[3]) }
for _, id in ipairs(ids) do
  local h = redis.call('HMGET', ARGV[3] .. 't:' .. id, 'data', 'state', 'sk', 'mode')
  out[#out + 1] = id
  if h[1] and h[2] == 'waiting' and (h[3] or h[4]) == ARGV[4] then out[#out + 1] = h[1] else out[#out + 1] = '' end
end
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', n)
redis.call('HSET', KEYS[1], 'f', n)
return out`;

// only a matched ticket expires: a waiting one is in a zset and must stay consistent with it
const EXPIRE = `
if redis.call('HGET', KEYS[1], 'state') ~= 'matched' then return 0 end
redis.call('PEXPIRE', KEYS[1], ARGV[1])
return 1`;

/** Read page size for listWaiting: bounded pipelines instead of one huge reply. */
const PAGE = 1000;
/** More changes than this since a cursor: a paged snapshot instead of one long-running script. */
const MAX_CHANGES = 20_000;

export class RedisTicketStore implements TicketStore {
  private readonly epochBase = randomUUID();
  private epochs = 0;

  /**
   * A candidate for a change log's epoch, kept only by a log that has none. A new one per call:
   * after Redis lost its data, the log this client re-creates must not carry the epoch it had.
   */
  private get epoch(): string { return `${this.epochBase}.${(this.epochs++).toString(36)}`; }

  constructor(private readonly redis: Redis, private readonly prefix = MM_PREFIX) {}

  private tkey(id: string): string { return `${this.prefix}t:${id}`; }
  private wkey(sk: string): string { return `${this.prefix}w:${sk}`; }

  async add(ticket: Ticket, shard: string = DEFAULT_SHARD): Promise<void> {
    const sk = shardKey(ticket.mode, shard);
    const ok = await this.redis.eval(ADD, 2, this.tkey(ticket.id), this.wkey(sk),
      JSON.stringify(ticket), ticket.mode, String(ticket.enqueuedAt), ticket.id, shard, sk, this.prefix, this.epoch);
    if (ok !== 1) throw new RallyError("MM_DUPLICATE_TICKET", `ticket ${ticket.id} already queued`);
  }

  async cancel(ticketId: string): Promise<boolean> {
    return (await this.redis.eval(CANCEL, 1, this.tkey(ticketId), this.prefix, ticketId, this.epoch)) === 1;
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
    const r = await this.redis.eval(CLAIM, keys.length, ...keys, String(fence), matchId, sk, this.prefix, this.epoch, ...ticketIds);
    if (r === 1) return { ok: true };
    return { ok: false, reason: r === -1 ? "stale-fence" : r === -2 ? "wrong-shard" : "not-waiting" };
  }

  async requeue(ticketId: string): Promise<boolean> {
    return (await this.redis.eval(REQUEUE, 1, this.tkey(ticketId), this.prefix, ticketId, this.epoch)) === 1;
  }

  async expire(ticketId: string, ttlMs: number): Promise<void> {
    await this.redis.eval(EXPIRE, 1, this.tkey(ticketId), String(Math.max(1, Math.round(ttlMs))));
  }

  async remove(ticketId: string): Promise<void> {
    await this.redis.eval(REMOVE, 1, this.tkey(ticketId), this.prefix, ticketId, this.epoch);
  }

  private headKey(sk: string): string { return `${this.prefix}seq:${sk}`; }

  async snapshotWaiting(mode: string, shard: string = DEFAULT_SHARD): Promise<WaitingSnapshot> {
    // the head first: a change during the paged read has a later seq, so the next
    // waitingChanges re-reads that ticket (the list may be newer than the cursor, never older)
    const [epoch, seq] = await this.redis.eval(HEAD, 1, this.headKey(shardKey(mode, shard)), this.epoch) as [string, number];
    return { cursor: { epoch, seq: Number(seq) }, tickets: await this.listWaiting(mode, { shard }) };
  }

  async waitingChanges(mode: string, shard: string, cursor: WaitingCursor): Promise<WaitingChanges | null> {
    const sk = shardKey(mode, shard);
    const r = await this.redis.eval(CHANGES, 3, this.headKey(sk), `${this.prefix}c:${sk}`, this.wkey(sk),
      cursor.epoch, String(cursor.seq), this.prefix, sk, String(MAX_CHANGES)) as Array<string | number>;
    if (Number(r[0]) !== 1) return null;
    const waiting: Ticket[] = [], gone: string[] = [];
    for (let i = 3; i < r.length; i += 2) {
      const data = String(r[i + 1]);
      if (data) waiting.push(JSON.parse(data) as Ticket);
      else gone.push(String(r[i]));
    }
    return { cursor: { epoch: cursor.epoch, seq: Number(r[1]) }, waiting, gone, count: Number(r[2]) };
  }
}
