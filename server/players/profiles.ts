/**
 * Player profiles, cache-first: read the cache, else the store, then fill the cache (TTL
 * PROFILE_CACHE_TTL_S) unless a write invalidated the key meanwhile (see server/cache). Every write
 * to anything a profile shows goes through `changed(playerId)` after the store write.
 */
import type { Cache } from "../cache/index.ts";
import { laggingReads, type PlayerRecord, type RatingRecord, type Store } from "../store/index.ts";

export interface RatingView {
  readonly mode: string;
  readonly mmr: number;
  readonly mu: number;
  readonly sigma: number;
  readonly wins: number;
  readonly losses: number;
  readonly draws: number;
  readonly matches: number;
}

export interface Profile {
  readonly playerId: string;
  readonly name: string;
  readonly createdAt: string;
  readonly username: string | null;
  readonly banned: boolean;
  readonly ratings: readonly RatingView[];
}

export type PublicProfile = Pick<Profile, "playerId" | "name" | "createdAt"> & {
  readonly ratings: ReadonlyArray<Omit<RatingView, "mu" | "sigma">>;
};

export function toProfile(player: PlayerRecord, ratings: readonly RatingRecord[]): Profile {
  return {
    playerId: player.id,
    name: player.name,
    createdAt: new Date(player.createdAt).toISOString(),
    username: player.username ?? null,
    banned: Boolean(player.banned),
    ratings: ratings.map((r) => ({
      mode: r.mode, mmr: Math.round(r.mmr), mu: r.mu, sigma: r.sigma, wins: r.wins, losses: r.losses, draws: r.draws, matches: r.matches,
    })),
  };
}

export function publicProfile(p: Profile): PublicProfile {
  return {
    playerId: p.playerId, name: p.name, createdAt: p.createdAt,
    ratings: p.ratings.map(({ mode, mmr, wins, losses, draws, matches }) => ({ mode, mmr, wins, losses, draws, matches })),
  };
}

export class ProfileService {
  hits = 0;
  misses = 0;

  constructor(private readonly store: Store, private readonly cache: Cache, private readonly ttlMs: number) {}

  private key(playerId: string) { return `profile:${playerId}`; }

  async get(playerId: string): Promise<Profile | null> {
    const key = this.key(playerId);
    const hit = await this.cache.get<Profile>(key);
    if (hit) {
      this.hits++;
      return hit;
    }
    this.misses++;
    const gen = await this.cache.generation(key);
    const player = await this.store.players.get(playerId);
    if (!player) return null;
    const profile = toProfile(player, await this.store.ratings.list(playerId));
    await this.cache.fill(key, profile, gen, this.ttlMs);
    return profile;
  }

  /**
   * Another player's profile: with a read replica, the cache, else a read from the replica (it may
   * lag a moment). Such a read never fills the cache, which the player's own reads trust to be current;
   * a player the replica does not have yet (just created) is looked up on the primary.
   */
  async getPublic(playerId: string): Promise<Profile | null> {
    if (!this.store.replica) return this.get(playerId);
    const hit = await this.cache.get<Profile>(this.key(playerId));
    if (hit) {
      this.hits++;
      return hit;
    }
    this.misses++;
    const lagging = laggingReads(this.store);
    const player = await lagging.players.get(playerId);
    if (!player) return this.get(playerId);
    return toProfile(player, await lagging.ratings.list(playerId));
  }

  /** Call after every store write that a profile shows (name, account, ban, ratings, stats). */
  changed(playerId: string): Promise<void> {
    return this.cache.invalidate(this.key(playerId));
  }

  async rename(playerId: string, name: string): Promise<Profile | null> {
    const updated = await this.store.players.rename(playerId, name);
    await this.changed(playerId);
    return updated ? this.get(playerId) : null;
  }
}
