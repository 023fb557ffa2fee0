/**
 * The `arena` room end to end: a real node (server/node wiring) on a free port, players as
 * @colyseus/sdk clients, the server Room instance through @colyseus/testing for inspection.
 */
import assert from "node:assert/strict";
import { matchMaker, type Room as ServerRoom } from "@colyseus/core";
import type { Room as SdkRoom } from "@colyseus/sdk";
import { SignJWT } from "jose";
import { ARENA, ArenaRoom, type ArenaState } from "../../../examples/arena/index.ts";
import { defineGame } from "../../../server/index.ts";
import { leaveCode, nextMessage, startTestNode, waitForState, type TestNode } from "../../support/rooms.ts";
import { matchResultSchema, type ErrorCode } from "../../../protocol/index.ts";
import { refusedWith } from "../../support/refusal.ts";

const JWT_SECRET = "arena-test-secret-0123456789-abcdefgh";
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- SDK rooms decode the state without static types
type Client = SdkRoom<any, any>;
type Player = { playerId: string; name: string; token: string };

/** Production arena with short lifecycle timers, registered as its own room type for the tests that wait on them. */
class QuickArena extends ArenaRoom {
  protected override connectTimeoutMs = 400;
  protected override resultLingerMs = 300;
  protected override reconnectWindowS = 1;
}


async function expectRefusal(p: Promise<unknown>, code: ErrorCode): Promise<void> {
  await assert.rejects(p, refusedWith(code));
}

function serverRoom(roomId: string): ServerRoom & { state: ArenaState } {
  const room = matchMaker.getLocalRoomById(roomId);
  assert.ok(room, `room ${roomId} is alive`);
  return room as ServerRoom & { state: ArenaState };
}

async function arenaRooms(): Promise<number> {
  return (await matchMaker.query({ name: "arena" })).length;
}

describe("arena room", function () {
  this.timeout(30_000);
  let t: TestNode;
  let matchSeq = 0;

  before(async () => {
    t = await startTestNode({ JWT_SECRET }, { games: { "arena-quick": defineGame({ room: QuickArena }) } });
  });
  afterEach(async () => {
    await Promise.all(matchMaker.disconnectAll());
  });
  after(() => t.close());

  /** A matchmade arena (what provisioning creates) for these players, by team. */
  async function matchmade(teams: Player[][], roomName = "arena"): Promise<{ roomId: string; matchId: string }> {
    const matchId = `match-${++matchSeq}`;
    const listing = await matchMaker.createRoom(roomName, { matchId, teams: teams.map((team) => team.map((p) => p.playerId)) });
    return { roomId: listing.roomId, matchId };
  }

  /** Two players connected to a matchmade arena that is playing. */
  async function playing(): Promise<{ a: Player; b: Player; ra: Client; rb: Client; roomId: string; matchId: string }> {
    const a = await t.player(), b = await t.player();
    const { roomId, matchId } = await matchmade([[a], [b]]);
    const ra: Client = await t.client(a.token).joinById(roomId);
    const rb: Client = await t.client(b.token).joinById(roomId);
    for (const r of [ra, rb]) await waitForState(r, (s) => s.phase === "playing" && s.players.size === 2, 5000, "playing with 2");
    return { a, b, ra, rb, roomId, matchId };
  }

  /** Waits for the next patch the client gets, so everything before it was applied on the server. */
  const settle = async (r: Client) => { await r.waitForNextPatch(); await r.waitForNextPatch(); };

  describe("who may join", () => {
    it("refuses a join without a token with AUTH_MISSING_TOKEN", async () => {
      await expectRefusal(t.client().joinOrCreate("arena"), "AUTH_MISSING_TOKEN");
      assert.equal(await arenaRooms(), 0);
    });

    it("refuses a forged token with AUTH_INVALID_TOKEN", async () => {
      const forged = await new SignJWT({ typ: "access", name: "Mallory" }).setProtectedHeader({ alg: "HS256" })
        .setIssuer("rally").setSubject("mallory").setIssuedAt().setExpirationTime("10m")
        .sign(new TextEncoder().encode("some-other-secret-0123456789-abcdef"));
      await expectRefusal(t.client(forged).joinOrCreate("arena"), "AUTH_INVALID_TOKEN");
    });

    it("refuses an expired token with AUTH_EXPIRED_TOKEN", async () => {
      const now = Math.floor(Date.now() / 1000);
      const expired = await new SignJWT({ typ: "access", name: "Late" }).setProtectedHeader({ alg: "HS256" })
        .setIssuer("rally").setSubject("late").setIssuedAt(now - 1000).setExpirationTime(now - 5)
        .sign(new TextEncoder().encode(JWT_SECRET));
      await expectRefusal(t.client(expired).joinOrCreate("arena"), "AUTH_EXPIRED_TOKEN");
    });

    it("refuses a refresh token used as an access token", async () => {
      const p = await t.player();
      const { refreshToken } = await t.node.tokens.issue(p);
      await expectRefusal(t.client(refreshToken).joinOrCreate("arena"), "AUTH_INVALID_TOKEN");
    });

    for (const options of [{ rating: 3000 }, { team: 1 }, { playerId: "someone-else" }, { region: "eu-west" }, { matchId: "x", teams: [["a"], ["b"]] }]) {
      it(`refuses client options ${JSON.stringify(options)} with ROOM_BAD_OPTIONS and creates no room`, async () => {
        const p = await t.player();
        await expectRefusal(t.client(p.token).joinOrCreate("arena", options), "ROOM_BAD_OPTIONS");
        await expectRefusal(t.client(p.token).create("arena", options), "ROOM_BAD_OPTIONS");
        assert.equal(await arenaRooms(), 0);
      });
    }

    it("a matchmade room with the wrong number of teams is not created", async () => {
      const a = await t.player();
      await expectRefusal(matchMaker.createRoom("arena", { matchId: "bad-teams", teams: [[a.playerId]] }), "ROOM_BAD_OPTIONS");
      assert.equal(await arenaRooms(), 0);
    });

    it("matchmade options that do not parse are refused, never opened as a public room", async () => {
      const a = await t.player();
      for (const options of [
        { matchId: "no-humans", teams: [[], []] },
        { matchId: "empty-team", teams: [[a.playerId], []] },
        { matchId: "bad-ids", teams: [[a.playerId], [42]] },
      ]) {
        await expectRefusal(matchMaker.createRoom("arena", options), "ROOM_BAD_OPTIONS");
      }
      assert.equal(await arenaRooms(), 0);
    });
  });

  describe("open room (joinOrCreate)", () => {
    it("seats two players on opposite teams and starts after the start delay", async () => {
      const a = await t.player(), b = await t.player();
      const ra: Client = await t.client(a.token).joinOrCreate("arena");
      const rb: Client = await t.client(b.token).joinOrCreate("arena");
      assert.equal(rb.roomId, ra.roomId);
      await waitForState(ra, (s) => s.players?.size === 2);
      assert.equal(ra.state.phase, "waiting", "not started before the start delay");
      const teams = [ra.state.players.get(ra.sessionId).team, ra.state.players.get(rb.sessionId).team].sort();
      assert.deepEqual(teams, [0, 1]);
      assert.equal(ra.state.players.get(ra.sessionId).playerId, a.playerId, "identity from the token");
      await waitForState(ra, (s) => s.phase === "playing", 10_000, "phase playing");
      await waitForState(rb, (s) => s.phase === "playing", 2000, "phase playing (b)");
    });

    it("a player alone in an open room stays waiting; leaving frees the seat", async () => {
      const a = await t.player();
      const ra: Client = await t.client(a.token).joinOrCreate("arena");
      await waitForState(ra, (s) => s.players?.size === 1);
      assert.equal(ra.state.phase, "waiting");
      const room = serverRoom(ra.roomId);
      await ra.leave(true);
      // Either the empty room is gone (autoDispose) or the seat is free again.
      assert.ok(!matchMaker.getLocalRoomById(ra.roomId) || room.state.players.size === 0);
    });
  });

  describe("inputs", () => {
    it("moves the sender's own player at no more than ARENA.speed", async () => {
      const { ra, rb } = await playing();
      const other0 = { x: rb.state.players.get(rb.sessionId).x, y: rb.state.players.get(rb.sessionId).y };
      ra.send("input", { seq: 1, x: 1, y: 0, aim: 0, fire: false });
      const s0 = await waitForState(ra, (s) => s.players.get(ra.sessionId).lastSeq === 1, 3000, "input applied");
      const x0 = s0.players.get(ra.sessionId).x, e0 = s0.elapsedMs;
      const s1 = await waitForState(ra, (s) => s.elapsedMs >= e0 + 600, 5000, "600 ms of play");
      const dx = s1.players.get(ra.sessionId).x - x0;
      const allowed = (ARENA.speed * (s1.elapsedMs - e0)) / 1000;
      assert.ok(dx > 0, "moved right");
      assert.ok(dx <= allowed + 0.5, `moved ${dx} in ${s1.elapsedMs - e0} ms (max ${allowed})`);
      assert.ok(dx >= allowed - 0.5, `moved at full speed (${dx} of ${allowed})`);

      // A diagonal stick is clamped to length 1.
      const before = { x: s1.players.get(ra.sessionId).x, y: s1.players.get(ra.sessionId).y, e: s1.elapsedMs };
      ra.send("input", { seq: 2, x: 1, y: 1, aim: 0, fire: false });
      const s2 = await waitForState(ra, (s) => s.players.get(ra.sessionId).lastSeq === 2);
      const b2 = { x: s2.players.get(ra.sessionId).x, y: s2.players.get(ra.sessionId).y, e: s2.elapsedMs };
      const s3 = await waitForState(ra, (s) => s.elapsedMs >= b2.e + 300, 5000);
      const moved = Math.hypot(s3.players.get(ra.sessionId).x - b2.x, s3.players.get(ra.sessionId).y - b2.y);
      assert.ok(moved <= (ARENA.speed * (s3.elapsedMs - b2.e)) / 1000 + 0.5, `diagonal moved ${moved}`);
      assert.ok(before.x < b2.x);

      // The other player did not move.
      assert.deepEqual({ x: rb.state.players.get(rb.sessionId).x, y: rb.state.players.get(rb.sessionId).y }, other0);
    });

    const hostile: Array<[string, unknown]> = [
      ["x: 50", { seq: 9, x: 50, y: 0, aim: 0, fire: false }],
      ["an extra playerId key", { seq: 9, x: 1, y: 0, aim: 0, fire: false, playerId: "victim" }],
      ["a string for a number", { seq: 9, x: "1", y: 0, aim: 0, fire: false }],
      ["NaN", { seq: 9, x: 0, y: 0, aim: Number.NaN, fire: false }],
      ["Infinity", { seq: 9, x: Number.POSITIVE_INFINITY, y: 0, aim: 0, fire: false }],
      ["a negative seq", { seq: -1, x: 1, y: 0, aim: 0, fire: false }],
      ["a missing field", { seq: 9, x: 1, y: 0, aim: 0 }],
      ["null", null],
      ["an array", [9, 1, 0, 0, false]],
      ["a large payload (8 kB)", { seq: 9, x: 1, y: 0, aim: 0, fire: false, pad: "x".repeat(8 * 1024) }],
    ];

    it("answers hostile inputs with an `error` (INVALID_MESSAGE), changes nothing, and the other client keeps playing", async () => {
      const { ra, rb, roomId } = await playing();
      const room = serverRoom(roomId);
      const me = room.state.players.get(ra.sessionId)!;
      const snapshot = () => ({ x: me.x, y: me.y, aim: me.aim, lastSeq: me.lastSeq, ammo: me.ammo, bullets: room.state.bullets.size });
      const before = snapshot();
      for (const [what, payload] of hostile) {
        const reply = nextMessage<{ code: string; message: string }>(ra, "error");
        ra.send("input", payload);
        const error = await reply;
        assert.equal(error.code, "INVALID_MESSAGE", what);
        assert.ok(error.message.length > 0);
      }
      const unknown = nextMessage<{ code: string }>(ra, "error");
      ra.send("teleport", { x: 500, y: 300 });
      assert.equal((await unknown).code, "UNKNOWN_MESSAGE");
      const numeric = nextMessage<{ code: string }>(ra, "error");
      ra.send(7, {});
      assert.equal((await numeric).code, "UNKNOWN_MESSAGE");
      await settle(ra);
      assert.deepEqual(snapshot(), before, "state unchanged");
      assert.ok(ra.connection.isOpen, "the sender is still connected");

      // The other client keeps playing.
      const x0 = room.state.players.get(rb.sessionId)!.x;
      rb.send("input", { seq: 1, x: -1, y: 0, aim: 0, fire: false });
      await waitForState(rb, (s) => s.players.get(rb.sessionId).x < x0 - 5, 3000, "b moves");
    });

    it("a frame over the 16 kB limit closes only that client; the match goes on", async () => {
      const { ra, rb, roomId } = await playing();
      const closed = leaveCode(ra);
      ra.send("input", { seq: 1, x: 1, y: 0, aim: 0, fire: false, pad: "x".repeat(20_000) });
      assert.equal(await closed, 1009);
      const room = serverRoom(roomId);
      const x0 = room.state.players.get(rb.sessionId)!.x;
      rb.send("input", { seq: 1, x: -1, y: 0, aim: 0, fire: false });
      await waitForState(rb, (s) => s.players.get(rb.sessionId).x < x0 - 5, 3000, "b moves");
      assert.equal(rb.state.phase, "playing");
    });

    it("a client over maxMessagesPerSecond is closed with 4002; the other keeps playing", async () => {
      const { ra, rb, roomId } = await playing();
      const closed = leaveCode(ra);
      for (let i = 0; i < ARENA.maxMessagesPerSecond * 3; i++) ra.send("input", { seq: i, x: 0, y: 0, aim: 0, fire: false });
      assert.equal(await closed, 4002);
      assert.ok(rb.connection.isOpen);
      await waitForState(rb, (s) => s.players.get(ra.sessionId).connected === false, 3000, "a shown as disconnected");
      const x0 = serverRoom(roomId).state.players.get(rb.sessionId)!.x;
      rb.send("input", { seq: 1, x: -1, y: 0, aim: 0, fire: false });
      await waitForState(rb, (s) => s.players.get(rb.sessionId).x < x0 - 5, 3000, "b moves");
    });

    it("inputs sent before the match starts change nothing", async () => {
      const a = await t.player(), b = await t.player();
      const { roomId } = await matchmade([[a], [b]]);
      const ra: Client = await t.client(a.token).joinById(roomId);
      const room = serverRoom(roomId);
      const x0 = room.state.players.get(ra.sessionId)!.x;
      ra.send("input", { seq: 5, x: 1, y: 0, aim: 0, fire: true });
      await settle(ra);
      assert.equal(room.state.phase, "waiting");
      assert.equal(room.state.players.get(ra.sessionId)!.x, x0);
      assert.equal(room.state.players.get(ra.sessionId)!.lastSeq, 0);
    });
  });

  describe("StateView", () => {
    it("only the owner ever receives its ammo and lastSeq", async () => {
      const { ra, rb } = await playing();
      const leaks: string[] = [];
      ra.onStateChange((s: { players: Map<string, { ammo?: number; lastSeq?: number }> }) => {
        const other = s.players.get(rb.sessionId);
        if (other && (other.ammo !== undefined || other.lastSeq !== undefined)) leaks.push(JSON.stringify(other));
      });
      rb.send("input", { seq: 777, x: 0, y: 1, aim: Math.PI / 2, fire: true });
      await waitForState(rb, (s) => s.players.get(rb.sessionId).lastSeq === 777 && s.players.get(rb.sessionId).ammo < ARENA.maxAmmo, 3000, "b sees its own private fields");
      await settle(ra);
      assert.deepEqual(leaks, []);
      const seenByA = ra.state.players.get(rb.sessionId);
      assert.equal(seenByA.ammo, undefined);
      assert.equal(seenByA.lastSeq, undefined);
      assert.equal(ra.state.players.get(ra.sessionId).ammo, ARENA.maxAmmo, "a sees its own ammo");
      assert.ok(ra.state.bullets.size > 0, "public state (bullets) still reaches a");
    });
  });

  describe("reconnection", () => {
    it("a dropped player who reconnects within the window keeps its seat, team and score", async () => {
      const { a, ra, rb, roomId } = await playing();
      const room = serverRoom(roomId);
      room.state.players.get(ra.sessionId)!.score = 4;
      await settle(ra);
      const sessionId = ra.sessionId;
      const team = ra.state.players.get(sessionId).team;
      ra.reconnection.enabled = false; // drop for good on this connection; reconnect by hand below
      const token = ra.reconnectionToken;
      await ra.leave(false); // abnormal close, no LEAVE message
      await waitForState(rb, (s) => s.players.get(sessionId)?.connected === false, 3000, "b sees a dropped");
      assert.equal(rb.state.phase, "playing", "a drop does not end the match");

      const ra2: Client = await t.client(a.token).reconnect(token);
      assert.equal(ra2.sessionId, sessionId);
      await waitForState(rb, (s) => s.players.get(sessionId)?.connected === true, 3000, "b sees a back");
      const self = ra2.state.players.get(sessionId);
      assert.equal(self.playerId, a.playerId);
      assert.equal(self.team, team);
      assert.equal(self.score, 4);
      assert.equal(self.ammo, ARENA.maxAmmo, "the private view is restored");
      const x0 = self.x;
      ra2.send("input", { seq: 3, x: 1, y: 0, aim: 0, fire: false });
      await waitForState(ra2, (s) => s.players.get(sessionId).x > x0 + 5, 3000, "a moves again");
    });

    it("after the window the seat is gone and the reconnection is refused", async () => {
      const a = await t.player(), b = await t.player();
      const { roomId } = await matchmade([[a], [b]], "arena-quick"); // 1 s reconnection window
      const ra: Client = await t.client(a.token).joinById(roomId);
      const rb: Client = await t.client(b.token).joinById(roomId);
      await waitForState(rb, (s) => s.phase === "playing" && s.players.size === 2);
      ra.reconnection.enabled = false;
      const token = ra.reconnectionToken;
      const sessionId = ra.sessionId;
      await ra.leave(false);
      const room = serverRoom(roomId) as unknown as { players: Map<string, { present: boolean }> };
      const until = Date.now() + 5000;
      while (room.players.get(sessionId)?.present !== false && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
      assert.equal(room.players.get(sessionId)?.present, false);
      await assert.rejects(t.client(a.token).reconnect(token));
    });
  });

  describe("matchmade room", () => {
    it("admits only the expected players, on their assigned teams; others get NOT_EXPECTED", async () => {
      const a = await t.player(), b = await t.player(), c = await t.player();
      const { roomId } = await matchmade([[b], [a]]);
      const ra: Client = await t.client(a.token).joinById(roomId);
      await expectRefusal(t.client(c.token).joinById(roomId), "NOT_EXPECTED");
      await expectRefusal(t.client(a.token).joinById(roomId), "ALREADY_IN_MATCH");
      const rb: Client = await t.client(b.token).joinById(roomId);
      await waitForState(ra, (s) => s.phase === "playing" && s.players.size === 2, 5000);
      assert.equal(ra.state.players.get(ra.sessionId).team, 1);
      assert.equal(ra.state.players.get(rb.sessionId).team, 0);
      assert.equal(serverRoom(roomId).clients.length, 2);
    });

    it("is private: a client's joinOrCreate never lands in it", async () => {
      const a = await t.player(), b = await t.player();
      const { roomId } = await matchmade([[a], [b]]);
      const ra: Client = await t.client(a.token).joinOrCreate("arena");
      assert.notEqual(ra.roomId, roomId);
    });

    it("connect timeout with a missing player: a cancelled result, sent to who came", async () => {
      const a = await t.player(), b = await t.player();
      const { roomId, matchId } = await matchmade([[a], [b]], "arena-quick");
      const ra: Client = await t.client(a.token).joinById(roomId);
      const resultMsg = nextMessage<{ outcome: string; matchId: string }>(ra, "result", 5000);
      const result = await t.sink.waitFor(matchId);
      assert.equal(result.outcome, "cancelled");
      assert.equal(result.reason, "players-missing");
      assert.equal(result.winnerTeam, null);
      assert.equal(result.durationMs, 0);
      assert.equal((await resultMsg).matchId, matchId);
      assert.equal(ra.state.phase, "waiting", "never started");
      await leaveCode(ra);
      assert.equal(t.sink.forMatch(matchId).length, 1);
    });

    it("connect timeout with nobody connected: a cancelled result and the room closes", async () => {
      const a = await t.player(), b = await t.player();
      const { roomId, matchId } = await matchmade([[a], [b]], "arena-quick");
      const result = await t.sink.waitFor(matchId);
      assert.equal(result.outcome, "cancelled");
      const until = Date.now() + 5000;
      while (matchMaker.getLocalRoomById(roomId) && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
      assert.equal(matchMaker.getLocalRoomById(roomId), undefined);
      assert.equal(t.sink.forMatch(matchId).length, 1);
    });

    it("connect timeout with enough players starts without the missing one", async () => {
      const a = await t.player(), b = await t.player(), c = await t.player();
      const { roomId, matchId } = await matchmade([[a, c], [b]], "arena-quick");
      const ra: Client = await t.client(a.token).joinById(roomId);
      await t.client(b.token).joinById(roomId);
      await waitForState(ra, (s) => s.phase === "playing", 5000, "started after the connect timeout");
      assert.equal(t.sink.forMatch(matchId).length, 0);
    });
  });

  describe("match end", () => {
    it("a finished match reports exactly one result with players, teams, scores and duration", async () => {
      const { a, b, ra, rb, roomId, matchId } = await playing();
      const room = serverRoom(roomId);
      const results = [ra, rb].map((r) => nextMessage<{ matchId: string; outcome: string; winnerTeam: number }>(r, "result"));
      await settle(ra);
      const t0 = Date.now();
      // Team 0 reaches the score limit on the next step.
      room.state.players.get(ra.sessionId)!.score = ARENA.scoreLimit;
      room.state.teamScores[0] = ARENA.scoreLimit;
      const result = await t.sink.waitFor(matchId);
      const [ma, mb] = await Promise.all(results);
      assert.equal(ma.matchId, matchId);
      assert.equal(mb.matchId, matchId);
      assert.equal(ma.winnerTeam, 0);
      // the broadcast and the reported result are the protocol's MatchResult
      matchResultSchema.parse(ma);
      matchResultSchema.parse(result);

      assert.equal(result.outcome, "completed");
      assert.equal(result.reason, "score-limit");
      assert.equal(result.roomName, "arena");
      assert.equal(result.region, "local");
      assert.equal(result.winnerTeam, 0);
      assert.deepEqual(result.teams.map((x) => ({ ...x, playerIds: [...x.playerIds] })), [
        { team: 0, score: ARENA.scoreLimit, playerIds: [a.playerId] },
        { team: 1, score: 0, playerIds: [b.playerId] },
      ]);
      const byId = new Map(result.players.map((p) => [p.playerId, p]));
      assert.deepEqual(byId.get(a.playerId), { playerId: a.playerId, name: a.name, team: 0, score: ARENA.scoreLimit, present: true });
      assert.deepEqual(byId.get(b.playerId), { playerId: b.playerId, name: b.name, team: 1, score: 0, present: true });
      assert.ok(result.durationMs > 0, "duration");
      assert.ok(result.endedAt >= t0 && result.endedAt <= Date.now());
      assert.equal(result.startedAt, result.endedAt - result.durationMs);

      await waitForState(ra, (s) => s.phase === "ended" && s.winnerTeam === 0, 3000, "ended state");
      // Inputs after the end change nothing.
      const x = room.state.players.get(ra.sessionId)!.x;
      ra.send("input", { seq: 99, x: 1, y: 0, aim: 0, fire: false });
      await new Promise((r) => setTimeout(r, 150));
      assert.equal(room.state.players.get(ra.sessionId)!.x, x);

      // Tearing the room down does not report again.
      await room.disconnect();
      await new Promise((r) => setTimeout(r, 50));
      assert.equal(t.sink.forMatch(matchId).length, 1);
    });

    it("after the result, the room closes itself: clients get a consented leave", async () => {
      const a = await t.player(), b = await t.player();
      const { roomId, matchId } = await matchmade([[a], [b]], "arena-quick"); // 300 ms result linger
      const ra: Client = await t.client(a.token).joinById(roomId);
      const rb: Client = await t.client(b.token).joinById(roomId);
      await waitForState(ra, (s) => s.phase === "playing" && s.players.size === 2);
      const left = [leaveCode(ra, 5000), leaveCode(rb, 5000)];
      serverRoom(roomId).state.teamScores[1] = ARENA.scoreLimit;
      assert.equal((await t.sink.waitFor(matchId)).winnerTeam, 1);
      assert.deepEqual(await Promise.all(left), [4000, 4000]);
      const until = Date.now() + 3000;
      while (matchMaker.getLocalRoomById(roomId) && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
      assert.equal(matchMaker.getLocalRoomById(roomId), undefined, "room disposed");
      assert.equal(t.sink.forMatch(matchId).length, 1);
    });

    it("a match whose players all leave ends as aborted, reported once", async () => {
      const { ra, rb, matchId } = await playing();
      await ra.leave(true);
      await rb.leave(true);
      const result = await t.sink.waitFor(matchId);
      assert.equal(result.outcome, "aborted");
      assert.equal(result.reason, "abandoned");
      assert.ok(result.players.every((p) => !p.present));
      await new Promise((r) => setTimeout(r, 100));
      assert.equal(t.sink.forMatch(matchId).length, 1);
    });

    it("the node's metrics saw the inputs, simulation steps and results", async () => {
      const text = await (await fetch(`${t.url}/metrics`)).text();
      const sample = (name: string, labels: string[]) => {
        const line = text.split("\n").find((l) => l.startsWith(`${name}{`) && labels.every((x) => l.includes(x)));
        assert.ok(line, `${name} with ${labels.join(",")}`);
        return Number(line.slice(line.lastIndexOf(" ") + 1));
      };
      assert.ok(sample("rally_messages_in_total", ['room="arena"', 'type="input"']) > 0);
      assert.ok(sample("rally_tick_duration_seconds_count", ['room="arena"']) > 0);
      assert.ok(sample("rally_match_results_total", ['room="arena"', 'outcome="completed"']) >= 1);
      assert.ok(sample("rally_messages_rejected_total", ['room="arena"', 'reason="invalid"']) >= 1);
    });
  });
});
