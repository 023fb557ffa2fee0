/**
 * The arena example as a studio would test it: `arenaGame` on a node from `rally/testing`, one ranked
 * `arena` match queued and played with official @colyseus/sdk clients (guest auth over HTTP, `queue`,
 * `seat` -> `confirm` -> consumeSeatReservation, real `input` messages), to a stored result.
 *
 * A real 15-kill game takes minutes, so once the players have moved and fired, the test gives team 0
 * the score limit on the server's state; the end of the match (winner, result, history, ratings) is the
 * room's own.
 */
import assert from "node:assert/strict";
import { matchMaker } from "@colyseus/core";
import { Client, type Room } from "@colyseus/sdk";
import { startTestRally, type TestRally } from "rally/testing";
import { ARENA, arenaGame, type ArenaState } from "../../../examples/arena/index.ts";
import { guest } from "../../support/processes.ts";
import { acceptSeat, joinQueue, nextMessage } from "../../support/matchmaker-e2e.ts";
import { until } from "../../support/wait.ts";

interface ArenaView { phase: string; players: Map<string, { playerId: string; team: number; x: number }> }
interface HistoryEntry { matchId: string; mode: string; outcome: string; mmrBefore: number | null; mmrAfter: number | null }

describe("examples/arena: one queued match through rally/testing", function () {
  this.timeout(60_000);
  let t: TestRally;
  const open: Room[] = [];

  before(async () => {
    t = await startTestRally({ games: { arena: arenaGame }, env: { MM_CONNECT_TIMEOUT_S: "5" } });
  });
  after(async () => {
    await Promise.allSettled(open.map((r) => (r.connection?.isOpen ? r.leave(true) : undefined)));
    await t?.close();
  });

  it("four guests queue for `arena`, play a 2v2 to the end, and find it in their history with new ratings", async () => {
    const tag = `${process.pid}-${Date.now()}`;
    const players = await Promise.all([0, 1, 2, 3].map((i) => guest(t.url, `arena-example-${tag}-${i}`)));
    const clients = players.map((p) => {
      const c = new Client(t.url);
      c.auth.token = p.token;
      return c;
    });
    const queued = await Promise.all(clients.map((c) => joinQueue(c, { mode: "arena" })));
    open.push(...queued.map((q) => q.queue));
    const rooms = await Promise.all(queued.map((q, i) => acceptSeat(clients[i], q)));
    open.push(...rooms);
    assert.equal(new Set(rooms.map((r) => r.roomId)).size, 1, "all four in one arena");
    const view = (r: Room) => r.state as unknown as ArenaView;
    await until("the match to start", () => rooms.every((r) => view(r)?.phase === "playing" && view(r).players.size === 4));

    // Everyone moves and fires for a moment; the server applies the inputs.
    const start = new Map([...view(rooms[0]).players].map(([id, p]) => [id, p.x]));
    rooms.forEach((r, i) => r.send("input", { seq: 1, x: i % 2 === 0 ? 1 : -1, y: 0, aim: 0, fire: true }));
    await until("the players to move", () => [...view(rooms[0]).players].every(([id, p]) => p.x !== start.get(id)));

    const results = rooms.map((r) => nextMessage<{ matchId: string; outcome: string; reason: string; winnerTeam: number | null; ranked: boolean }>(r, "result"));
    const server = matchMaker.getLocalRoomById(rooms[0].roomId) as unknown as { state: ArenaState };
    server.state.teamScores[0] = ARENA.scoreLimit;
    const [result] = await Promise.all(results);
    assert.equal(result.outcome, "completed");
    assert.equal(result.reason, "score-limit");
    assert.equal(result.winnerTeam, 0);
    assert.equal(result.ranked, true);

    const teamOf = new Map([...view(rooms[0]).players.values()].map((p) => [p.playerId, p.team]));
    const history = async (token: string): Promise<HistoryEntry[]> => {
      const res = await fetch(`${t.url}/v1/players/me/matches`, { headers: { authorization: `Bearer ${token}` } });
      assert.equal(res.status, 200);
      return ((await res.json()) as { matches: HistoryEntry[] }).matches;
    };
    await until("the result in every history", async () => (await Promise.all(players.map((p) => history(p.token)))).every((h) => h.some((m) => m.matchId === result.matchId)));
    for (const p of players) {
      const entry = (await history(p.token)).find((m) => m.matchId === result.matchId)!;
      assert.equal(entry.mode, "arena");
      assert.equal(entry.outcome, teamOf.get(p.playerId) === 0 ? "win" : "loss");
      assert.ok(entry.mmrBefore !== null && entry.mmrAfter !== null, "a ranked match moves the rating");
      assert.equal(entry.mmrAfter! > entry.mmrBefore!, teamOf.get(p.playerId) === 0);
    }
  });
});
