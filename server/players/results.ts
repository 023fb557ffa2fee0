/**
 * The MatchResultSink: each result is applied exactly once (idempotent by matchId, also when a
 * retry follows a crash mid-write: the store applies everything in one transaction or nothing).
 * One store transaction records the result and, for a completed ranked match (matchmade: `ranked` is not
 * false; an open game is history only), every player's new openskill
 * rating (mu, sigma, displayed MMR), win/loss/draw stats, history entry, leaderboard rows (rating and
 * best score, this season) and reward grant (inventory, idempotency key `match:<matchId>`).
 * After it: profile cache invalidation, the Redis leaderboard mirror, and analytics events through the
 * bounded write-behind queue (never awaited by a room).
 */
import type { MatchResult, MatchResultSink } from "../../rooms/index.ts";
import type { RatingModel } from "../../matchmaker/rating.ts";
import type { Items, LeaderboardWrite, RatingRecord, ResultPlan, Store, AnalyticsEvent } from "../store/index.ts";
import { boardKey, type LeaderboardService } from "./leaderboards.ts";
import { teamOutcome } from "./outcome.ts";
import type { ProfileService } from "./profiles.ts";
import { ratingOrInitial, type PlayerRatings } from "./ratings.ts";
import type { WriteBehindQueue } from "./write-behind.ts";

export interface MatchRewards {
  readonly win: Items;
  readonly loss: Items;
  readonly draw: Items;
}

export const DEFAULT_REWARDS: MatchRewards = { win: { coins: 100 }, loss: { coins: 25 }, draw: { coins: 50 } };

/** Pure: what a result writes, given the players' current ratings. */
export function planResult(result: MatchResult, current: ReadonlyMap<string, RatingRecord>, model: RatingModel, season: string, rewards: MatchRewards, now = Date.now()): ResultPlan {
  const mode = result.mode ?? result.roomName;
  const teams = [...new Set(result.players.map((p) => p.team))].sort((a, b) => a - b);
  // Humans on two teams played it out; only a ranked (matchmade) one moves ratings, boards and rewards.
  const decided = result.outcome === "completed" && teams.length >= 2;
  const rated = decided && result.ranked !== false;
  const outcomeOf = (team: number) => teamOutcome(decided, result.winnerTeam, team);

  const before = new Map(result.players.map((p) => [p.playerId, ratingOrInitial(model, current.get(p.playerId), p.playerId, mode)]));
  const after = new Map<string, RatingRecord>();
  if (rated) {
    type Player = MatchResult["players"][number];
    // a backfilled player is rated for the share of the match it played (joined at 40%: weight 0.6)
    const share = (p: Player) => (p.joinedAtMs === undefined || result.durationMs <= 0 ? 1 : Math.min(1, Math.max(0, 1 - p.joinedAtMs / result.durationMs)));
    const rateLineup = (lineup: readonly Player[]) => {
      const ts = teams.filter((t) => lineup.some((p) => p.team === t));
      const members = ts.map((t) => lineup.filter((p) => p.team === t));
      const ranks = ts.map((t) => (result.winnerTeam === null || t === result.winnerTeam ? 1 : 2));
      const next = model.rate(members.map((m) => m.map((p) => before.get(p.playerId)!)), ranks, members.map((m) => m.map(share)));
      const out = new Map<string, { mu: number; sigma: number }>();
      members.forEach((m, ti) => m.forEach((p, pi) => out.set(p.playerId, next[ti]![pi]!)));
      return out;
    };
    // Backfill: a leaver and the joiner who took its seat share one seat. Rated on one team together,
    // openskill (which sums a team's players) would see three against two; so the match is rated in the
    // lineup that finished it (joiners in, the leavers they replaced out), and each replaced leaver in
    // the lineup it started in (rated in full, as every leaver is). Without joiners: one lineup, as before.
    const replaced = new Set<string>();
    for (const t of teams) {
      const joined = result.players.filter((p) => p.team === t && p.joinedAtMs !== undefined).length;
      for (const p of result.players.filter((x) => x.team === t && !x.present && x.joinedAtMs === undefined).slice(0, joined)) replaced.add(p.playerId);
    }
    const finished = rateLineup(result.players.filter((p) => !replaced.has(p.playerId)));
    const started = replaced.size ? rateLineup(result.players.filter((p) => p.joinedAtMs === undefined)) : finished;
    for (const p of result.players) {
      const b = before.get(p.playerId)!;
      const o = outcomeOf(p.team);
      const skill = (replaced.has(p.playerId) ? started : finished).get(p.playerId)!;
      after.set(p.playerId, {
        ...b, mu: skill.mu, sigma: skill.sigma, mmr: model.displayRating(skill),
        wins: b.wins + (o === "win" ? 1 : 0), losses: b.losses + (o === "loss" ? 1 : 0), draws: b.draws + (o === "draw" ? 1 : 0),
        matches: b.matches + 1, updatedAt: now,
      });
    }
  }
  const leaderboards: LeaderboardWrite[] = [];
  for (const p of result.players) {
    const r = after.get(p.playerId);
    if (!r) continue;
    leaderboards.push({ board: boardKey("rating", mode, season), playerId: p.playerId, score: Math.round(r.mmr), keep: "latest" });
    leaderboards.push({ board: boardKey("score", mode, season), playerId: p.playerId, score: p.score, keep: "best" });
  }
  return {
    ratings: [...after.values()],
    history: result.players.map((p) => ({
      playerId: p.playerId, matchId: result.matchId, mode, endedAt: result.endedAt, team: p.team, score: p.score,
      outcome: outcomeOf(p.team),
      mmrBefore: rated ? Math.round(before.get(p.playerId)!.mmr) : null,
      mmrAfter: rated ? Math.round(after.get(p.playerId)!.mmr) : null,
    })),
    leaderboards,
    rewards: rated ? result.players.map((p) => ({ playerId: p.playerId, items: rewards[outcomeOf(p.team) as "win" | "loss" | "draw"] })) : [],
  };
}

export interface PlayerResultSinkDeps {
  store: Store;
  model: RatingModel;
  profiles: ProfileService;
  leaderboards: LeaderboardService;
  events: WriteBehindQueue<AnalyticsEvent>;
  season: () => string;
  rewards?: MatchRewards;
  /** Told the ratings a stored result wrote (the queue's last-known fallback). */
  ratings?: Pick<PlayerRatings, "remember">;
}

export function createPlayerResultSink(deps: PlayerResultSinkDeps): MatchResultSink {
  return {
    async report(result) {
      let plan: ResultPlan | null = null;
      const applied = await deps.store.matches.apply(result, (current) =>
        (plan = planResult(result, current, deps.model, deps.season(), deps.rewards ?? DEFAULT_REWARDS)));
      // Invalidate even when already applied: a retry after a crash between commit and invalidation.
      await Promise.all(result.players.map((p) => deps.profiles.changed(p.playerId)));
      if (!applied || !plan) return;
      deps.ratings?.remember((plan as ResultPlan).ratings);
      await deps.leaderboards.written((plan as ResultPlan).leaderboards);
      for (const h of (plan as ResultPlan).history) {
        deps.events.push({ at: Date.now(), type: "match.finished", playerId: h.playerId, data: { matchId: h.matchId, mode: h.mode, outcome: h.outcome, score: h.score, mmrAfter: h.mmrAfter } });
      }
    },
  };
}

/** Records results without ratings (tools and tests that only need idempotent recording). */
export function createStoreResultSink(store: Store): MatchResultSink {
  return {
    async report(result) {
      await store.matches.record(result);
    },
  };
}
