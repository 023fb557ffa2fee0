/**
 * Issue #15 item 1, one node: backfill. A 2v2 whose player leaves for good (on purpose, or past the
 * reconnection window) gets the seat refilled from the queue: the waiting player receives a normal
 * `seat`, lands in the running room on the team that lost a player, and is rated for the share of the
 * match it played. A mode without backfill, or a match past `backfill.untilS`, plays on short. A seat
 * whose joiner never comes opens again for the next one. Official @colyseus/sdk clients.
 */
import assert from "node:assert/strict";
import type { Room as SdkRoom } from "@colyseus/sdk";
import { defineGame } from "../../server/index.ts";
import { matchResultSchema, type MatchResult } from "../../protocol/index.ts";
import { acceptSeat, joinQueue, nextMessage, startMmNode, until, within, type MmNode } from "../support/matchmaker-e2e.ts";
import { refusedWith } from "../support/refusal.ts";
import { sleep } from "../support/wait.ts";
import { RaceRoom, raceMatch, teamOf, type RaceState } from "../support/race-room.ts";

const raceGame = defineGame({
  room: RaceRoom,
  modes: {
    duo: { teams: 2, teamSize: 2, backfill: { untilS: 60 } },
    "duo-short": { teams: 2, teamSize: 2, backfill: { untilS: 2 } },
    "duo-plain": { teams: 2, teamSize: 2 },
  },
});

interface Seated { readonly player: { playerId: string; token: string }; readonly room: SdkRoom<unknown, RaceState> }

describe("backfill (one node)", function () {
  this.timeout(90_000);
  let t: MmNode;
  const open: SdkRoom[] = [];

  before(async () => {
    t = await startMmNode({ MM_CONNECT_TIMEOUT_S: "4", RECONNECT_WINDOW_S: "2" }, { games: { race: raceGame } });
  });
  afterEach(async () => {
    await Promise.allSettled(open.splice(0).map((r) => (r.connection?.isOpen ? r.leave(true) : undefined)));
  });
  after(async () => { await t?.close(); });

  const match = (mode: string): Promise<Seated[]> => raceMatch(t, mode, open);

  async function queueOne(mode: string) {
    const player = await t.player();
    const client = t.client(player.token);
    const q = await joinQueue(client, { mode });
    open.push(q.queue);
    return { player, client, q };
  }

  it("a player who leaves on purpose is replaced from the queue, on the same team, and rated for the share it played", async () => {
    const seated = await match("duo");
    const [leaver, stay] = seated;
    const team = teamOf(stay!.room, leaver!.player.playerId)!;
    await leaver!.room.leave(true);
    const joiner = await queueOne("duo");
    const room = await acceptSeat(joiner.client, joiner.q) as SdkRoom<unknown, RaceState>;
    open.push(room);
    assert.equal(room.roomId, stay!.room.roomId, "seated in the running match");
    await until("the joiner in the others' state", () => teamOf(stay!.room, joiner.player.playerId) !== undefined);
    assert.equal(teamOf(stay!.room, joiner.player.playerId), team, "on the team that lost a player");
    assert.equal(stay!.room.state.players.size, 5, "the leaver's runner stays in the state; the joiner is added");

    // the joiner's team wins after a while: the joiner played part of it
    await sleep(1500);
    const result = nextMessage<MatchResult>(room, "result");
    room.send("win", { team });
    const r = matchResultSchema.parse(await result);
    const late = r.players.find((p) => p.playerId === joiner.player.playerId)!;
    assert.equal(late.team, team);
    assert.ok(late.joinedAtMs !== undefined && late.joinedAtMs > 0 && late.joinedAtMs < r.durationMs, `joined ${late.joinedAtMs} ms into ${r.durationMs} ms`);
    assert.equal(r.players.find((p) => p.playerId === leaver!.player.playerId)!.present, false);
    assert.equal(r.players.find((p) => p.playerId === stay!.player.playerId)!.joinedAtMs, undefined);

    // both won from the same starting rating; the late joiner's gain is scaled by the share it played
    const teammate = seated.find((s) => s !== leaver && teamOf(stay!.room, s.player.playerId) === team)!;
    const gain = async (token: string) => {
      const res = await fetch(`${t.url}/v1/players/me/matches`, { headers: { authorization: `Bearer ${token}` } });
      const { matches } = await res.json() as { matches: { matchId: string; mmrBefore: number | null; mmrAfter: number | null; outcome: string }[] };
      const m = matches.find((x) => x.matchId === r.matchId)!;
      assert.equal(m.outcome, "win");
      return m.mmrAfter! - m.mmrBefore!;
    };
    await until("the result stored", async () => (await fetch(`${t.url}/v1/players/me/matches`, { headers: { authorization: `Bearer ${joiner.player.token}` } }).then((x) => x.json()) as { matches: unknown[] }).matches.length === 1);
    const [full, part] = [await gain(teammate.player.token), await gain(joiner.player.token)];
    assert.ok(part > 0 && part < full, `late joiner +${part}, full-match teammate +${full}`);
  });

  it("a dropped player's seat opens once the reconnection window is over, not before", async () => {
    const seated = await match("duo");
    const [dropper, stay] = seated;
    const team = teamOf(stay!.room, dropper!.player.playerId)!;
    const joiner = await queueOne("duo");
    dropper!.room.reconnection.enabled = false;
    const droppedAt = Date.now();
    await dropper!.room.leave(false);
    const seat = await within(joiner.q.seat, 15_000, "a backfill seat");
    assert.ok(Date.now() - droppedAt >= 2000, "the seat waited out the 2 s reconnection window");
    assert.equal(seat.roomId, stay!.room.roomId);
    joiner.q.queue.send("confirm");
    const room = await joiner.client.consumeSeatReservation(seat as never) as SdkRoom<unknown, RaceState>;
    open.push(room);
    room.onMessage("*", () => undefined);
    await until("the joiner on the dropper's team", () => teamOf(stay!.room, joiner.player.playerId) === team);
  });

  it("without backfill, or past untilS, the match plays on short and the waiting player keeps waiting", async () => {
    for (const mode of ["duo-plain", "duo-short"]) {
      const seated = await match(mode);
      if (mode === "duo-short") await sleep(2500); // past the mode's untilS of 2 s
      await seated[0]!.room.leave(true);
      const joiner = await queueOne(mode);
      const seat = await Promise.race([joiner.q.seat.then(() => "seat"), sleep(3000).then(() => "none")]);
      assert.equal(seat, "none", `${mode}: no seat in a running match (three passes)`);
      assert.equal(seated[1]!.room.state.phase, "playing");
      await joiner.q.queue.leave(true);
      await Promise.all(seated.slice(1).map((s) => s.room.leave(true)));
    }
  });

  it("a joiner who never comes loses the seat after the connect timeout; the seat opens again for the next player; nobody gets in unasked", async () => {
    const seated = await match("duo");
    const [leaver, stay] = seated;
    const team = teamOf(stay!.room, leaver!.player.playerId)!;
    await leaver!.room.leave(true);
    // an outsider cannot walk into the open seat by room id
    const outsider = await t.player();
    await assert.rejects(t.client(outsider.token).joinById(stay!.room.roomId), refusedWith("NOT_EXPECTED"));

    const ghost = await queueOne("duo");
    await within(ghost.q.seat, 15_000, "the ghost's seat");
    await ghost.q.queue.leave(true); // takes the seat and never comes
    const next = await queueOne("duo");
    const room = await acceptSeat(next.client, next.q, 20_000) as SdkRoom<unknown, RaceState>;
    open.push(room);
    assert.equal(room.roomId, stay!.room.roomId);
    await until("the next player on the team", () => teamOf(stay!.room, next.player.playerId) === team);
    // the ghost's ticket is over: it may queue again at once
    const again = await joinQueue(t.client(ghost.player.token), { mode: "duo" });
    open.push(again.queue);
  });
});
