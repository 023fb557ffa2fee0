/**
 * Who is queued or playing, cluster-wide: one record per player, so no player is ever in two
 * tickets or two matches. The queue takes records for every player of a ticket at once
 * (all or nothing); the provisioner marks them with the match; the match's end (or a no-show
 * re-queue) releases or resets them. Records carry the player's display name, which the
 * provisioner needs for seat reservations on another process.
 *
 * Memory for one process, Redis (one hash per player, Lua for the all-or-nothing take) in a
 * cluster. Like the TicketStore, the Redis client is injected and never closed here.
 */
import { MM_PREFIX } from "../protocol/index.ts";
import type { Redis } from "ioredis";

export const PlayerQueueState = {
  /** in the queue with this ticket */
  queued: "queued",
  /** claimed into `matchId` (seat handed out, or playing) */
  matched: "matched",
  /** the match fell through (someone never connected): rejoining the queue resumes `ticketId` */
  requeue: "requeue",
} as const;
export type PlayerQueueState = typeof PlayerQueueState[keyof typeof PlayerQueueState];

export interface PlayerRecord {
  readonly playerId: string;
  readonly ticketId: string;
  readonly name: string;
  readonly state: PlayerQueueState;
  readonly matchId?: string;
  /** ms epoch of the last change or heartbeat (a queue connection refreshes it) */
  readonly at: number;
  /** process id of the node whose queue room holds the ticket (absent if unknown): when that node is dead, the record is stale */
  readonly node?: string;
  /** process id of the node hosting the match room (set once the room exists): when that node dies, the reaper releases the record */
  readonly host?: string;
}

/** A change to records still owned by a ticket. */
export interface PlayerPatch {
  readonly state?: PlayerQueueState;
  /** null clears */
  readonly matchId?: string | null;
  /** the node whose queue room now holds the ticket (null clears: no queue room holds it any more) */
  readonly node?: string | null;
  /** the node hosting the match room (null clears) */
  readonly host?: string | null;
  /** the records vanish after this many ms unless updated again (a state change without it: they never expire) */
  readonly ttlMs?: number;
}

export interface PlayerIndex {
  /** Take records for all players for `ticketId` (queued on `node`), or none: returns the first conflicting record. */
  take(players: readonly { playerId: string; name: string }[], ticketId: string, now: number, node?: string): Promise<PlayerRecord | null>;
  get(playerId: string): Promise<PlayerRecord | undefined>;
  /** `get` for many players, in `playerIds` order (undefined: no record): the leader's orphan sweep and provisioning read one per waiting ticket or seat. */
  getMany(playerIds: readonly string[]): Promise<(PlayerRecord | undefined)[]>;
  /**
   * Update the records still owned by `ticketId` (state, matchId, node, host, heartbeat). `ttlMs` sets
   * an expiry; a state change without it clears any expiry; a plain heartbeat (no state) keeps it, so a
   * queue room's heartbeat never removes a matched record's safety TTL.
   */
  update(playerIds: readonly string[], ticketId: string, patch: PlayerPatch, now: number): Promise<void>;
  /** Drop the records still owned by `ticketId` (cancelled, or the match is over). */
  release(playerIds: readonly string[], ticketId: string): Promise<void>;
  /** Every record, in pages (the dead-node reaper looks for the players of a dead node: rare, bounded by players in play). */
  scan(): AsyncIterable<PlayerRecord[]>;
}

export class MemoryPlayerIndex implements PlayerIndex {
  private readonly records = new Map<string, PlayerRecord & { expiresAt?: number }>();

  /** `now` only decides expiry (records updated with a `ttlMs`). */
  constructor(private readonly now: () => number = Date.now) {}

  private live(id: string) {
    const cur = this.records.get(id);
    if (cur?.expiresAt !== undefined && cur.expiresAt <= this.now()) {
      this.records.delete(id);
      return undefined;
    }
    return cur;
  }

  async take(players: readonly { playerId: string; name: string }[], ticketId: string, now: number, node?: string): Promise<PlayerRecord | null> {
    for (const p of players) {
      const cur = this.live(p.playerId);
      if (cur && cur.ticketId !== ticketId) return strip(cur);
    }
    for (const p of players) this.records.set(p.playerId, { playerId: p.playerId, name: p.name, ticketId, state: PlayerQueueState.queued, at: now, ...(node ? { node } : {}) });
    return null;
  }

  async get(playerId: string): Promise<PlayerRecord | undefined> {
    const cur = this.live(playerId);
    return cur && strip(cur);
  }

  async getMany(playerIds: readonly string[]): Promise<(PlayerRecord | undefined)[]> {
    return Promise.all(playerIds.map((id) => this.get(id)));
  }


  async update(playerIds: readonly string[], ticketId: string, patch: PlayerPatch, now: number): Promise<void> {
    for (const id of playerIds) {
      const cur = this.live(id);
      if (!cur || cur.ticketId !== ticketId) continue;
      const next: PlayerRecord & { expiresAt?: number } = { ...cur, state: patch.state ?? cur.state, at: now };
      if (patch.matchId === null) delete (next as { matchId?: string }).matchId;
      else if (patch.matchId !== undefined) (next as { matchId?: string }).matchId = patch.matchId;
      if (patch.node === null) delete (next as { node?: string }).node;
      else if (patch.node !== undefined) (next as { node?: string }).node = patch.node;
      if (patch.host === null) delete (next as { host?: string }).host;
      else if (patch.host !== undefined) (next as { host?: string }).host = patch.host;
      if (patch.ttlMs !== undefined) next.expiresAt = this.now() + patch.ttlMs;
      else if (patch.state !== undefined) delete next.expiresAt;
      this.records.set(id, next);
    }
  }

  async release(playerIds: readonly string[], ticketId: string): Promise<void> {
    for (const id of playerIds) if (this.records.get(id)?.ticketId === ticketId) this.records.delete(id);
  }

  async *scan(): AsyncIterable<PlayerRecord[]> {
    const out: PlayerRecord[] = [];
    for (const id of [...this.records.keys()]) {
      const r = this.live(id);
      if (r) out.push(strip(r));
    }
    if (out.length) yield out;
  }
}

function strip(r: PlayerRecord & { expiresAt?: number }): PlayerRecord {
  const { expiresAt: _e, ...rest } = r;
  return rest;
}

// KEYS: player hashes; ARGV: ticketId, now, node ('' = unknown), then name per key. Returns 0, or the index (1-based) of a conflict.
const TAKE = `
for i = 1, #KEYS do
  local owner = redis.call('HGET', KEYS[i], 'ticketId')
  if owner and owner ~= ARGV[1] then return i end
end
for i = 1, #KEYS do
  redis.call('DEL', KEYS[i])
  redis.call('HSET', KEYS[i], 'ticketId', ARGV[1], 'name', ARGV[3 + i], 'state', 'queued', 'at', ARGV[2])
  if ARGV[3] ~= '' then redis.call('HSET', KEYS[i], 'node', ARGV[3]) end
end
return 0`;

// KEYS: player hashes; ARGV: ticketId, now, state ('' = keep), matchId ('' = keep, '-' = clear), node ('' = keep), ttl ms ('' = keep, or persist when the state changes), host ('' = keep, '-' = clear)
const UPDATE = `
for i = 1, #KEYS do
  if redis.call('HGET', KEYS[i], 'ticketId') == ARGV[1] then
    redis.call('HSET', KEYS[i], 'at', ARGV[2])
    if ARGV[3] ~= '' then redis.call('HSET', KEYS[i], 'state', ARGV[3]) end
    if ARGV[4] == '-' then redis.call('HDEL', KEYS[i], 'matchId')
    elseif ARGV[4] ~= '' then redis.call('HSET', KEYS[i], 'matchId', ARGV[4]) end
    if ARGV[5] == '-' then redis.call('HDEL', KEYS[i], 'node')
    elseif ARGV[5] ~= '' then redis.call('HSET', KEYS[i], 'node', ARGV[5]) end
    if ARGV[7] == '-' then redis.call('HDEL', KEYS[i], 'host')
    elseif ARGV[7] ~= '' then redis.call('HSET', KEYS[i], 'host', ARGV[7]) end
    if ARGV[6] ~= '' then redis.call('PEXPIRE', KEYS[i], ARGV[6]) elseif ARGV[3] ~= '' then redis.call('PERSIST', KEYS[i]) end
  end
end
return 1`;

const RELEASE = `
for i = 1, #KEYS do
  if redis.call('HGET', KEYS[i], 'ticketId') == ARGV[1] then redis.call('DEL', KEYS[i]) end
end
return 1`;

// KEYS: player hashes. Returns each hash's fields and values, flat, in KEYS order.
const GET_MANY = `
local out = {}
for i = 1, #KEYS do out[i] = redis.call('HGETALL', KEYS[i]) end
return out`;

/** `{prefix}p:{playerId}` hash: ticketId, name, state, matchId, at, node, host (PEXPIRE while waiting for a requeued player, and as a safety net while matched). */
export class RedisPlayerIndex implements PlayerIndex {
  constructor(private readonly redis: Redis, private readonly prefix = MM_PREFIX) {}

  private key(id: string): string { return `${this.prefix}p:${id}`; }

  async take(players: readonly { playerId: string; name: string }[], ticketId: string, now: number, node?: string): Promise<PlayerRecord | null> {
    const keys = players.map((p) => this.key(p.playerId));
    const r = Number(await this.redis.eval(TAKE, keys.length, ...keys, ticketId, String(now), node ?? "", ...players.map((p) => p.name)));
    if (r === 0) return null;
    return (await this.get(players[r - 1].playerId)) ?? null;
  }

  async get(playerId: string): Promise<PlayerRecord | undefined> {
    return RedisPlayerIndex.fromHash(playerId, await this.redis.hgetall(this.key(playerId)));
  }

  /** A record from its hash (`get` and `getMany` read the same fields). */
  private static fromHash(playerId: string, h: Record<string, string>): PlayerRecord | undefined {
    if (!h.ticketId) return undefined;
    return { playerId, ticketId: h.ticketId, name: h.name ?? playerId, state: h.state as PlayerQueueState, matchId: h.matchId || undefined, at: Number(h.at) || 0, ...(h.node ? { node: h.node } : {}), ...(h.host ? { host: h.host } : {}) };
  }

  /** `get` for many players: one script call per 1000 (a command per record costs more in the client than in Redis). */
  async getMany(playerIds: readonly string[]): Promise<(PlayerRecord | undefined)[]> {
    const out: (PlayerRecord | undefined)[] = [];
    for (let i = 0; i < playerIds.length; i += 1000) {
      const page = playerIds.slice(i, i + 1000);
      const replies = await this.redis.eval(GET_MANY, page.length, ...page.map((id) => this.key(id))) as string[][];
      replies.forEach((flat, k) => {
        const h: Record<string, string> = {};
        for (let j = 0; j + 1 < flat.length; j += 2) h[flat[j]] = flat[j + 1];
        out.push(RedisPlayerIndex.fromHash(page[k], h));
      });
    }
    return out;
  }

  async update(playerIds: readonly string[], ticketId: string, patch: PlayerPatch, now: number): Promise<void> {
    if (!playerIds.length) return;
    const keys = playerIds.map((id) => this.key(id));
    const ttl = patch.ttlMs === undefined ? "" : String(Math.max(1, Math.round(patch.ttlMs)));
    await this.redis.eval(UPDATE, keys.length, ...keys, ticketId, String(now), patch.state ?? "", patch.matchId === null ? "-" : patch.matchId ?? "", patch.node === null ? "-" : patch.node ?? "", ttl, patch.host === null ? "-" : patch.host ?? "");
  }

  async release(playerIds: readonly string[], ticketId: string): Promise<void> {
    if (!playerIds.length) return;
    const keys = playerIds.map((id) => this.key(id));
    await this.redis.eval(RELEASE, keys.length, ...keys, ticketId);
  }

  async *scan(): AsyncIterable<PlayerRecord[]> {
    let cursor = "0";
    do {
      const [next, keys] = await this.redis.scan(cursor, "MATCH", `${this.prefix}p:*`, "COUNT", 500);
      cursor = next;
      if (!keys.length) continue;
      const pipe = this.redis.pipeline();
      for (const k of keys) pipe.hgetall(k);
      const replies = (await pipe.exec()) ?? [];
      const page: PlayerRecord[] = [];
      replies.forEach(([err, h], i) => {
        const rec = err || !h ? undefined : RedisPlayerIndex.fromHash(keys[i]!.slice(`${this.prefix}p:`.length), h as Record<string, string>);
        if (rec) page.push(rec);
      });
      if (page.length) yield page;
    } while (cursor !== "0");
  }
}

