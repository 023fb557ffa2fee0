/**
 * A player's rating in a mode, read one way everywhere: the stored record, or the initial one for a
 * player who never finished a rated match there (`ratingOrInitial`). The queue asks for the number it
 * searches on (`current`), the result planner and the admin override start from the record.
 */
import { LRUCache } from "lru-cache";
import type { RatingModel } from "../../matchmaker/rating.ts";
import type { RatingRecord, Store } from "../store/index.ts";

/** A player's record in `mode`, or the initial one (not stored until a result or an admin write). */
export function ratingOrInitial(model: RatingModel, record: RatingRecord | null | undefined, playerId: string, mode: string): RatingRecord {
  if (record) return record;
  const s = model.initial();
  return { playerId, mode, mu: s.mu, sigma: s.sigma, mmr: model.displayRating(s), wins: 0, losses: 0, draws: 0, matches: 0, updatedAt: 0 };
}

export class PlayerRatings {
  /** The search rating this node last read or wrote per (mode, player): the queue's fallback while the store is down. */
  private readonly lastKnown: LRUCache<string, number>;

  constructor(private readonly store: Pick<Store, "ratings">, private readonly model: RatingModel, lastKnownMax = 100_000) {
    this.lastKnown = new LRUCache<string, number>({ max: lastKnownMax });
  }

  /** The stored record, or the initial one. */
  async record(playerId: string, mode: string): Promise<RatingRecord> {
    return ratingOrInitial(this.model, await this.store.ratings.get(playerId, mode), playerId, mode);
  }

  /**
   * The rating the matchmaker searches and balances on. While the store is down the queue keeps
   * matching on the rating this node last knew (read here, or written by a result); a player it never
   * knew fails with the store's error.
   */
  async current(playerId: string, mode: string): Promise<number> {
    const key = this.key(playerId, mode);
    try {
      const rating = this.model.searchRating(await this.record(playerId, mode));
      this.lastKnown.set(key, rating);
      return rating;
    } catch (err) {
      const known = this.lastKnown.get(key);
      if (known === undefined) throw err;
      return known;
    }
  }

  /** Records just written (a stored result, an admin override) become the last known ratings. */
  remember(records: readonly RatingRecord[]): void {
    for (const r of records) this.lastKnown.set(this.key(r.playerId, r.mode), this.model.searchRating(r));
  }

  private key(playerId: string, mode: string): string {
    return `${mode}\u0000${playerId}`;
  }
}
