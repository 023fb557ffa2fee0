/**
 * The small key/value seam the social service keeps its live state in (presence, parties, join
 * codes, relay tokens): Redis in a cluster, so every node sees the same parties and presence; a
 * process-local map otherwise. Values are strings (JSON); every write that must not race is a
 * compare-and-set, which is one Lua script on Redis and synchronous in memory.
 */
import type { Redis } from "ioredis";

export interface SocialKv {
  get(key: string): Promise<string | null>;
  mget(keys: readonly string[]): Promise<Array<string | null>>;
  /** Sets the value; with `ttlMs` it expires then. */
  set(key: string, value: string, ttlMs?: number): Promise<void>;
  /** Sets only when the key does not exist; true when it was set. */
  setNx(key: string, value: string, ttlMs: number): Promise<boolean>;
  /** True when the key existed. */
  del(key: string): Promise<boolean>;
  /** Reads and deletes in one step (single-use tokens). */
  take(key: string): Promise<string | null>;
  /**
   * Writes `next` (null deletes) only while the current value equals `expected` (null = absent).
   * True when written.
   */
  cas(key: string, expected: string | null, next: string | null, ttlMs?: number): Promise<boolean>;
  /** A sorted set of members scored by a number (expiry times). */
  zset(key: string, member: string, score: number): Promise<void>;
  /** True when this call removed the member (exactly one caller wins). */
  zrem(key: string, member: string): Promise<boolean>;
  /** Members scored at most `maxScore`, lowest first. */
  zdue(key: string, maxScore: number, limit: number): Promise<string[]>;
}

export class MemoryKv implements SocialKv {
  private readonly values = new Map<string, { value: string; expiresAt: number }>();
  private readonly zsets = new Map<string, Map<string, number>>();

  private sweeper: NodeJS.Timeout | undefined;

  /** `sweepMs`: how often start()'s timer drops expired entries that nobody reads again. */
  constructor(private readonly now: () => number = Date.now, private readonly sweepMs = 5000) {}

  /** Starts the expiry sweep (memory stays bounded by live entries even with no reader). */
  start(): void {
    if (this.sweeper) return;
    this.sweeper = setInterval(() => this.sweep(), this.sweepMs);
    this.sweeper.unref();
  }

  close(): void {
    clearInterval(this.sweeper);
    this.sweeper = undefined;
  }

  /** Drops every expired entry; returns how many. */
  sweep(): number {
    const now = this.now();
    let dropped = 0;
    for (const [key, { expiresAt }] of this.values) {
      if (expiresAt <= now) { this.values.delete(key); dropped++; }
    }
    return dropped;
  }

  /** Entries held, expired or not (for tests and diagnostics). */
  get size(): number { return this.values.size; }

  private read(key: string): string | null {
    const hit = this.values.get(key);
    if (!hit) return null;
    if (hit.expiresAt <= this.now()) {
      this.values.delete(key);
      return null;
    }
    return hit.value;
  }

  private write(key: string, value: string | null, ttlMs?: number): void {
    if (value === null) this.values.delete(key);
    else this.values.set(key, { value, expiresAt: ttlMs ? this.now() + ttlMs : Infinity });
  }

  async get(key: string) { return this.read(key); }
  async mget(keys: readonly string[]) { return keys.map((k) => this.read(k)); }
  async set(key: string, value: string, ttlMs?: number) { this.write(key, value, ttlMs); }
  async setNx(key: string, value: string, ttlMs: number) {
    if (this.read(key) !== null) return false;
    this.write(key, value, ttlMs);
    return true;
  }
  async del(key: string) {
    const had = this.read(key) !== null;
    this.values.delete(key);
    return had;
  }
  async take(key: string) {
    const v = this.read(key);
    this.values.delete(key);
    return v;
  }
  async cas(key: string, expected: string | null, next: string | null, ttlMs?: number) {
    if (this.read(key) !== expected) return false;
    this.write(key, next, ttlMs);
    return true;
  }
  async zset(key: string, member: string, score: number) {
    let z = this.zsets.get(key);
    if (!z) this.zsets.set(key, (z = new Map()));
    z.set(member, score);
  }
  async zrem(key: string, member: string) {
    return this.zsets.get(key)?.delete(member) ?? false;
  }
  async zdue(key: string, maxScore: number, limit: number) {
    return [...(this.zsets.get(key) ?? new Map<string, number>())]
      .filter(([, s]) => s <= maxScore).sort((a, b) => a[1] - b[1]).slice(0, limit).map(([m]) => m);
  }
}

// KEYS[1]; ARGV: expected ('' + flag), next, ttlMs. ARGV[1] = '0' absent expected, '1' + value otherwise.
const CAS = `
local cur = redis.call('GET', KEYS[1])
if ARGV[1] == '0' then
  if cur then return 0 end
else
  if (not cur) or cur ~= string.sub(ARGV[1], 2) then return 0 end
end
if ARGV[2] == '0' then
  redis.call('DEL', KEYS[1])
elseif tonumber(ARGV[4]) > 0 then
  redis.call('SET', KEYS[1], ARGV[3], 'PX', ARGV[4])
else
  redis.call('SET', KEYS[1], ARGV[3])
end
return 1`;

const TAKE = `
local v = redis.call('GET', KEYS[1])
if v then redis.call('DEL', KEYS[1]) end
return v`;

/** Redis-backed; the client is injected and owned by the caller. Keys are prefixed (default `rally:social:`). */
export class RedisKv implements SocialKv {
  constructor(private readonly redis: Redis, private readonly prefix = "rally:social:") {}

  private k(key: string) { return this.prefix + key; }

  async get(key: string) { return this.redis.get(this.k(key)); }
  async mget(keys: readonly string[]) { return keys.length ? this.redis.mget(...keys.map((k) => this.k(k))) : []; }
  async set(key: string, value: string, ttlMs?: number) {
    if (ttlMs) await this.redis.set(this.k(key), value, "PX", ttlMs);
    else await this.redis.set(this.k(key), value);
  }
  async setNx(key: string, value: string, ttlMs: number) {
    return (await this.redis.set(this.k(key), value, "PX", ttlMs, "NX")) === "OK";
  }
  async del(key: string) { return (await this.redis.del(this.k(key))) > 0; }
  async take(key: string) { return (await this.redis.eval(TAKE, 1, this.k(key))) as string | null; }
  async cas(key: string, expected: string | null, next: string | null, ttlMs = 0) {
    const out = await this.redis.eval(CAS, 1, this.k(key),
      expected === null ? "0" : `1${expected}`, next === null ? "0" : "1", next ?? "", String(ttlMs));
    return out === 1;
  }
  async zset(key: string, member: string, score: number) { await this.redis.zadd(this.k(key), score, member); }
  async zrem(key: string, member: string) { return (await this.redis.zrem(this.k(key), member)) > 0; }
  async zdue(key: string, maxScore: number, limit: number) {
    return this.redis.zrangebyscore(this.k(key), "-inf", maxScore, "LIMIT", 0, limit);
  }
}
