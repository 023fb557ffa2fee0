/**
 * The matchmaker end to end on one process, with official @colyseus/sdk clients: `queue` ->
 * ticket -> matcher pass -> arena room created by the selector -> `seat` -> `confirm` ->
 * consumeSeatReservation. Parties, no-shows (bots and re-queue), hostile input, and the rating
 * update reaching the next ticket. Every wait is on a condition, never a fixed sleep.
 */
import assert from "node:assert/strict";
import { matchMaker } from "@colyseus/core";
import type { Room as SdkRoom } from "@colyseus/sdk";
import { MemoryPartyDirectory } from "../../matchmaker/index.ts";
import { ARENA, ArenaRoom, arenaModes } from "../../examples/arena/index.ts";
import { defineGame } from "../../server/index.ts";
import { acceptSeat, joinQueue, nextMessage, startMmNode, until, type MmNode, type Queued } from "../support/matchmaker-e2e.ts";
import { queueStatusSchema, type ErrorCode } from "../../protocol/index.ts";
import { refusedWith } from "../support/refusal.ts";

interface ArenaView { phase: string; players: Map<string, { playerId: string; team: number; name: string }> }
const stateOf = (r: SdkRoom) => r.state as unknown as ArenaView;

describe("matchmaker e2e (one process): queue -> arena", function () {
  this.timeout(60_000);
  let t: MmNode;
  const parties = new MemoryPartyDirectory();
  const open: SdkRoom[] = [];

  before(async () => {
    t = await startMmNode({}, {
      parties,
      games: {
        arena: defineGame({
          room: ArenaRoom,
          modes: {
            ...arenaModes,
            // 1v1 without bots: a no-show sends the other player back to the queue
            duel: { teams: 2, teamSize: 1 },
            // 2v2 whose empty seats go to bots after 1 s: a lone party of two faces a team of bots
            "duo-bots": { teams: 2, teamSize: 2, minPlayers: 2, bots: { afterS: 1 } },
          },
        }),
      },
    });
  });
  afterEach(async () => {
    await Promise.allSettled(open.splice(0).map((r) => (r.connection?.isOpen ? r.leave(true) : undefined)));
  });
  after(async () => { await t?.close(); });

  const mm = () => t.node.matchmaker;
  const queueRooms = async () => (await matchMaker.query({ name: "queue" })).length;

  it("4 players -> one balanced 2v2 arena match through the QueueRoom flow (seat -> confirm -> consume)", async () => {
    const ratings = [1460, 1480, 1520, 1540];
    const players = await Promise.all(ratings.map(() => t.player()));
    await Promise.all(players.map((p, i) => t.setRating(p.playerId, "arena", ratings[i])));
    const clients = players.map((p) => t.client(p.token));
    const queued: Queued[] = [];
    for (const c of clients) queued.push(await joinQueue(c, { mode: "arena" }));
    open.push(...queued.map((q) => q.queue));
    const rooms = await Promise.all(queued.map((q, i) => acceptSeat(clients[i], q)));
    open.push(...rooms);

    assert.equal(new Set(rooms.map((r) => r.roomId)).size, 1, "all four in one room");
    // the queue connection was closed by the server after `confirm`, like Colyseus' QueueRoom
    await until("queue connections closed", () => queued.every((q) => !q.queue.connection.isOpen));
    // `confirm`: the seat reached its player, so the records stop naming the queue node (a matched
    // record still naming a dead one is a seat that never arrived); the match host owns them
    await until("records no longer name the queue node", async () => (await Promise.all(players.map((p) => mm().players.get(p.playerId)))).every((r) => r?.state === "matched" && r.node === undefined && !!r.host));
    await until("the match to start", () => rooms.every((r) => stateOf(r)?.phase === "playing" && stateOf(r).players.size === 4));
    const byPlayer = new Map([...stateOf(rooms[0]).players.values()].map((p) => [p.playerId, p.team]));
    const team = (i: number) => byPlayer.get(players[i].playerId);
    // balanced: {1460, 1540} vs {1480, 1520}, both means 1500
    assert.equal(team(0), team(3));
    assert.equal(team(1), team(2));
    assert.notEqual(team(0), team(1));
    // the match room sees the seat's sessionId, and the player's server-side identity
    assert.ok(stateOf(rooms[0]).players.get(rooms[0].sessionId));
    // status was streamed while searching, with the server's region and current window
    const s = queued[0].statuses.find((x) => x.state === "searching");
    assert.ok(s, "a searching status");
    assert.equal(s!.region, "local");
    assert.equal(typeof s!.waitedMs, "number");
    assert.ok((s!.skillWindow as number) >= 100);
    // every status the server streamed is the protocol's QueueStatus
    for (const q of queued) for (const st of q.statuses) queueStatusSchema.parse(st);

    const text = await t.node.metrics.text();
    assert.match(text, /rally_mm_matches_formed_total\{[^}]*mode="arena"[^}]*\} 1/);
    assert.match(text, /rally_mm_time_to_match_seconds_count\{[^}]*mode="arena"[^}]*\} 4/);
    assert.match(text, /rally_mm_rating_gap_count\{[^}]*mode="arena"[^}]*\} 1/);
  });

  it("a party of two lands on one team", async () => {
    const [a, b, c, d] = await Promise.all([0, 1, 2, 3].map(() => t.player()));
    parties.set({ partyId: "party-ab", leaderId: a.playerId, memberIds: [a.playerId, b.playerId] });
    const qa = await joinQueue(t.client(a.token), { mode: "arena", partyId: "party-ab" });
    open.push(qa.queue);
    await until("a gathering status", () => qa.statuses.some((s) => s.state === "gathering"));
    const qb = await joinQueue(t.client(b.token), { mode: "arena", partyId: "party-ab" });
    assert.equal(qb.queue.roomId, qa.queue.roomId, "party members share a queue room");
    const qc = await joinQueue(t.client(c.token), { mode: "arena" });
    const qd = await joinQueue(t.client(d.token), { mode: "arena" });
    open.push(qb.queue, qc.queue, qd.queue);
    const pairs: Array<[typeof a, typeof qa]> = [[a, qa], [b, qb], [c, qc], [d, qd]];
    const rooms = await Promise.all(pairs.map(([p, q]) => acceptSeat(t.client(p.token), q)));
    open.push(...rooms);
    await until("4 players seated", () => stateOf(rooms[0])?.players.size === 4);
    const team = new Map([...stateOf(rooms[0]).players.values()].map((p) => [p.playerId, p.team]));
    assert.equal(team.get(a.playerId), team.get(b.playerId), "the party plays together");
    assert.notEqual(team.get(c.playerId), team.get(a.playerId));
    // one ticket for the party
    const ticketA = (await mm().players.get(a.playerId))!.ticketId;
    assert.equal((await mm().players.get(b.playerId))!.ticketId, ticketA);
    assert.deepEqual([...(await mm().store.get(ticketA))!.ticket.playerIds].sort(), [a.playerId, b.playerId].sort());
  });

  it("a lone party of two stays together; bots take the whole other team", async () => {
    const [a, b] = await Promise.all([0, 1].map(() => t.player()));
    parties.set({ partyId: "party-bots", leaderId: a.playerId, memberIds: [a.playerId, b.playerId] });
    const qa = await joinQueue(t.client(a.token), { mode: "duo-bots", partyId: "party-bots" });
    const qb = await joinQueue(t.client(b.token), { mode: "duo-bots", partyId: "party-bots" });
    open.push(qa.queue, qb.queue);
    const rooms = await Promise.all([[a, qa], [b, qb]].map(([p, q]) => acceptSeat(t.client((p as typeof a).token), q as typeof qa)));
    open.push(...rooms);
    await until("both humans and two bots seated", () => stateOf(rooms[0])?.players.size === 4);
    const players = [...stateOf(rooms[0]).players.values()];
    const team = new Map(players.map((p) => [p.playerId, p.team]));
    assert.equal(team.get(a.playerId), team.get(b.playerId), "the party plays together");
    const others = players.filter((p) => p.playerId !== a.playerId && p.playerId !== b.playerId);
    assert.equal(others.length, 2);
    assert.ok(others.every((p) => p.team !== team.get(a.playerId)), "bots fill the other team");
  });

  it("a party member leaving cancels the ticket for all", async () => {
    const [a, b] = await Promise.all([t.player(), t.player()]);
    parties.set({ partyId: "party-leave", leaderId: a.playerId, memberIds: [a.playerId, b.playerId] });
    const qa = await joinQueue(t.client(a.token), { mode: "5v5", partyId: "party-leave" });
    const qb = await joinQueue(t.client(b.token), { mode: "5v5", partyId: "party-leave" });
    open.push(qa.queue, qb.queue);
    await until("the party ticket", async () => (await mm().players.get(a.playerId))?.ticketId);
    const ticketId = (await mm().players.get(a.playerId))!.ticketId;
    await qa.queue.leave(true);
    await until("b told it is cancelled", () => qb.statuses.some((s) => s.state === "cancelled" && s.reason === "PARTY_MEMBER_LEFT"));
    for (const st of [...qa.statuses, ...qb.statuses]) queueStatusSchema.parse(st);
    assert.equal(await mm().store.get(ticketId), undefined);
    assert.equal(await mm().players.get(b.playerId), undefined);
  });

  it("a player who never connects: the match starts with a bot in their seat (arena allows bots)", async () => {
    const players = await Promise.all([0, 1, 2, 3].map(() => t.player()));
    const queued: Queued[] = [];
    for (const p of players) queued.push(await joinQueue(t.client(p.token), { mode: "arena" }));
    open.push(...queued.map((q) => q.queue));
    // players[3] gets its seat and ignores it
    const rooms = await Promise.all([0, 1, 2].map((i) => acceptSeat(t.client(players[i].token), queued[i])));
    open.push(...rooms);
    await queued[3].seat;
    await until("the match to start after the connect timeout", () => stateOf(rooms[0])?.phase === "playing", 15_000);
    const seated = [...stateOf(rooms[0]).players.values()];
    assert.equal(seated.length, 4);
    assert.equal(seated.filter((p) => p.playerId.startsWith("bot-")).length, 1, "one bot");
    assert.ok(!seated.some((p) => p.playerId === players[3].playerId));
    // the no-show is free to queue again; the others are in a match and may not
    assert.equal(await mm().players.get(players[3].playerId), undefined);
    await queued[3].queue.leave(true).catch(() => undefined);
    await assert.rejects(joinQueue(t.client(players[0].token), { mode: "arena" }), refusedWith("MM_ALREADY_IN_MATCH"));
  });

  it("a seat whose queue connection went before `confirm` is handed over when the player queues again (not MM_ALREADY_IN_MATCH)", async () => {
    const [a, b] = await Promise.all([t.player(), t.player()]);
    const ca = t.client(a.token);
    const cb = t.client(b.token);
    const qa = await joinQueue(ca, { mode: "duel" });
    const qb = await joinQueue(cb, { mode: "duel" });
    open.push(qa.queue, qb.queue);
    const rb = await acceptSeat(cb, qb);
    open.push(rb);
    await qa.seat;
    // a's queue connection goes before it confirmed (in a cluster: its node died, the seat went nowhere)
    await qa.queue.leave(true);
    const qa2 = await joinQueue(ca, { mode: "duel" });
    open.push(qa2.queue);
    const ra = await acceptSeat(ca, qa2, 5000);
    open.push(ra);
    assert.equal(ra.roomId, rb.roomId, "the match formed for it");
    await until("both in the match", () => stateOf(rb)?.players.size === 2);
  });

  it("a player who never connects (no bots): the other goes back to the queue with the original enqueue time", async () => {
    const [a, b, c] = await Promise.all([t.player(), t.player(), t.player()]);
    const ca = t.client(a.token);
    const qa = await joinQueue(ca, { mode: "duel" });
    const qb = await joinQueue(t.client(b.token), { mode: "duel" });
    open.push(qa.queue, qb.queue);
    const ticketId = (await mm().players.get(a.playerId))!.ticketId;
    const enqueuedAt = (await mm().store.get(ticketId))!.ticket.enqueuedAt;
    const room = await acceptSeat(ca, qa);
    open.push(room);
    await qb.seat; // b never confirms nor connects
    const requeue = await nextMessage<{ reason: string }>(room, "requeue", 15_000);
    assert.equal(requeue.reason, "players-missing");
    assert.equal(await mm().players.get(b.playerId), undefined, "b's ticket is gone");
    await qb.queue.leave(true).catch(() => undefined);

    // a comes back: same ticket, original enqueue time, so it is at the front
    const qa2 = await joinQueue(ca, { mode: "duel" });
    open.push(qa2.queue);
    await until("a searching again", () => qa2.statuses.some((s) => s.state === "searching"));
    const rec = (await mm().players.get(a.playerId))!;
    assert.equal(rec.ticketId, ticketId);
    const stored = (await mm().store.get(ticketId))!;
    assert.equal(stored.ticket.enqueuedAt, enqueuedAt);
    assert.ok((qa2.statuses.find((s) => s.state === "searching")!.waitedMs as number) >= 2000, "waited time counts from the first enqueue");
    assert.match(await t.node.metrics.text(), /rally_mm_requeues_total\{[^}]*reason="no-show"[^}]*\} 1/);

    // and plays the next opponent
    const cc = t.client(c.token);
    const qc = await joinQueue(cc, { mode: "duel" });
    open.push(qc.queue);
    const [ra, rc] = await Promise.all([acceptSeat(ca, qa2), acceptSeat(cc, qc)]);
    open.push(ra, rc);
    assert.equal(ra.roomId, rc.roomId);
  });

  it("hostile input is refused with a clear code and creates nothing", async () => {
    const p = await t.player();
    const c = t.client(p.token);
    const roomsBefore = await queueRooms();
    const cases: Array<[Record<string, unknown>, ErrorCode]> = [
      [{ mode: "arena", rating: 3000 }, "MM_FORBIDDEN_OPTION"],
      [{ mode: "arena", region: "eu-west" }, "MM_FORBIDDEN_OPTION"],
      [{ mode: "arena", team: 1 }, "MM_FORBIDDEN_OPTION"],
      [{ mode: "arena", playerId: "someone-else" }, "MM_FORBIDDEN_OPTION"],
      [{ mode: "nope" }, "MM_UNKNOWN_MODE"],
      [{ mode: "arena", partyId: { $ne: null } }, "MM_BAD_PARTY"],
      [{ mode: "arena", partyId: "../../etc" }, "MM_BAD_PARTY"],
      [{ mode: "arena", partyId: "no-such-party" }, "PARTY_NOT_FOUND"],
      [{ mode: "arena", latencies: { "eu-west": -5 } }, "MM_BAD_OPTIONS"],
      [{ mode: "arena", extra: true }, "MM_BAD_OPTIONS"],
      [{}, "MM_BAD_OPTIONS"],
    ];
    for (const [options, code] of cases) await assert.rejects(c.joinOrCreate("queue", options), refusedWith(code), JSON.stringify(options));
    await assert.rejects(t.client("not-a-token").joinOrCreate("queue", { mode: "arena" }), refusedWith("AUTH_INVALID_TOKEN", "AUTH_MISSING_TOKEN", "AUTH_EXPIRED_TOKEN"));
    const other = await t.player();
    parties.set({ partyId: "party-x", leaderId: other.playerId, memberIds: [other.playerId] });
    await assert.rejects(c.joinOrCreate("queue", { mode: "arena", partyId: "party-x" }), refusedWith("NOT_IN_PARTY"));

    assert.equal(await queueRooms(), roomsBefore, "no queue room was created");
    assert.equal(await mm().players.get(p.playerId), undefined, "no ticket");
    assert.equal((await mm().store.listWaiting("arena")).length, 0);

    // a valid join works, and a second one for the same player is refused
    const q = await joinQueue(c, { mode: "5v5" });
    open.push(q.queue);
    await assert.rejects(t.client(p.token).joinOrCreate("queue", { mode: "5v5" }), refusedWith("MM_ALREADY_QUEUED"));
    assert.equal((await mm().store.listWaiting("5v5")).length, 1);
    // unknown messages get an error, not a crash
    const err = nextMessage<{ code: string }>(q.queue, "error");
    q.queue.send("rating", 9000);
    assert.equal((await err).code, "UNKNOWN_MESSAGE");
    await q.queue.leave(true);
    await until("the ticket cancelled on leave", async () => (await mm().store.listWaiting("5v5")).length === 0);
  });

  it("the rating update of a finished match is used by the next ticket", async () => {
    const [a, b] = await Promise.all([t.player(), t.player()]);
    const [ca, cb] = [t.client(a.token), t.client(b.token)];
    const [qa, qb] = [await joinQueue(ca, { mode: "duel" }), await joinQueue(cb, { mode: "duel" })];
    open.push(qa.queue, qb.queue);
    const firstTicket = (await mm().players.get(a.playerId))!.ticketId;
    assert.deepEqual((await mm().store.get(firstTicket))!.ticket.playerRatings, [1500]);
    const [ra, rb] = await Promise.all([acceptSeat(ca, qa), acceptSeat(cb, qb)]);
    open.push(ra, rb);
    await until("playing", () => stateOf(ra)?.phase === "playing");
    const server = matchMaker.getLocalRoomById(ra.roomId) as unknown as { state: { players: Map<string, { score: number }>; teamScores: number[] } };
    const aTeam = stateOf(ra).players.get(ra.sessionId)!.team;
    const result = nextMessage<{ winnerTeam: number }>(ra, "result", 10_000);
    server.state.players.get(ra.sessionId)!.score = ARENA.scoreLimit;
    server.state.teamScores[aTeam] = ARENA.scoreLimit;
    assert.equal((await result).winnerTeam, aTeam);
    // released for the next queue once the result is stored; the new ticket carries the new rating
    await until("a may queue again", async () => !(await mm().players.get(a.playerId)));
    const q2 = await joinQueue(ca, { mode: "duel" });
    open.push(q2.queue);
    const rec = await until("a's new ticket", () => mm().players.get(a.playerId));
    const ticket = (await mm().store.get(rec.ticketId))!.ticket;
    const stored = await t.node.store.ratings.get(a.playerId, "duel");
    assert.ok(stored, "the result sink stored a rating");
    const expected = t.node.players.model.searchRating(stored!);
    assert.ok(expected > 1500, "the winner's rating went up");
    assert.equal(ticket.playerRatings[0], expected);
  });
});

describe("client-sdk queue() helper", function () {
  this.timeout(60_000);
  let t: MmNode;
  before(async () => { t = await startMmNode({}, { games: { arena: defineGame({ room: ArenaRoom, modes: { duel: { teams: 2, teamSize: 1 } } }) } }); });
  after(async () => { await t?.close(); });

  it("joins `queue`, surfaces status, handles seat -> confirm -> consume, resolves to the match room", async () => {
    const { queue } = await import("../../client-sdk/queue.ts");
    const [a, b] = await Promise.all([t.player(), t.player()]);
    const statuses: string[] = [];
    const [ra, rb] = await Promise.all([
      queue(t.client(a.token), { mode: "duel", onStatus: (s) => statuses.push(s.state) }),
      queue(t.client(b.token), { mode: "duel" }),
    ]);
    try {
      assert.equal(ra.roomId, rb.roomId);
      assert.equal(ra.name, "arena");
      assert.ok(statuses.includes("searching"));
    } finally {
      await Promise.allSettled([ra.leave(true), rb.leave(true)]);
    }
  });

  it("refusals and aborts reject with a coded error", async () => {
    const { queue } = await import("../../client-sdk/queue.ts");
    const p = await t.player();
    await assert.rejects(queue(t.client(p.token), { mode: "nope" }), (e: { code?: string }) => e.code === "MM_UNKNOWN_MODE");
    const ctrl = new AbortController();
    const pending = queue(t.client(p.token), { mode: "duel", signal: ctrl.signal, onStatus: () => ctrl.abort() });
    await assert.rejects(pending, (e: { code?: string }) => e.code === "MM_CANCELLED");
    await until("the ticket cancelled", async () => !(await t.node.matchmaker.players.get(p.playerId)));
  });
});
