/**
 * The matchmaker's half of rejoining a live match, without sockets (memory stores, virtual clock):
 * `currentMatch` / `rejoinSeat` read the record and the listing and ask the room for the seat; a dead
 * host or listed node, or a room gone past the provisioning window, ends the match for that player
 * through the ticket lifecycle (record released, ticket removed); `blocking` carries the match.
 */
import assert from "node:assert/strict";
import { Registry } from "prom-client";
import {
  createMatchmakerMetrics, LocalLease, makeTicket, MatchmakerService, MemoryPartyDirectory, MemoryPlayerIndex, MemoryTicketStore, parseModeRules,
  type MatchListing, type RoomApi,
} from "../../matchmaker/index.ts";
import { RallyError, type HeldSeat } from "../../protocol/index.ts";

const silent = { info() {}, warn() {}, debug() {} };
const duel = parseModeRules({ name: "duel", teams: 2, teamSize: 1 });

describe("MatchmakerService: rejoin a live match", () => {
  let clock = 5_000_000;
  const now = () => clock;

  async function matched(opts: { listed?: boolean; seat?: HeldSeat | null | "throws"; withLookup?: boolean } = {}) {
    const { listed = true, seat = { team: 1, connected: false, heldUntil: clock + 20_000, reconnectionToken: "tok" }, withLookup = true } = opts;
    const store = new MemoryTicketStore(now);
    const players = new MemoryPlayerIndex(now);
    const alive = new Map<string, boolean>([["host", true]]);
    let n = 0;
    const listing: MatchListing = { roomId: "room-1", name: "arena", processId: "host", mode: "duel" };
    const api: RoomApi = {
      async createRoom() { return { roomId: "room-1", processId: "host" }; },
      async reserveMultipleSeatsFor(_l, seats) { return seats.map(() => true); },
      buildSeatReservation: (l, sessionId) => ({ name: "arena", roomId: l.roomId, processId: "host", sessionId }),
      async disposeRoom() {},
      async matchAlive() { return listed; },
      newSessionId: () => `s${++n}`,
      ...(withLookup ? {
        findMatch: async () => (listed ? listing : null),
        heldSeat: async () => { if (seat === "throws") throw new Error("ipc_timeout"); return seat; },
      } : {}),
    };
    const service = new MatchmakerService({
      modes: { duel: { rules: duel, room: "arena" } }, store, players, lease: new LocalLease(now), parties: new MemoryPartyDirectory(), rooms: api,
      bus: { publish() {}, async hset() { return 1; }, async hgetall() { return {}; } },
      metrics: createMatchmakerMetrics(new Registry()), logger: silent, region: "eu", knownRegions: async () => ["eu"], ratingOf: async () => 1500, now,
      nodeAlive: async (id) => alive.get(id) ?? false,
    });
    for (const id of ["a", "b"]) {
      await players.take([{ playerId: `p-${id}`, name: id }], id, clock);
      await store.add(makeTicket({ id, mode: "duel", playerIds: [`p-${id}`], playerRatings: [1500], region: "eu", latencies: {}, enqueuedAt: clock }));
    }
    service.start("leader");
    await service.stop();
    await service.tick(clock);
    const rec = await players.get("p-a");
    assert.equal(rec?.state, "matched");
    return { service, store, players, alive, matchId: rec.matchId! };
  }

  it("names the match with the room's view of the seat, and hands back the seat's reconnection token", async () => {
    const { service, matchId } = await matched();
    const match = await service.currentMatch("p-a");
    assert.deepEqual(match, { matchId, roomId: "room-1", roomName: "arena", processId: "host", mode: "duel", team: 1, seatHeld: true, seatHeldUntil: clock + 20_000 });
    const { seat } = await service.rejoinSeat("p-a");
    assert.deepEqual(seat, { kind: "reconnect", reconnectionToken: "room-1:tok" });
    const block = await service.blocking("p-a");
    assert.equal(block?.code, "MM_ALREADY_IN_MATCH");
    // the refusal carries the listing's facts (no call to the room on the queue's path)
    assert.deepEqual(block && "match" in block ? block.match : undefined, { matchId, roomId: "room-1", roomName: "arena", processId: "host", mode: "duel" });
    assert.equal(await service.currentMatch("nobody"), null);
    await assert.rejects(service.rejoinSeat("nobody"), (e: unknown) => e instanceof RallyError && e.code === "MM_NOT_IN_MATCH");
  });

  it("an unused seat reservation is handed back as a reservation; no seat: MM_SEAT_NOT_HELD; a silent room: the match without seat facts", async () => {
    const reserved = await matched({ seat: { team: 0, connected: false, sessionId: "sess-a", heldUntil: clock + 5000 } });
    assert.deepEqual((await reserved.service.rejoinSeat("p-a")).seat, { kind: "reservation", reservation: { name: "arena", roomId: "room-1", processId: "host", sessionId: "sess-a" } });
    const gone = await matched({ seat: null });
    assert.equal((await gone.service.currentMatch("p-a"))?.seatHeld, false);
    await assert.rejects(gone.service.rejoinSeat("p-a"), (e: unknown) => e instanceof RallyError && e.code === "MM_SEAT_NOT_HELD");
    const silentRoom = await matched({ seat: "throws" });
    const m = await silentRoom.service.currentMatch("p-a");
    assert.equal(m?.roomId, "room-1");
    assert.equal(m?.seatHeld, undefined);
  });

  it("a dead host: null at once, the record released and the ticket removed through the lifecycle; the player may queue", async () => {
    const { service, players, store, alive } = await matched();
    const ticketId = (await players.get("p-a"))!.ticketId;
    alive.set("host", false);
    assert.equal(await service.currentMatch("p-a"), null);
    assert.equal(await players.get("p-a"), undefined);
    assert.equal(await store.get(ticketId), undefined, "the ticket's only player is released: the ticket is finished");
    assert.equal(await service.blocking("p-a"), null);
  });

  it("no listing: still provisioning within the window (null, but the queue still refuses), over after it", async () => {
    const { service, players } = await matched({ listed: false });
    assert.equal(await service.currentMatch("p-a"), null);
    assert.equal((await service.blocking("p-a"))?.code, "MM_ALREADY_IN_MATCH");
    clock += 31_000;
    assert.equal(await service.currentMatch("p-a"), null);
    assert.equal(await players.get("p-a"), undefined, "released once the provisioning window is over");
  });

  it("a RoomApi without the lookups (fakes, older wiring): no current match, the queue refuses as before", async () => {
    const { service } = await matched({ withLookup: false });
    assert.equal(await service.currentMatch("p-a"), null);
    const block = await service.blocking("p-a");
    assert.equal(block?.code, "MM_ALREADY_IN_MATCH");
  });
});
