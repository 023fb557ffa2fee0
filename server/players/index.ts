/**
 * Player data services for one node, built from the config, the store and (in a cluster) Redis:
 * profile cache, leaderboards, gateway limits, the analytics write-behind queue, the rating model,
 * players' current ratings (`ratings`) and the result sink. `close()` flushes the queue; call it before closing the store.
 */
import type { Redis } from "ioredis";
import { Counter, Gauge, type Registry } from "prom-client";
import { OpenSkillModel, type RatingModel } from "../../matchmaker/rating.ts";
import type { MatchResultSink } from "../../rooms/index.ts";
import { LruCache, RedisCache, type Cache } from "../cache/index.ts";
import type { Config } from "../config.ts";
import type { Logger } from "../log.ts";
import { createLimits, type Limits } from "../auth/limits.ts";
import type { PlayerCheck } from "../auth/index.ts";
import type { AnalyticsEvent, Store } from "../store/index.ts";
import { LeaderboardService } from "./leaderboards.ts";
import { ProfileService } from "./profiles.ts";
import { PlayerRatings } from "./ratings.ts";
import { createPlayerResultSink, type MatchRewards } from "./results.ts";
import { seasonId } from "./seasons.ts";
import { WriteBehindQueue } from "./write-behind.ts";

export { ProfileService, toProfile, publicProfile, type Profile, type PublicProfile } from "./profiles.ts";
export { LeaderboardService, boardKey, type BoardKind } from "./leaderboards.ts";
export { seasonId, SEASON_ID, type SeasonSchedule } from "./seasons.ts";
export { WriteBehindQueue } from "./write-behind.ts";
export { PlayerRatings, ratingOrInitial } from "./ratings.ts";
export { planResult, createPlayerResultSink, createStoreResultSink, DEFAULT_REWARDS, type MatchRewards, type PlayerResultSinkDeps } from "./results.ts";
export { winnerTeam, teamOutcome, type TeamOutcome } from "./outcome.ts";

export interface PlayerServices {
  readonly store: Store;
  readonly cache: Cache;
  readonly profiles: ProfileService;
  readonly leaderboards: LeaderboardService;
  readonly limits: Limits;
  readonly events: WriteBehindQueue<AnalyticsEvent>;
  readonly model: RatingModel;
  /** A player's rating in a mode: the record (or the initial one) and the number the queue searches on. */
  readonly ratings: PlayerRatings;
  readonly results: MatchResultSink;
  /** The current season id (SEASON_SCHEDULE). */
  season(now?: number): string;
  /** For the token service: ban and current name on every access check (cache-first). */
  readonly checkPlayer: PlayerCheck;
  close(): Promise<void>;
}

type PlayerConfig = Pick<Config, "PROFILE_CACHE_TTL_S" | "SEASON_SCHEDULE" | "AUTH_RATE_PER_MIN" | "API_RATE_PER_MIN" | "ACCOUNT_RATE_PER_MIN" | "LOGIN_SLOW_AFTER" | "LOGIN_LOCKOUT_AFTER" | "LOGIN_LOCKOUT_S" | "GUEST_DEVICE_RATE_PER_MIN">;

export function createPlayerServices(config: PlayerConfig, store: Store, options: { redis?: Redis; logger?: Logger; cache?: Cache; metricsRegistry?: Registry; model?: RatingModel; rewards?: MatchRewards } = {}): PlayerServices {
  const { redis, logger } = options;
  const ttlMs = config.PROFILE_CACHE_TTL_S * 1000;
  let lastWarn = 0;
  const warn = (what: string) => (err: unknown) => {
    if (Date.now() - lastWarn < 10_000) return; // one line per 10 s while Redis is down
    lastWarn = Date.now();
    logger?.warn({ err }, `${what}: Redis unavailable, using the store`);
  };
  const cache = options.cache ?? (redis ? new RedisCache(redis, { distrustMs: ttlMs, onError: warn("profile cache") }) : new LruCache());
  const profiles = new ProfileService(store, cache, ttlMs);
  const leaderboards = new LeaderboardService(store, redis, warn("leaderboards"));
  const events = new WriteBehindQueue<AnalyticsEvent>({
    write: (batch) => store.events.append(batch), max: 10_000, batch: 500, intervalMs: 1000,
    onError: (err) => logger?.warn({ err }, "analytics events not written yet; will retry"),
  });
  if (options.metricsRegistry) {
    const registers = [options.metricsRegistry];
    // Read from the queue at each scrape: a drop is counted where it happens, with no timer of its own.
    new Counter({ name: "rally_write_behind_dropped_total", help: "Analytics events dropped because the write-behind queue was full (the store was slow or down)", registers,
      collect() { this.reset(); this.inc(events.dropped); } });
    new Gauge({ name: "rally_write_behind_queued", help: "Analytics events waiting in the write-behind queue", registers, collect() { this.set(events.size); } });
  }
  // The studio's rating model and rewards (createRally options), else OpenSkill and the default rewards.
  const model = options.model ?? new OpenSkillModel();
  const ratings = new PlayerRatings(store, model);
  const season = (now = Date.now()) => seasonId(config.SEASON_SCHEDULE, now);
  const limits = createLimits({
    authPerMin: config.AUTH_RATE_PER_MIN, apiPerMin: config.API_RATE_PER_MIN, accountPerMin: config.ACCOUNT_RATE_PER_MIN,
    loginSlowAfter: config.LOGIN_SLOW_AFTER, loginLockoutAfter: config.LOGIN_LOCKOUT_AFTER, loginLockoutS: config.LOGIN_LOCKOUT_S,
    guestDevicePerMin: config.GUEST_DEVICE_RATE_PER_MIN,
  }, redis);
  return {
    store, cache, profiles, leaderboards, limits, events, model, ratings, season,
    results: createPlayerResultSink({ store, model, profiles, leaderboards, events, ratings, season: () => season(), rewards: options.rewards }),
    checkPlayer: async (playerId) => {
      const p = await profiles.get(playerId);
      return p ? { banned: p.banned, name: p.name } : null;
    },
    async close() {
      await events.close();
      await cache.close();
    },
  };
}
