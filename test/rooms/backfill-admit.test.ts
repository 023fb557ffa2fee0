/**
 * MatchRoom.admitBackfill's refusals (rooms/match-room.ts), called as the leader calls it: Colyseus'
 * remote room call on a running matchmade 2v2 with one seat open (a player left on purpose). Anything
 * but an admission that fits the open seats is refused and changes nothing: a malformed payload, more
 * players than a team has open seats, a team the room does not have, a player already present or already
 * admitted, a mode without backfill, a match past `untilS`, an ended match, a draining room.
 */
import assert from "node:assert/strict";
import { matchMaker } from "@colyseus/core";
import type { Room as SdkRoom } from "@colyseus/sdk";
import { defineGame, type MatchPlayer } from "../../server/index.ts";
import { startMmNode, until, type MmNode } from "../support/matchmaker-e2e.ts";
import { sleep } from "../support/wait.ts";
import { RaceRoom, raceMatch, type RaceState } from "../support/race-room.ts";

const admitGame = defineGame({
  room: RaceRoom,
  modes: {
    "adm-duo": { teams: 2, teamSize: 2, backfill: { untilS: 60 } },
    "adm-short": { teams: 2, teamSize: 2, backfill: { untilS: 2 } },
    "adm-plain": { teams: 2, teamSize: 2 },
  },
});

/** What the refusals must leave as it was (private room fields, read for the test only). */
interface Inside {
  readonly openSeats: number[];
  readonly admissions: Map<string, unknown>;
  readonly expected: Map<string, number> | null;
  readonly openedAt: number;
  readonly players: Map<string, MatchPlayer>;
}
function inside(roomId: string): Inside {
  const room = matchMaker.getLocalRoomById(roomId) as unknown as Inside | undefined;
  assert.ok(room, "the room is on this process");
  return room;
}
const snapshot = (roomId: string) => {
  const r = inside(roomId);
  return { openSeats: [...r.openSeats], admissions: [...r.admissions.keys()], expected: [...(r.expected ?? new Map()).entries()].sort(), openedAt: r.openedAt };
};
const admit = (roomId: string, payload: unknown) => matchMaker.remoteRoomCall(roomId, "admitBackfill" as never, [payload]) as Promise<unknown>;

describe("MatchRoom.admitBackfill refusals (remote room call)", function () {
  this.timeout(90_000);
  let t: MmNode;
  const open: SdkRoom[] = [];

  before(async () => {
    t = await startMmNode({ MM_CONNECT_TIMEOUT_S: "20", RECONNECT_WINDOW_S: "2" }, { games: { admit: admitGame } });
  });
  afterEach(async () => {
    await Promise.allSettled(open.splice(0).map((r) => (r.connection?.isOpen ? r.leave(true) : undefined)));
  });
  after(async () => { await t?.close(); });

  interface Running { readonly roomId: string; readonly rooms: SdkRoom<unknown, RaceState>[]; readonly players: { playerId: string }[]; readonly team: number }

  /** A running 2v2 of `mode` whose first player left on purpose (its team: `team`). */
  async function matchWithLeaver(mode: string, beforeLeave?: () => Promise<void>): Promise<Running> {
    const seated = await raceMatch(t, mode, open);
    const players = seated.map((s) => s.player), rooms = seated.map((s) => s.room);
    const roomId = rooms[0]!.roomId;
    const team = [...rooms[1]!.state.players.values()].find((r) => r.playerId === players[0]!.playerId)!.team;
    await beforeLeave?.();
    await rooms[0]!.leave(true);
    return { roomId, rooms: rooms.slice(1), players: players.slice(1), team };
  }

  it("refuses malformed payloads, too many players, a team it does not have, players present or admitted; nothing changes", async () => {
    const m = await matchWithLeaver("adm-duo");
    const other = 1 - m.team;
    await until("the leaver's seat open", () => inside(m.roomId).openSeats[m.team] === 1);
    const before = snapshot(m.roomId);
    const refused: Array<[string, unknown]> = [
      ["undefined", undefined],
      ["null", null],
      ["a string", "fresh"],
      ["no players", {}],
      ["an empty list", { players: [] }],
      ["an empty playerId", { players: [{ playerId: "", name: "x", team: m.team }] }],
      ["no name", { players: [{ playerId: "fresh", team: m.team }] }],
      ["a negative team", { players: [{ playerId: "fresh", name: "x", team: -1 }] }],
      ["a fractional team", { players: [{ playerId: "fresh", name: "x", team: 0.5 }] }],
      ["a team as a string", { players: [{ playerId: "fresh", name: "x", team: String(m.team) }] }],
      ["a team the room lacks (2 of 2)", { players: [{ playerId: "fresh", name: "x", team: 2 }] }],
      ["more players than open seats on the team", { players: [{ playerId: "fresh", name: "x", team: m.team }, { playerId: "fresh2", name: "y", team: m.team }] }],
      ["a team with no open seat", { players: [{ playerId: "fresh", name: "x", team: other }] }],
      ["one fits, one on the full team", { players: [{ playerId: "fresh", name: "x", team: m.team }, { playerId: "fresh2", name: "y", team: other }] }],
      ["a player already present", { players: [{ playerId: m.players[0]!.playerId, name: "x", team: m.team }] }],
    ];
    for (const [what, payload] of refused) {
      assert.equal(await admit(m.roomId, payload), false, what);
      assert.deepEqual(snapshot(m.roomId), before, `${what}: nothing changed`);
    }

    // the one that fits is admitted; the seat is then taken, and the same player cannot be admitted twice
    assert.equal(await admit(m.roomId, { players: [{ playerId: "fresh", name: "x", team: m.team }] }), true);
    const after = snapshot(m.roomId);
    assert.deepEqual(after.openSeats, [0, 0]);
    assert.deepEqual(after.admissions, ["fresh"]);
    assert.equal(after.openedAt, 0, "nothing open any more");
    assert.ok(after.expected.some(([id, team]) => id === "fresh" && team === m.team));
    assert.equal(await admit(m.roomId, { players: [{ playerId: "fresh", name: "x", team: m.team }] }), false, "already admitted");
    assert.equal(await admit(m.roomId, { players: [{ playerId: "fresh3", name: "z", team: m.team }] }), false, "no seat left");
    assert.deepEqual(snapshot(m.roomId), after);
  });

  it("refuses a payload naming one player twice (two open seats; one admission would hold both)", async () => {
    const m = await matchWithLeaver("adm-duo");
    await until("the leaver's seat open", () => inside(m.roomId).openSeats[m.team] === 1);
    // the leaver's teammate leaves too: two seats open on the team
    const teamOf = (id: string) => [...m.rooms[0]!.state.players.values()].find((x) => x.playerId === id)?.team;
    const mate = m.players.findIndex((p) => teamOf(p.playerId) === m.team);
    await m.rooms[mate]!.leave(true);
    await until("two seats open", () => inside(m.roomId).openSeats[m.team] === 2);
    const before = snapshot(m.roomId);
    assert.equal(await admit(m.roomId, { players: [{ playerId: "twice", name: "x", team: m.team }, { playerId: "twice", name: "x", team: m.team }] }), false);
    assert.deepEqual(snapshot(m.roomId), before, "nothing changed");
    assert.equal(await admit(m.roomId, { players: [{ playerId: "one", name: "x", team: m.team }, { playerId: "two", name: "y", team: m.team }] }), true, "two players fit two seats");
    assert.deepEqual(snapshot(m.roomId).openSeats, [0, 0]);
  });

  it("refuses once the match ended", async () => {
    const m = await matchWithLeaver("adm-duo");
    await until("the leaver's seat open", () => inside(m.roomId).openSeats[m.team] === 1);
    m.rooms[0]!.send("win", { team: m.team });
    await until("the match over", () => m.rooms.every((r) => r.state.phase === "ended"));
    assert.equal(await admit(m.roomId, { players: [{ playerId: "late", name: "x", team: m.team }] }), false);
    assert.deepEqual(inside(m.roomId).admissions.size, 0);
  });

  it("refuses while the room drains", async () => {
    const m = await matchWithLeaver("adm-duo");
    await until("the leaver's seat open", () => inside(m.roomId).openSeats[m.team] === 1);
    // what the node's SIGTERM does to each room, on this room only
    (matchMaker.getLocalRoomById(m.roomId) as unknown as { onBeforeShutdown(): void }).onBeforeShutdown();
    assert.equal(await admit(m.roomId, { players: [{ playerId: "late", name: "x", team: m.team }] }), false);
    assert.deepEqual(snapshot(m.roomId).openSeats, [0, 0], "a draining room withdraws its opening");
    assert.deepEqual(inside(m.roomId).admissions.size, 0);
  });

  it("refuses in a mode without backfill (no seat is ever open)", async () => {
    const m = await matchWithLeaver("adm-plain");
    await until("the leaver gone", () => [...inside(m.roomId).players.values()].some((p) => !p.present));
    assert.deepEqual(inside(m.roomId).openSeats, [0, 0]);
    assert.equal(await admit(m.roomId, { players: [{ playerId: "late", name: "x", team: m.team }] }), false);
  });

  it("refuses past the mode's untilS, even with a seat it opened before", async () => {
    const m = await matchWithLeaver("adm-short");
    await until("the leaver's seat open", () => inside(m.roomId).openSeats[m.team] === 1);
    await sleep(2200); // untilS 2 from the start
    assert.equal(await admit(m.roomId, { players: [{ playerId: "late", name: "x", team: m.team }] }), false);
    assert.deepEqual(inside(m.roomId).admissions.size, 0);
  });
});
