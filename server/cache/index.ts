/**
 * Cache-aside seam. `Cache` is Redis in a cluster (every node sees every invalidation) and an
 * in-process LRU on a single node. Values are JSON.
 *
 * Never serving a stale value after a write needs more than "delete on write": a reader that
 * loaded the old value from the store just before the write could put it back just after the
 * delete. So each key has a generation: `invalidate` bumps it (and drops the value); a reader takes
 * `generation(key)` before it reads the store and `fill`s only if the generation has not moved.
 */
import { LRUCache } from "lru-cache";
import type { Redis } from "ioredis";

export interface Cache {
  get<T>(key: string): Promise<T | undefined>;
  /** The key's current generation token, to pass to `fill`. */
  generation(key: string): Promise<string>;
  /** Stores value for ttlMs unless the key was invalidated since `generation` returned `gen`. */
  fill(key: string, value: unknown, gen: string, ttlMs: number): Promise<void>;
  /** Drops the value and moves the generation on. Call after every write to the underlying record. */
  invalidate(key: string): Promise<void>;
  close(): Promise<void>;
}

export class LruCache implements Cache {
  private readonly values: LRUCache<string, { json: string }>;
  private readonly gens: LRUCache<string, number>;
  private seq = Math.floor(Math.random() * 1e9);

  constructor(max = 10_000) {
    this.values = new LRUCache({ max, ttlAutopurge: false });
    // Generations outlive values; if one is evicted anyway, the next one is a fresh number, never an old one.
    this.gens = new LRUCache({ max: max * 4 });
  }

  async get<T>(key: string): Promise<T | undefined> {
    const hit = this.values.get(key);
    return hit ? (JSON.parse(hit.json) as T) : undefined;
  }

  async generation(key: string): Promise<string> {
    let g = this.gens.get(key);
    if (g === undefined) this.gens.set(key, (g = ++this.seq));
    return String(g);
  }

  async fill(key: string, value: unknown, gen: string, ttlMs: number): Promise<void> {
    if (String(this.gens.get(key)) !== gen) return;
    this.values.set(key, { json: JSON.stringify(value) }, { ttl: ttlMs });
  }

  async invalidate(key: string): Promise<void> {
    this.gens.set(key, ++this.seq);
    this.values.delete(key);
  }

  async close(): Promise<void> {
    this.values.clear();
  }
}

/** Reads and writes go straight to the store (the bench's "without cache" side). */
export class NoCache implements Cache {
  async get<T>(): Promise<T | undefined> { return undefined; }
  async generation(): Promise<string> { return "0"; }
  async fill(): Promise<void> {}
  async invalidate(): Promise<void> {}
  async close(): Promise<void> {}
}

// KEYS[1] value key, KEYS[2] generation key; ARGV: expected generation, json, ttl ms.
const FILL_IF_GENERATION = `
local g = redis.call('GET', KEYS[2])
if (g or '0') == ARGV[1] then redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3]) return 1 end
return 0`;

export interface RedisCacheOptions {
  prefix?: string;
  /** How long reads bypass Redis after an error (entries older than this have expired by then). */
  distrustMs: number;
  onError?: (err: unknown) => void;
  now?: () => number;
}

/**
 * Redis-backed cache that degrades instead of failing: any Redis error turns into a miss (the
 * caller reads the store). An invalidation that fails is kept and retried, and until it gets
 * through (and for one TTL after any error) reads bypass Redis, so an entry whose invalidation
 * was lost is never served.
 */
export class RedisCache implements Cache {
  private readonly prefix: string;
  private distrustUntil = 0;
  private readonly pending = new Set<string>();
  private retrying: NodeJS.Timeout | null = null;

  constructor(private readonly redis: Redis, private readonly options: RedisCacheOptions) {
    this.prefix = options.prefix ?? "rally:cache:";
  }

  private now() { return (this.options.now ?? Date.now)(); }
  private failed(err: unknown) {
    this.distrustUntil = this.now() + this.options.distrustMs;
    this.options.onError?.(err);
  }
  private trusted() { return this.pending.size === 0 && this.now() >= this.distrustUntil; }

  async get<T>(key: string): Promise<T | undefined> {
    if (!this.trusted()) return undefined;
    try {
      const json = await this.redis.get(this.prefix + key);
      return json === null ? undefined : (JSON.parse(json) as T);
    } catch (err) {
      this.failed(err);
      return undefined;
    }
  }

  async generation(key: string): Promise<string> {
    if (!this.trusted()) return "untrusted";
    try {
      return (await this.redis.get(`${this.prefix}gen:${key}`)) ?? "0";
    } catch (err) {
      this.failed(err);
      return "untrusted";
    }
  }

  async fill(key: string, value: unknown, gen: string, ttlMs: number): Promise<void> {
    if (gen === "untrusted" || !this.trusted()) return;
    try {
      await this.redis.eval(FILL_IF_GENERATION, 2, this.prefix + key, `${this.prefix}gen:${key}`, gen, JSON.stringify(value), String(ttlMs));
    } catch (err) {
      this.failed(err);
    }
  }

  async invalidate(key: string): Promise<void> {
    try {
      await this.redis.multi().incr(`${this.prefix}gen:${key}`).pexpire(`${this.prefix}gen:${key}`, 24 * 3600_000).del(this.prefix + key).exec();
      this.pending.delete(key);
    } catch (err) {
      this.pending.add(key);
      this.failed(err);
      this.scheduleRetry();
    }
  }

  private scheduleRetry() {
    if (this.retrying) return;
    this.retrying = setTimeout(() => {
      this.retrying = null;
      for (const key of [...this.pending]) void this.invalidate(key);
    }, 1000);
    this.retrying.unref();
  }

  async close(): Promise<void> {
    if (this.retrying) clearTimeout(this.retrying);
  }
}
