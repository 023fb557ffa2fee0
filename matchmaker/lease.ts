/**
 * Leases so each (mode, region shard) matcher runs on exactly one process at a time.
 *
 * A grant carries a fencing token that only ever grows per lease name. The matcher passes
 * it to `TicketStore.claim`, which refuses tokens older than the newest it has seen: a
 * paused leader that wakes up after losing its lease cannot double-claim tickets.
 * Nothing here starts timers; the caller renews (e.g. every ttl/3) from its own loop.
 */
import { MM_PREFIX } from "../protocol/index.ts";
import type { Redis } from "ioredis";

export interface LeaseGrant {
  readonly name: string;
  readonly holder: string;
  /** fencing token: strictly increasing across all grants of this name */
  readonly token: number;
  /** holder-side estimate (injected clock); the server-side TTL is what counts */
  readonly expiresAt: number;
}

export interface Lease {
  /** the lease if free (or expired), else null */
  tryAcquire(name: string, holder: string, ttlMs: number): Promise<LeaseGrant | null>;
  /** extend a grant still held; null once it was lost (expired and maybe taken over) */
  renew(grant: LeaseGrant, ttlMs: number): Promise<LeaseGrant | null>;
  release(grant: LeaseGrant): Promise<void>;
}

/** In-process lease for single-node deployments and tests; time comes from `now`. */
export class LocalLease implements Lease {
  private readonly held = new Map<string, { holder: string; token: number; expiresAt: number }>();
  private readonly fences = new Map<string, number>();

  constructor(private readonly now: () => number) {}

  async tryAcquire(name: string, holder: string, ttlMs: number): Promise<LeaseGrant | null> {
    const cur = this.held.get(name);
    const t = this.now();
    if (cur && cur.expiresAt > t) return null;
    const token = (this.fences.get(name) ?? 0) + 1;
    this.fences.set(name, token);
    const grant = { holder, token, expiresAt: t + ttlMs };
    this.held.set(name, grant);
    return { name, ...grant };
  }

  async renew(grant: LeaseGrant, ttlMs: number): Promise<LeaseGrant | null> {
    const cur = this.held.get(grant.name);
    const t = this.now();
    if (!cur || cur.token !== grant.token || cur.expiresAt <= t) return null;
    cur.expiresAt = t + ttlMs;
    return { ...grant, expiresAt: cur.expiresAt };
  }

  async release(grant: LeaseGrant): Promise<void> {
    if (this.held.get(grant.name)?.token === grant.token) this.held.delete(grant.name);
  }
}

// SET NX PX and INCR in one script: a grant never exists without its token. ARGV[3] is a floor (the
// caller's clock in ms, or one past the highest token it has seen): after a Redis data loss the
// counter is gone, and INCR alone would restart at 1, below tokens a paused old leader still holds.
const ACQUIRE = `
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
local token = redis.call('INCR', KEYS[2])
if token < tonumber(ARGV[3]) then
  redis.call('SET', KEYS[2], ARGV[3])
  token = tonumber(ARGV[3])
end
redis.call('SET', KEYS[1], ARGV[1] .. '|' .. string.format('%d', token), 'NX', 'PX', ARGV[2])
return token`;

const RENEW = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 1`;

const RELEASE = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('DEL', KEYS[1])
return 1`;

/**
 * Cluster lease on Redis: `lease:{name}` = "holder|token" with a PX TTL, `lease:{name}:fence` counter.
 * Tokens stay monotonic across a Redis restart that lost its data: each grant is at least the
 * holder's clock in ms and above the highest token this process has seen for the name, so a new
 * leader's token beats every token granted before the loss (as long as the nodes' clocks agree to
 * within the time between two grants, which NTP gives).
 */
export class RedisLease implements Lease {
  /** Highest token seen per lease name by this process. */
  private readonly highest = new Map<string, number>();

  constructor(private readonly redis: Redis, private readonly now: () => number, private readonly prefix = MM_PREFIX) {}

  private key(name: string): string { return `${this.prefix}lease:${name}`; }

  async tryAcquire(name: string, holder: string, ttlMs: number): Promise<LeaseGrant | null> {
    if (holder.includes("|")) throw new RangeError("lease holder must not contain '|'");
    const t = this.now();
    const floor = Math.max(Math.floor(t), (this.highest.get(name) ?? 0) + 1);
    const token = Number(await this.redis.eval(ACQUIRE, 2, this.key(name), `${this.key(name)}:fence`, holder, String(ttlMs), String(floor)));
    if (token > 0) this.highest.set(name, Math.max(token, this.highest.get(name) ?? 0));
    return token > 0 ? { name, holder, token, expiresAt: t + ttlMs } : null;
  }

  async renew(grant: LeaseGrant, ttlMs: number): Promise<LeaseGrant | null> {
    const t = this.now();
    const ok = await this.redis.eval(RENEW, 1, this.key(grant.name), `${grant.holder}|${grant.token}`, String(ttlMs));
    return ok === 1 ? { ...grant, expiresAt: t + ttlMs } : null;
  }

  async release(grant: LeaseGrant): Promise<void> {
    await this.redis.eval(RELEASE, 1, this.key(grant.name), `${grant.holder}|${grant.token}`);
  }
}
