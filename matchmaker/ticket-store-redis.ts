/**
 * Redis TicketStore for a cluster. Layout (prefix default `rally:mm:`):
 *   t:{id}       hash  data (ticket JSON), state, mode, enq, matchId
 *   w:{mode}     zset  waiting ticket ids scored by enqueuedAt
 *   fence:{mode} str   highest lease token that has claimed for this mode
 * Every state change is one Lua script, so it is atomic against other matchers and the
 * queue rooms on other nodes. The client is injected; this class never connects or quits.
 */
import type { Redis } from "ioredis";
import { TicketError, TicketState, type Ticket } from "./ticket.ts";
import type { ClaimResult, StoredTicket, TicketStore } from "./ticket-store.ts";

const ADD = `
local state = redis.call('HGET', KEYS[1], 'state')
if state and state ~= 'cancelled' then return 0 end
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], 'data', ARGV[1], 'state', 'waiting', 'mode', ARGV[2], 'enq', ARGV[3])
redis.call('ZADD', KEYS[2], ARGV[3], ARGV[4])
return 1`;

const CANCEL = `
if redis.call('HGET', KEYS[1], 'state') ~= 'waiting' then return 0 end
local mode = redis.call('HGET', KEYS[1], 'mode')
redis.call('HSET', KEYS[1], 'state', 'cancelled')
redis.call('ZREM', ARGV[1] .. mode, ARGV[2])
return 1`;

// KEYS: fence, waiting zset, ticket hashes...; ARGV: fence token, matchId, ticket ids...
const CLAIM = `
local fence = tonumber(ARGV[1])
local seen = tonumber(redis.call('GET', KEYS[1]) or '0')
if fence < seen then return -1 end
for i = 3, #KEYS do
  if redis.call('HGET', KEYS[i], 'state') ~= 'waiting' then return 0 end
end
redis.call('SET', KEYS[1], fence)
for i = 3, #KEYS do
  redis.call('HSET', KEYS[i], 'state', 'matched', 'matchId', ARGV[2])
  redis.call('ZREM', KEYS[2], ARGV[i])
end
return 1`;

const REQUEUE = `
if redis.call('HGET', KEYS[1], 'state') ~= 'matched' then return 0 end
local mode = redis.call('HGET', KEYS[1], 'mode')
local enq = redis.call('HGET', KEYS[1], 'enq')
redis.call('HSET', KEYS[1], 'state', 'waiting')
redis.call('HDEL', KEYS[1], 'matchId')
redis.call('ZADD', ARGV[1] .. mode, enq, ARGV[2])
return 1`;

const REMOVE = `
local mode = redis.call('HGET', KEYS[1], 'mode')
if mode then redis.call('ZREM', ARGV[1] .. mode, ARGV[2]) end
redis.call('DEL', KEYS[1])
return 1`;

/** Read page size for listWaiting: bounded pipelines instead of one huge reply. */
const PAGE = 1000;

export class RedisTicketStore implements TicketStore {
  constructor(private readonly redis: Redis, private readonly prefix = "rally:mm:") {}

  private tkey(id: string): string { return `${this.prefix}t:${id}`; }
  private wkey(mode: string): string { return `${this.prefix}w:${mode}`; }

  async add(ticket: Ticket): Promise<void> {
    const ok = await this.redis.eval(ADD, 2, this.tkey(ticket.id), this.wkey(ticket.mode),
      JSON.stringify(ticket), ticket.mode, String(ticket.enqueuedAt), ticket.id);
    if (ok !== 1) throw new TicketError("MM_DUPLICATE_TICKET", `ticket ${ticket.id} already queued`);
  }

  async cancel(ticketId: string): Promise<boolean> {
    return (await this.redis.eval(CANCEL, 1, this.tkey(ticketId), `${this.prefix}w:`, ticketId)) === 1;
  }

  async get(ticketId: string): Promise<StoredTicket | undefined> {
    const h = await this.redis.hgetall(this.tkey(ticketId));
    if (!h.data) return undefined;
    return { ticket: JSON.parse(h.data) as Ticket, state: h.state as TicketState, matchId: h.matchId || undefined };
  }

  async listWaiting(mode: string, region?: string): Promise<Ticket[]> {
    const ids = await this.redis.zrange(this.wkey(mode), "0", "-1");
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
        if (!region || t.region === region) out.push(t);
      }
    }
    return out;
  }

  async claim(mode: string, ticketIds: readonly string[], matchId: string, fence: number): Promise<ClaimResult> {
    if (new Set(ticketIds).size !== ticketIds.length) return { ok: false, reason: "not-waiting" };
    const keys = [`${this.prefix}fence:${mode}`, this.wkey(mode), ...ticketIds.map((id) => this.tkey(id))];
    const r = await this.redis.eval(CLAIM, keys.length, ...keys, String(fence), matchId, ...ticketIds);
    if (r === 1) return { ok: true };
    return { ok: false, reason: r === -1 ? "stale-fence" : "not-waiting" };
  }

  async requeue(ticketId: string): Promise<boolean> {
    return (await this.redis.eval(REQUEUE, 1, this.tkey(ticketId), `${this.prefix}w:`, ticketId)) === 1;
  }

  async remove(ticketId: string): Promise<void> {
    await this.redis.eval(REMOVE, 1, this.tkey(ticketId), `${this.prefix}w:`, ticketId);
  }
}
