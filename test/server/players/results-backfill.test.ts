/**
 * Result planning for backfilled players (server/players/results.ts `planResult`): a player who took a
 * seat `joinedAtMs` into the match is rated with weight 1 - joinedAtMs / durationMs, so it moves less
 * than a teammate who played it all from the same prior; a leaver (present false) is still rated in full.
 * A leaver and its replacement share one seat: the team is rated as two players, never three.
 */
import assert from "node:assert/strict";
import type { MatchResult } from "../../../rooms/index.ts";
import { OpenSkillModel } from "../../../matchmaker/rating.ts";
import { DEFAULT_REWARDS, planResult, ratingOrInitial } from "../../../server/players/index.ts";
import type { RatingRecord } from "../../../server/store/index.ts";

const model = new OpenSkillModel();
const NOW = 1_700_000_000_000;
const SEASON = "2026-12";
const DURATION = 120_000;

type Player = MatchResult["players"][number];

/** A completed, ranked 2v2 team 0 won: a full-match `full`, a late `late` (and a leaver `gone`) on team 0, `x`, `y` on team 1. */
function result(players: readonly Player[]): MatchResult {
  const teams = [...new Set(players.map((p) => p.team))];
  return {
    matchId: `m-${players.map((p) => p.playerId).join("-")}`, roomName: "race", region: "local", mode: "duo", outcome: "completed", reason: "declared",
    startedAt: NOW - DURATION, endedAt: NOW, durationMs: DURATION,
    teams: teams.map((team) => ({ team, score: team === 0 ? 1 : 0, playerIds: players.filter((p) => p.team === team).map((p) => p.playerId) })),
    players: [...players], winnerTeam: 0,
  };
}
const player = (playerId: string, team: number, extra: Partial<Player> = {}): Player => ({ playerId, name: playerId, team, score: 0, present: true, ...extra });

/** Everyone starts from the same stored rating (a settled-ish prior, so the gain is clearly visible). */
function prior(ids: readonly string[]): Map<string, RatingRecord> {
  return new Map(ids.map((id) => [id, { ...ratingOrInitial(model, null, id, "duo"), mu: 26, sigma: 5, mmr: model.displayRating({ mu: 26, sigma: 5 }) }]));
}

describe("result planning: backfilled players", () => {
  it("a late joiner (half the match) on the winning team gains less than a full-match teammate, and about half", () => {
    const players = [player("full", 0), player("late", 0, { joinedAtMs: DURATION / 2 }), player("x", 1), player("y", 1)];
    const plan = planResult(result(players), prior(players.map((p) => p.playerId)), model, SEASON, DEFAULT_REWARDS, NOW);
    const rec = (id: string) => plan.ratings.find((r) => r.playerId === id)!;
    const fullGain = rec("full").mu - 26, lateGain = rec("late").mu - 26;
    assert.ok(fullGain > 0 && lateGain > 0 && lateGain < fullGain, `late +${lateGain}, full +${fullGain}`);
    assert.ok(Math.abs(lateGain - fullGain / 2) < 1e-9, "weight 0.5: half the full update (same prior, same team)");
    assert.ok(Math.abs((5 - rec("late").sigma) - (5 - rec("full").sigma) / 2) < 1e-9, "sigma shrinks by half as much");
    // still a win on the record, rewarded, on the boards
    assert.deepEqual([rec("late").wins, rec("late").matches], [1, 1]);
    assert.equal(plan.history.find((h) => h.playerId === "late")!.outcome, "win");
    assert.ok(plan.history.find((h) => h.playerId === "late")!.mmrAfter! > plan.history.find((h) => h.playerId === "late")!.mmrBefore!);
    assert.deepEqual(plan.rewards.find((g) => g.playerId === "late")!.items, DEFAULT_REWARDS.win);
  });

  it("the opponents' update is the same as if the late joiner had played it all (its weight scales only its own)", () => {
    const withLate = [player("full", 0), player("late", 0, { joinedAtMs: DURATION / 2 }), player("x", 1), player("y", 1)];
    const allFull = [player("full", 0), player("late", 0), player("x", 1), player("y", 1)];
    const ids = withLate.map((p) => p.playerId);
    const a = planResult(result(withLate), prior(ids), model, SEASON, DEFAULT_REWARDS, NOW);
    const b = planResult(result(allFull), prior(ids), model, SEASON, DEFAULT_REWARDS, NOW);
    for (const id of ["full", "x", "y"]) {
      assert.deepEqual(a.ratings.find((r) => r.playerId === id)!.mu, b.ratings.find((r) => r.playerId === id)!.mu, id);
    }
  });

  it("a leaver (present false) is still rated in full, as before backfill; its replacement by its share", () => {
    const players = [player("full", 0), player("gone", 0, { present: false }), player("late", 0, { joinedAtMs: DURATION / 4 }), player("x", 1), player("y", 1)];
    const plan = planResult(result(players), prior(players.map((p) => p.playerId)), model, SEASON, DEFAULT_REWARDS, NOW);
    const mu = (id: string) => plan.ratings.find((r) => r.playerId === id)!.mu;
    assert.equal(plan.ratings.length, 5, "everyone rated");
    assert.ok(Math.abs((mu("gone") - 26) - (mu("full") - 26)) < 1e-12, "the leaver moves as its full-match teammate (weight 1)");
    assert.ok(Math.abs((mu("late") - 26) - 0.75 * (mu("full") - 26)) < 1e-9, "joined at 25%: weight 0.75");
  });

  it("a joiner at (or past) the end moves nothing; durationMs 0 rates everyone in full", () => {
    const players = [player("full", 0), player("late", 0, { joinedAtMs: DURATION + 5 }), player("x", 1), player("y", 1)];
    const plan = planResult(result(players), prior(players.map((p) => p.playerId)), model, SEASON, DEFAULT_REWARDS, NOW);
    const late = plan.ratings.find((r) => r.playerId === "late")!;
    assert.deepEqual([late.mu, late.sigma, late.matches, late.wins], [26, 5, 1, 1]);
    const zero = planResult({ ...result(players), durationMs: 0 }, prior(players.map((p) => p.playerId)), model, SEASON, DEFAULT_REWARDS, NOW);
    const mu = (id: string) => zero.ratings.find((r) => r.playerId === id)!.mu;
    assert.equal(mu("late"), mu("full"));
  });

  it("a backfilled team is rated as two against two: its players move as in a plain 2v2, win or lose (not three against two)", () => {
    for (const winner of [0, 1]) {
      const backfilled = [player("full", 0), player("gone", 0, { present: false }), player("late", 0, { joinedAtMs: DURATION / 2 }), player("x", 1), player("y", 1)];
      const plain = [player("full", 0), player("late", 0), player("x", 1), player("y", 1)];
      const ids = backfilled.map((p) => p.playerId);
      const a = planResult({ ...result(backfilled), winnerTeam: winner }, prior(ids), model, SEASON, DEFAULT_REWARDS, NOW);
      const b = planResult({ ...result(plain), winnerTeam: winner }, prior(ids), model, SEASON, DEFAULT_REWARDS, NOW);
      const mu = (plan: typeof a, id: string) => plan.ratings.find((r) => r.playerId === id)!.mu;
      for (const id of ["full", "x", "y"]) assert.ok(Math.abs(mu(a, id) - mu(b, id)) < 1e-12, `${id} (team ${winner} won): ${mu(a, id) - 26} vs plain ${mu(b, id) - 26}`);
      assert.ok(Math.abs((mu(a, "late") - 26) - 0.5 * (mu(b, "late") - 26)) < 1e-9, "the joiner: half the plain update");
      assert.ok(Math.abs(mu(a, "gone") - mu(b, "full")) < 1e-12, "the leaver: its full update in the lineup it started in");
      if (winner === 0) assert.ok(mu(a, "full") - 26 > 1, "a win counts for the team that lost a player");
    }
  });

  it("a leaver nobody replaced stays on its team, as before backfill", () => {
    const players = [player("full", 0), player("gone", 0, { present: false }), player("x", 1), player("y", 1)];
    const plan = planResult(result(players), prior(players.map((p) => p.playerId)), model, SEASON, DEFAULT_REWARDS, NOW);
    const direct = model.rate([[{ mu: 26, sigma: 5 }, { mu: 26, sigma: 5 }], [{ mu: 26, sigma: 5 }, { mu: 26, sigma: 5 }]], [1, 2]);
    assert.ok(Math.abs(plan.ratings.find((r) => r.playerId === "gone")!.mu - direct[0]![1]!.mu) < 1e-12);
  });
});
