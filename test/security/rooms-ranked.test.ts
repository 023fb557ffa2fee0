/**
 * Issue #12 item 6: only ranked (matchmade) matches move ratings, leaderboards and rewards. Two accounts
 * trading wins in open `arena` games leave their rating and the leaderboard unchanged, with history
 * recorded; a matchmade match is still rated; a human who faced only bots is told so and recorded so.
 */
import assert from "node:assert/strict";
import { matchMaker } from "@colyseus/core";
import type { Room as SdkRoom } from "@colyseus/sdk";
import type { MatchResult } from "../../rooms/index.ts";
import { until } from "../support/wait.ts";
import { nextMessage, waitForState } from "../support/rooms.ts";
import { startSecureNode, type SecureNode } from "../support/security-rooms.ts";

interface ArenaServerRoom {
  state: { teamScores: number[]; players: Map<string, { team: number }> };
  endMatch(reason: string): void;
}

describe("security: only ranked matches move ratings and rewards", function () {
  this.timeout(60_000);
  let t: SecureNode;

  before(async () => {
    t = await startSecureNode();
  });
  after(async () => t?.close());

  /** Ends the match in `room` with `winner` (an SDK room of one of its players) ahead; resolves with the `result` message. */
  async function win(room: SdkRoom, winner: SdkRoom): Promise<MatchResult> {
    await waitForState(room, (s: { phase?: string }) => s.phase === "playing", 10_000, "playing");
    const server = matchMaker.getLocalRoomById(room.roomId) as unknown as ArenaServerRoom;
    const team = server.state.players.get(winner.sessionId)!.team;
    server.state.teamScores[team] = 5;
    const result = nextMessage<MatchResult>(room, "result");
    server.endMatch("score-limit");
    return result;
  }

  const me = async (token: string) => (await t.http("GET", "/v1/players/me", { token })).body as { ratings: Array<{ mode: string; mmr: number; matches: number }> };
  const history = async (token: string) => ((await t.http("GET", "/v1/players/me/matches", { token })).body as { matches: Array<{ matchId: string; outcome: string; mmrAfter: number | null }> }).matches;
  const board = async (token: string) => (await t.http("GET", "/v1/leaderboards/rating.arena", { token })).body as { total: number; entries: unknown[] };
  const coins = async (token: string) => ((await t.http("GET", "/v1/players/me/inventory", { token })).body as { items: Record<string, number> }).items.coins ?? 0;

  it("open arena games trading wins: history recorded, rating, leaderboard and rewards unchanged; a matchmade match is rated", async () => {
    const a = await t.guest(), b = await t.guest();
    for (const [i, winnerIsA] of [true, false, true, false].entries()) {
      const ra = await t.client(a.token).create("arena");
      const rb = await t.client(b.token).joinById(ra.roomId);
      const result = await win(ra, winnerIsA ? ra : rb);
      assert.equal(result.ranked, false, `open game ${i} says it is unranked`);
      await until(`history of open game ${i}`, async () => (await history(a.token)).length === i + 1 && (await history(b.token)).length === i + 1);
    }
    for (const p of [a, b]) {
      assert.deepEqual((await me(p.token)).ratings, [], "no rating from open games");
      assert.equal(await coins(p.token), 0, "no rewards from open games");
      const h = await history(p.token);
      assert.deepEqual(h.map((m) => m.outcome).sort(), ["loss", "loss", "win", "win"]);
      assert.ok(h.every((m) => m.mmrAfter === null));
    }
    assert.equal((await board(a.token)).total, 0, "the rating leaderboard is empty");

    // The same two players, matchmade: rated under the mode.
    const listing = await matchMaker.createRoom("arena", { matchId: `ranked-${a.playerId}`, mode: "arena", teams: [[a.playerId], [b.playerId]] });
    const ra = await t.client(a.token).joinById(listing.roomId);
    await t.client(b.token).joinById(listing.roomId);
    const ranked = await win(ra, ra);
    assert.equal(ranked.ranked, true);
    assert.equal(ranked.againstBotsOnly, false);
    await until("the ranked match rated", async () => (await me(a.token)).ratings.some((r) => r.mode === "arena" && r.matches === 1));
    assert.equal((await board(a.token)).total, 2);
  });

  it("a matchmade match where a human faced only bots says so, and is recorded but not rated", async () => {
    const a = await t.guest();
    const listing = await matchMaker.createRoom("arena", { matchId: `bots-${a.playerId}`, mode: "arena", teams: [[a.playerId], []], bots: [0, 1] });
    const ra = await t.client(a.token).joinById(listing.roomId);
    const result = await win(ra, ra);
    assert.equal(result.againstBotsOnly, true, "the result message tells the player");
    await until("history of the bot match", async () => (await history(a.token)).length === 1);
    assert.deepEqual((await me(a.token)).ratings, []);
  });
});
