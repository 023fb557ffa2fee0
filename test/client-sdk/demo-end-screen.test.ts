/** The demo's end-screen wording (pure functions; the real page is covered by test/client-sdk/browser-end-screen.test.ts). */
import assert from "node:assert/strict";
import { endScreen, entryFor, outcomeFor, rewardsLine } from "../../client-sdk/demo/end-screen.ts";
import type { MatchResult } from "../../client-sdk/index.ts";

function result(over: Partial<MatchResult> = {}): MatchResult {
  return {
    matchId: "m1", roomName: "arena", region: "local", mode: "arena", outcome: "completed", reason: "score-limit",
    startedAt: 0, endedAt: 1, durationMs: 1, winnerTeam: 0, ranked: true,
    teams: [{ team: 0, score: 15, playerIds: ["a"] }, { team: 1, score: 9, playerIds: ["b"] }],
    players: [{ playerId: "a", name: "A", team: 0, score: 15, present: true }, { playerId: "b", name: "B", team: 1, score: 9, present: true }],
    ...over,
  };
}

describe("demo end screen", () => {
  it("says won, lost, draw or cancelled for this player", () => {
    assert.equal(outcomeFor(result(), "a"), "won");
    assert.equal(outcomeFor(result(), "b"), "lost");
    assert.equal(outcomeFor(result({ winnerTeam: null }), "a"), "draw");
    assert.equal(outcomeFor(result({ outcome: "cancelled", winnerTeam: null }), "a"), "cancelled");
    const s = endScreen(result(), "b");
    assert.equal(s.headline, "Defeat: you lost");
    assert.equal(s.detail, "Blue 15 : Orange 9 · score limit");
  });

  it("words the rating change and coins, and says when a game is unranked", () => {
    assert.equal(rewardsLine({ ranked: true, mmrBefore: 1500, mmrAfter: 1523, coins: 100, coinsNow: 225 }), "Rating 1500 → 1523 (+23) · +100 coins (now 225)");
    assert.equal(rewardsLine({ ranked: true, mmrBefore: 1500, mmrAfter: 1480, coins: 25, coinsNow: null }), "Rating 1500 → 1480 (−20) · +25 coins");
    assert.match(rewardsLine({ ranked: false, mmrBefore: null, mmrAfter: null, coins: null, coinsNow: null }), /unranked/);
  });

  it("finds the match's history entry, or null until the result is stored", () => {
    const h = { matchId: "m1", mode: "arena", endedAt: "", team: 0, score: 15, outcome: "win" as const, mmrBefore: 1500, mmrAfter: 1523 };
    assert.equal(entryFor([h], "m1"), h);
    assert.equal(entryFor([h], "m2"), null);
  });
});
