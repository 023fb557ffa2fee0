/**
 * Result planning as tables (server/players/results.ts, outcome.ts, ratings.ts): given a result and the
 * players' current ratings, what one store transaction writes (ratings, history, leaderboard rows,
 * rewards). Pure: no store, no clock (`now` and the season are passed in).
 */
import assert from "node:assert/strict";
import type { MatchResult } from "../../../rooms/index.ts";
import { OpenSkillModel } from "../../../matchmaker/rating.ts";
import { DEFAULT_REWARDS, PlayerRatings, planResult, ratingOrInitial, teamOutcome, winnerTeam, type TeamOutcome } from "../../../server/players/index.ts";
import type { RatingRecord, Store } from "../../../server/store/index.ts";

const model = new OpenSkillModel();
const NOW = 1_700_000_000_000;
const SEASON = "2026-12";

interface Row {
  readonly name: string;
  readonly outcome: MatchResult["outcome"];
  /** team per player a, b, c, d (in order); fewer players for fewer entries */
  readonly teams: readonly number[];
  readonly winner: number | null;
  readonly ranked?: boolean;
  /** expected history outcome per player */
  readonly outcomes: readonly TeamOutcome[];
  readonly rated: boolean;
}

const IDS = ["a", "b", "c", "d"];

function result(row: Row): MatchResult {
  const players = row.teams.map((team, i) => ({ playerId: IDS[i]!, name: IDS[i]!.toUpperCase(), team, score: 10 + i, present: true }));
  const teamIds = [...new Set(row.teams)];
  return {
    matchId: `m-${row.name}`, roomName: "arena", region: "local", mode: "duel", outcome: row.outcome, reason: "score-limit",
    startedAt: NOW - 60_000, endedAt: NOW, durationMs: 60_000,
    teams: teamIds.map((team) => ({ team, score: 0, playerIds: players.filter((p) => p.team === team).map((p) => p.playerId) })),
    players, winnerTeam: row.winner, ...(row.ranked === undefined ? {} : { ranked: row.ranked }),
  };
}

describe("result planning (table)", () => {
  const rows: Row[] = [
    { name: "1v1 win", outcome: "completed", teams: [0, 1], winner: 0, outcomes: ["win", "loss"], rated: true },
    { name: "1v1 win by team 1", outcome: "completed", teams: [0, 1], winner: 1, outcomes: ["loss", "win"], rated: true },
    { name: "1v1 draw", outcome: "completed", teams: [0, 1], winner: null, outcomes: ["draw", "draw"], rated: true },
    { name: "2v2 win", outcome: "completed", teams: [0, 0, 1, 1], winner: 1, outcomes: ["loss", "loss", "win", "win"], rated: true },
    { name: "open game (unranked)", outcome: "completed", teams: [0, 1], winner: 0, ranked: false, outcomes: ["win", "loss"], rated: false },
    { name: "aborted", outcome: "aborted", teams: [0, 1], winner: null, outcomes: ["none", "none"], rated: false },
    { name: "cancelled", outcome: "cancelled", teams: [0, 1], winner: null, outcomes: ["none", "none"], rated: false },
    { name: "one human team (bots)", outcome: "completed", teams: [0], winner: 0, outcomes: ["none"], rated: false },
  ];

  for (const row of rows) {
    it(`${row.name}: ${row.rated ? "rated, rewarded, on the boards" : "history only"}`, () => {
      const r = result(row);
      const plan = planResult(r, new Map(), model, SEASON, DEFAULT_REWARDS, NOW);
      const initial = Math.round(model.displayRating(model.initial()));

      assert.deepEqual(plan.history.map((h) => h.outcome), row.outcomes, "history outcomes");
      assert.deepEqual(plan.history.map((h) => [h.playerId, h.matchId, h.mode, h.endedAt, h.team, h.score]),
        r.players.map((p) => [p.playerId, r.matchId, "duel", NOW, p.team, p.score]), "one history entry per player");
      assert.equal(plan.ratings.length, row.rated ? r.players.length : 0, "ratings written");
      assert.equal(plan.rewards.length, row.rated ? r.players.length : 0, "rewards granted");
      assert.equal(plan.leaderboards.length, row.rated ? 2 * r.players.length : 0, "leaderboard rows (rating + score per player)");
      for (const h of plan.history) {
        assert.equal(h.mmrBefore, row.rated ? initial : null);
        assert.equal(h.mmrAfter === null, !row.rated);
      }
      if (!row.rated) return;

      plan.ratings.forEach((rec, i) => {
        const o = row.outcomes[i]!;
        assert.deepEqual([rec.playerId, rec.mode, rec.matches, rec.wins, rec.losses, rec.draws, rec.updatedAt],
          [IDS[i], "duel", 1, o === "win" ? 1 : 0, o === "loss" ? 1 : 0, o === "draw" ? 1 : 0, NOW], `rating record of ${IDS[i]}`);
        assert.ok(rec.sigma < model.initial().sigma, "a rated match makes the rating surer");
      });
      // Winners move up, losers down; a draw between equals moves neither's mu.
      plan.ratings.forEach((rec, i) => {
        const o = row.outcomes[i];
        if (o === "win") assert.ok(rec.mu > model.initial().mu, "winner's mu rises");
        if (o === "loss") assert.ok(rec.mu < model.initial().mu, "loser's mu falls");
        if (o === "draw") assert.ok(Math.abs(rec.mu - model.initial().mu) < 1e-9, "draw between equals keeps mu");
      });
      assert.deepEqual(plan.rewards.map((g) => g.items), row.outcomes.map((o) => DEFAULT_REWARDS[o as "win" | "loss" | "draw"]));
      assert.deepEqual(plan.leaderboards.map((l) => [l.board, l.playerId, l.keep]), r.players.flatMap((p) => [
        [`rating.duel.${SEASON}`, p.playerId, "latest"], [`score.duel.${SEASON}`, p.playerId, "best"],
      ]));
      assert.deepEqual(plan.leaderboards.filter((l) => l.keep === "best").map((l) => l.score), r.players.map((p) => p.score));
    });
  }

  it("starts from the stored ratings and carries the stats forward", () => {
    const stored: RatingRecord = { ...ratingOrInitial(model, null, "a", "duel"), mu: 30, sigma: 4, mmr: 1600, wins: 7, losses: 2, draws: 1, matches: 10, updatedAt: 5 };
    const plan = planResult(result(rows[0]!), new Map([["a", stored]]), model, SEASON, DEFAULT_REWARDS, NOW);
    const a = plan.ratings.find((r) => r.playerId === "a")!;
    assert.deepEqual([a.wins, a.losses, a.draws, a.matches], [8, 2, 1, 11]);
    assert.ok(a.mu > 30);
    assert.equal(plan.history[0]!.mmrBefore, 1600);
  });

  it("a result without a mode plans under its room name", () => {
    const plan = planResult({ ...result(rows[0]!), mode: null }, new Map(), model, SEASON, DEFAULT_REWARDS, NOW);
    assert.deepEqual([...new Set(plan.history.map((h) => h.mode))], ["arena"]);
  });
});

describe("the winner and each team's outcome (table)", () => {
  const winners: Array<[readonly number[], number | null]> = [
    [[15, 3], 0], [[3, 15], 1], [[7, 7], null], [[1, 9, 9], null], [[1, 9, 4], 1], [[0], 0], [[], null],
  ];
  for (const [scores, winner] of winners) {
    it(`scores ${JSON.stringify(scores)} -> ${winner ?? "draw"}`, () => assert.equal(winnerTeam(scores), winner));
  }

  const outcomes: Array<[boolean, number | null, number, TeamOutcome]> = [
    [true, 0, 0, "win"], [true, 0, 1, "loss"], [true, null, 0, "draw"], [false, 0, 0, "none"], [false, null, 1, "none"],
  ];
  for (const [decided, winner, team, expected] of outcomes) {
    it(`decided=${decided} winner=${winner} team ${team} -> ${expected}`, () => assert.equal(teamOutcome(decided, winner, team), expected));
  }
});

describe("a player's current rating (PlayerRatings)", () => {
  function ratingsOver(records: Map<string, RatingRecord>) {
    let down = false;
    const store: Pick<Store, "ratings"> = {
      ratings: {
        async get(playerId: string, mode: string) {
          if (down) throw new Error("store down");
          return records.get(`${playerId}/${mode}`) ?? null;
        },
      } as unknown as Store["ratings"],
    };
    return { ratings: new PlayerRatings(store, model), setDown: (d: boolean) => { down = d; } };
  }

  it("rating-or-initial: the stored record, else the initial one", async () => {
    const stored: RatingRecord = { ...ratingOrInitial(model, null, "a", "duel"), mu: 30 };
    const { ratings } = ratingsOver(new Map([["a/duel", stored]]));
    assert.equal((await ratings.record("a", "duel")).mu, 30);
    assert.deepEqual(await ratings.record("b", "duel"), ratingOrInitial(model, undefined, "b", "duel"));
    assert.equal(await ratings.current("a", "duel"), model.searchRating(stored));
    assert.equal(await ratings.current("b", "duel"), model.searchRating(model.initial()));
  });

  it("store down: the last rating this node knew (read or written); an unknown player fails", async () => {
    const { ratings, setDown } = ratingsOver(new Map());
    const before = await ratings.current("a", "duel");
    const written: RatingRecord = { ...ratingOrInitial(model, null, "c", "duel"), mu: 20 };
    ratings.remember([written]);
    setDown(true);
    assert.equal(await ratings.current("a", "duel"), before);
    assert.equal(await ratings.current("c", "duel"), model.searchRating(written));
    await assert.rejects(ratings.current("b", "duel"), /store down/);
    await assert.rejects(ratings.current("a", "ffa"), /store down/, "known per mode");
  });
});
