/**
 * The matcher loop and provisioning without sockets: two services share one store and one lease
 * (virtual clock, time passed in). One leads; the other takes over once the lease expires; a
 * deposed leader's claim is refused; a failed placement or seat reservation puts the tickets back
 * with their original enqueue time; the oldest wait per region is published for the pool manager.
 */
import assert from "node:assert/strict";
import { Registry } from "prom-client";
import {
  createMatchmakerMetrics, LocalLease, makeTicket, MatchmakerService, MemoryPartyDirectory, MemoryPlayerIndex, MemoryTicketStore,
  OLDEST_WAIT_KEY, parseModeRules, type Bus, type RoomApi, type SeatNotice,
} from "../../matchmaker/index.ts";

function fakeRooms(behaviour: { create?: () => void; reserve?: () => boolean } = {}) {
  const created: Array<{ room: string; options: Record<string, unknown> }> = [];
  const disposed: string[] = [];
  let n = 0;
  const api: RoomApi = {
    async createRoom(room, options) {
      behaviour.create?.();
      created.push({ room, options });
      return { roomId: `r${++n}`, processId: "p1" };
    },
    async reserveMultipleSeatsFor(_l, seats) { return seats.map(() => behaviour.reserve?.() ?? true); },
    buildSeatReservation: (l, sessionId) => ({ name: "arena", roomId: l.roomId, processId: "p1", sessionId }),
    async disposeRoom(id) { disposed.push(id); },
    async matchAlive() { return false; },
    newSessionId: () => `s${++n}`,
  };
  return { api, created, disposed };
}

function fakeBus() {
  const published: Array<{ topic: string; data: SeatNotice }> = [];
  const hashes = new Map<string, Map<string, string>>();
  const bus: Bus = {
    publish: (topic, data) => { published.push({ topic, data: data as SeatNotice }); },
    async hset(key, field, value) { if (!hashes.has(key)) hashes.set(key, new Map()); hashes.get(key)!.set(field, value); return true; },
    async hgetall(key) { return Object.fromEntries(hashes.get(key) ?? []); },
  };
  return { bus, published, hashes };
}

const silent = { info() {}, warn() {}, debug() {} };
const duel = parseModeRules({ name: "duel", teams: 2, teamSize: 1 });

describe("MatchmakerService (loop, lease, provisioning)", () => {
  let clock = 1_000_000;
  const now = () => clock;
  const setup = (rooms = fakeRooms()) => {
    const store = new MemoryTicketStore();
    const players = new MemoryPlayerIndex();
    const lease = new LocalLease(now);
    const { bus, published, hashes } = fakeBus();
    const make = () => new MatchmakerService({
      modes: { duel: { rules: duel, room: "arena" } }, store, players, lease, parties: new MemoryPartyDirectory(), rooms: rooms.api, bus,
      metrics: createMatchmakerMetrics(new Registry()), logger: silent, region: "eu", knownRegions: async () => ["eu"], ratingOf: async () => 1500, now,
      leaseTtlMs: 3000,
    });
    return { store, players, bus, published, hashes, rooms, a: make(), b: make() };
  };
  const enqueue = async (s: ReturnType<typeof setup>, id: string, at = clock) => {
    const t = makeTicket({ id, mode: "duel", playerIds: [`p-${id}`], playerRatings: [1500], region: "eu", latencies: {}, enqueuedAt: at });
    await s.players.take([{ playerId: `p-${id}`, name: id }], id, at);
    await s.store.add(t);
    return t;
  };

  it("one leader forms the match; the follower forms nothing; seats go to each ticket's topic", async () => {
    const s = setup();
    await enqueue(s, "t1");
    await enqueue(s, "t2");
    await s.a.tick(clock);
    await s.b.tick(clock);
    assert.equal(s.rooms.created.length, 1);
    const opts = s.rooms.created[0]!.options;
    assert.deepEqual((opts.teams as string[][]).flat().sort(), ["p-t1", "p-t2"]);
    assert.equal(opts.region, "eu");
    assert.equal(opts.mode, "duel");
    assert.deepEqual(s.published.map((p) => p.topic).sort(), ["rally:mm:seat:t1", "rally:mm:seat:t2"]);
    assert.equal(s.published[0]!.data.kind, "seat");
    assert.equal((await s.store.get("t1"))!.state, "matched");
    assert.equal((await s.players.get("p-t1"))!.state, "matched");
  });

  it("the follower takes over after the leader stops renewing; the deposed leader claims nothing", async () => {
    const s = setup();
    await s.a.tick(clock); // a leads
    clock += 1000;
    await s.b.tick(clock);
    clock += 5000; // a is paused past its lease
    await enqueue(s, "t3", clock - 4000);
    await enqueue(s, "t4", clock - 4000);
    await s.b.tick(clock); // b takes over with a newer fencing token and forms the match
    assert.equal(s.rooms.created.length, 1);
    // a wakes up and tries to claim with its old token: refused, nothing changes
    await enqueue(s, "t5");
    await enqueue(s, "t6");
    const claim = await s.store.claim("duel", ["t5", "t6"], "stale", 1);
    assert.deepEqual(claim, { ok: false, reason: "stale-fence" });
    assert.equal((await s.store.get("t5"))!.state, "waiting");
  });

  it("NO_NODE_AVAILABLE: tickets go back to waiting with their original enqueue time", async () => {
    const s = setup(fakeRooms({ create: () => { throw new Error("NO_NODE_AVAILABLE: no ready node"); } }));
    const t1 = await enqueue(s, "n1", clock - 7000);
    await enqueue(s, "n2", clock - 3000);
    await s.a.tick(clock);
    const back = await s.store.listWaiting("duel");
    assert.deepEqual(back.map((t) => t.id), ["n1", "n2"]);
    assert.equal(back[0]!.enqueuedAt, t1.enqueuedAt);
    assert.equal((await s.players.get("p-n1"))!.state, "queued");
    assert.ok(s.published.every((p) => p.data.kind === "requeued"));
  });

  it("a failed seat reservation closes the room and re-queues (all or nothing)", async () => {
    let i = 0;
    const s = setup(fakeRooms({ reserve: () => i++ % 2 === 0 }));
    await enqueue(s, "s1");
    await enqueue(s, "s2");
    await s.a.tick(clock);
    assert.deepEqual(s.rooms.disposed, ["r1"]);
    assert.equal((await s.store.listWaiting("duel")).length, 2);
    assert.ok(!s.published.some((p) => p.data.kind === "seat"));
  });

  it("publishes the oldest wait per region for the pool manager", async () => {
    const s = setup();
    await enqueue(s, "w1", clock - 42_000);
    await s.a.tick(clock);
    assert.equal(s.hashes.get(OLDEST_WAIT_KEY)?.get("eu"), "42");
  });

  it("no-show with re-queue: missing players lose their ticket, present ones resume theirs", async () => {
    const s = setup();
    await enqueue(s, "x1");
    await enqueue(s, "x2");
    await s.a.tick(clock);
    const matchId = (await s.store.get("x1"))!.matchId!;
    await s.a.noShow({ matchId, mode: "duel", present: ["p-x1"], missing: ["p-x2"], requeue: true });
    assert.equal(await s.players.get("p-x2"), undefined);
    assert.equal(await s.store.get("x2"), undefined);
    assert.equal((await s.players.get("p-x1"))!.state, "requeue");
    assert.deepEqual(await s.a.blocking("p-x1"), { code: "resume", ticketId: "x1" });
  });
});
