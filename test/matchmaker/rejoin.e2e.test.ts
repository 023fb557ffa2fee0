/**
 * Issue #15 item 2, one node: a player whose client died takes its seat back with its own access
 * token. The queue refuses it with MM_ALREADY_IN_MATCH carrying the match, `GET /v1/matches/current`
 * names it, `POST /v1/matches/current/seat` hands the seat back (reconnection: same session, same
 * team; or the unused seat reservation), nobody else can take it, and once the match is over the
 * player is in no match. Official @colyseus/sdk clients and the RallyClient SDK.
 */
import assert from "node:assert/strict";
import type { Room as SdkRoom } from "@colyseus/sdk";
import { ArenaRoom, arenaModes } from "../../examples/arena/index.ts";
import { defineGame } from "../../server/index.ts";
import { RallyClient, RallyRoomError, type Session } from "../../client-sdk/index.ts";
import { toRoomError } from "../../client-sdk/errors.ts";
import { alreadyInMatchDetailsSchema, currentMatchResponseSchema, decodeRefusal, rejoinResponseSchema, type CurrentMatch } from "../../protocol/index.ts";
import { acceptSeat, joinQueue, startMmNode, until, type MmNode, type Queued } from "../support/matchmaker-e2e.ts";
import { refusedWith } from "../support/refusal.ts";

interface ArenaView { phase: string; players: Map<string, { playerId: string; team: number }> }
const stateOf = (r: SdkRoom) => r.state as unknown as ArenaView;

describe("rejoin a live match (one node)", function () {
  this.timeout(60_000);
  let t: MmNode;
  const open: SdkRoom[] = [];

  before(async () => {
    t = await startMmNode({ MM_CONNECT_TIMEOUT_S: "6", RECONNECT_WINDOW_S: "30" }, {
      games: { arena: defineGame({ room: ArenaRoom, modes: { ...arenaModes, duel: { teams: 2, teamSize: 1 } } }) },
    });
  });
  afterEach(async () => {
    await Promise.allSettled(open.splice(0).map((r) => (r.connection?.isOpen ? r.leave(true) : undefined)));
  });
  after(async () => { await t?.close(); });

  const http = async (method: "GET" | "POST", path: string, token?: string) => {
    const res = await fetch(`${t.url}${path}`, { method, headers: token ? { authorization: `Bearer ${token}` } : {} });
    return { status: res.status, body: await res.json() as Record<string, unknown> };
  };
  const current = async (token: string): Promise<CurrentMatch | null> => {
    const { status, body } = await http("GET", "/v1/matches/current", token);
    assert.equal(status, 200, JSON.stringify(body));
    return currentMatchResponseSchema.parse(body).match;
  };

  /** Two players in a running duel; returns their rooms (in `players` order). */
  async function duel() {
    const players = await Promise.all([t.player(), t.player()]);
    const clients = players.map((p) => t.client(p.token));
    const queued: Queued[] = [];
    for (const c of clients) queued.push(await joinQueue(c, { mode: "duel" }));
    open.push(...queued.map((q) => q.queue));
    const rooms = await Promise.all(queued.map((q, i) => acceptSeat(clients[i]!, q)));
    open.push(...rooms);
    await until("the duel to start", () => rooms.every((r) => stateOf(r)?.phase === "playing"));
    return { players, rooms };
  }

  it("a killed client: queue refused with the match, current names it, rejoin with its own token returns it to its team; others cannot take the seat; after the end: no match", async () => {
    const { players: [a, b], rooms: [roomA, roomB] } = await duel();
    const outsider = await t.player();
    const teamA = stateOf(roomB).players.get(roomA.sessionId)!.team;
    // the client dies: its socket closes without consent, the room holds the seat for reconnection
    roomA.reconnection.enabled = false;
    await roomA.leave(false);

    // queueing again is refused, and the refusal says where the match is
    let refusal: unknown;
    await assert.rejects(joinQueue(t.client(a.token), { mode: "duel" }).then((q) => { open.push(q.queue); }), (e: unknown) => { refusal = e; return refusedWith("MM_ALREADY_IN_MATCH")(e); });
    const { details } = decodeRefusal(refusal);
    const inRefusal = alreadyInMatchDetailsSchema.parse(details).match;
    assert.equal(inRefusal.roomId, roomA.roomId);
    assert.equal(inRefusal.mode, "duel");

    const match = await current(a.token);
    assert.ok(match, "current names the match");
    assert.equal(match.roomId, roomA.roomId);
    assert.equal(match.roomName, "arena");
    assert.equal(match.mode, "duel");
    assert.equal(match.team, teamA);
    assert.equal(match.seatHeld, true);
    assert.ok(match.seatHeldUntil! > Date.now(), "held for the reconnection window");
    assert.equal(await current(outsider.token), null, "an outsider is in no match");
    assert.equal((await http("GET", "/v1/matches/current")).status, 401, "the token is required");

    // nobody else takes the seat: an outsider has none, and A's reconnection token refuses other players
    const outsiderSeat = await http("POST", "/v1/matches/current/seat", outsider.token);
    assert.equal(outsiderSeat.status, 404);
    assert.equal((outsiderSeat.body.error as { code: string }).code, "MM_NOT_IN_MATCH");
    const seatA = await http("POST", "/v1/matches/current/seat", a.token);
    assert.equal(seatA.status, 200, JSON.stringify(seatA.body));
    const { seat } = rejoinResponseSchema.parse(seatA.body);
    assert.equal(seat.kind, "reconnect");
    if (seat.kind !== "reconnect") return;
    await assert.rejects(t.client(outsider.token).reconnect(seat.reconnectionToken), refusedWith("ROOM_RECONNECT_REFUSED"));
    await assert.rejects(t.client(b.token).reconnect(seat.reconnectionToken), refusedWith("ROOM_RECONNECT_REFUSED"));

    // A comes back (a fresh install: a new client, the same player's token): same session, same team
    const back = await t.client(a.token).reconnect(seat.reconnectionToken);
    open.push(back);
    back.onMessage("*", () => undefined);
    assert.equal(back.sessionId, roomA.sessionId);
    await until("A's state synced", () => stateOf(back)?.players?.get(back.sessionId) !== undefined);
    assert.equal(stateOf(back).players.get(back.sessionId)!.team, teamA);
    assert.equal((await current(a.token))?.seatHeld, true);
    assert.equal((await current(a.token))?.seatHeldUntil, undefined, "connected: nothing to expire");

    // the match ends (everyone leaves): both are free
    await Promise.all([back.leave(true), roomB.leave(true)]);
    await until("A in no match", async () => (await current(a.token)) === null);
    assert.equal(await current(b.token), null);
    const again = await joinQueue(t.client(a.token), { mode: "duel" });
    open.push(again.queue);
  });

  it("an old connection that still looks open (the device died silently): the rejoin replaces it with the same session", async () => {
    const { players: [a], rooms: [roomA, roomB] } = await duel();
    roomA.reconnection.enabled = false;
    let oldClosed = false;
    roomA.onLeave(() => { oldClosed = true; });
    const seatA = await http("POST", "/v1/matches/current/seat", a.token);
    const { seat, match } = rejoinResponseSchema.parse(seatA.body);
    assert.equal(seat.kind, "reconnect");
    assert.equal(match.seatHeldUntil, undefined, "connected: no expiry");
    if (seat.kind !== "reconnect") return;
    const back = await t.client(a.token).reconnect(seat.reconnectionToken);
    open.push(back);
    back.onMessage("*", () => undefined);
    assert.equal(back.sessionId, roomA.sessionId);
    await until("the old connection closed by the server", () => oldClosed);
    await until("A's state synced", () => stateOf(back)?.players?.get(back.sessionId) !== undefined);
    assert.equal(stateOf(back).players.get(back.sessionId)!.team, stateOf(roomB).players.get(roomA.sessionId)!.team);
  });

  it("a player who never connected takes its unused seat reservation; RallyClient.currentMatch / rejoinMatch", async () => {
    const rallies = [0, 1].map(() => new RallyClient(t.url));
    const [sa, sb]: Session[] = await Promise.all(rallies.map((r, i) => r.auth.guest({ deviceId: `rejoin-sdk-${i}-${Math.random().toString(36).slice(2)}` })));
    const qa = await joinQueue(rallies[0]!.colyseus, { mode: "duel" });
    const qb = await joinQueue(rallies[1]!.colyseus, { mode: "duel" });
    open.push(qa.queue, qb.queue);
    const roomB = await acceptSeat(rallies[1]!.colyseus, qb);
    open.push(roomB);
    await qa.seat; // A's client crashes with the seat in hand, before connecting
    await qa.queue.leave(false).catch(() => undefined);

    // the reinstalled app signs in as the same player (its stored session) and asks
    const reinstalled = new RallyClient(t.url, { store: { load: () => sa, save: () => undefined } });
    const match = await reinstalled.currentMatch();
    assert.ok(match);
    assert.equal(match.roomId, roomB.roomId);
    assert.equal(match.seatHeld, true);
    const seat = await reinstalled.rejoinSeat();
    assert.equal(seat.seat.kind, "reservation");
    const arena = await reinstalled.rejoinMatch();
    open.push(arena);
    arena.onMessage("*", () => undefined);
    await until("the duel to start with A", () => stateOf(roomB)?.phase === "playing" && stateOf(roomB).players.size === 2);
    assert.ok([...stateOf(roomB).players.values()].some((p) => p.playerId === sa.playerId && p.team === match.team));

    // B's own answer is B's seat (its live connection, which a reconnection would replace), never A's
    const bSeat = await new RallyClient(t.url, { store: { load: () => sb, save: () => undefined } }).rejoinSeat();
    assert.equal(bSeat.seat.kind, "reconnect");
    assert.equal(bSeat.match.team, stateOf(roomB).players.get(roomB.sessionId)!.team);
    assert.notEqual(bSeat.match.team, match.team);

    // a queue join is refused with the match in RallyRoomError.details
    await assert.rejects(rallies[0]!.colyseus.joinOrCreate("queue", { mode: "duel" }), (e: unknown) => {
      const err = toRoomError(e);
      assert.ok(err instanceof RallyRoomError);
      assert.equal(err.code, "MM_ALREADY_IN_MATCH");
      assert.equal(alreadyInMatchDetailsSchema.parse(err.details).match.roomId, roomB.roomId);
      return true;
    });
  });
});
