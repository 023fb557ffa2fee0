/**
 * The matcher loop and provisioning without sockets: two services share one store and one lease
 * (virtual clock, time passed in). One leads; the other takes over once the lease expires; a
 * deposed leader's claim is refused; a failed placement or seat reservation puts the tickets back
 * with their original enqueue time; the oldest wait per region is published for the pool manager.
 */
import assert from "node:assert/strict";
import { Registry } from "prom-client";
import {
  createMatchmakerMetrics, DEFAULT_SHARD, MemoryBackfillStore, LocalLease, makeTicket, MatchmakerService, MemoryPartyDirectory, MemoryPlayerIndex, MemoryTicketStore,
  CAPACITY_WAIT_KEY, MATCHED_TTL_MS, OLDEST_WAIT_KEY, parseModeRules, shardOf, shardRules, shardsOf, STALE_QUEUE_MS, type Bus, type Lease, type ModeRules, type RoomApi, type SeatNotice, type Ticket,
} from "../../matchmaker/index.ts";
import { encodeRefusal } from "../../protocol/server.ts";

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
    const store = new MemoryTicketStore(now);
    const players = new MemoryPlayerIndex(now);
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
    // the record's `at` is the queue connection's last heartbeat: fresh, whatever the ticket's age
    await s.players.take([{ playerId: `p-${id}`, name: id }], id, clock);
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

  it("capacity wait: a queue that lacks players publishes none; a match that found no node does, until it is seated", async () => {
    let full = true;
    // placement's refusal as thrown in the calling process (the test above has the text alone, as over IPC)
    const s = setup(fakeRooms({ create: () => { if (full) throw encodeRefusal("NO_NODE_AVAILABLE", "no ready node"); } }));
    // one ticket waiting 90 s for an opponent: an old queue, but no capacity would help
    await enqueue(s, "lonely", clock - 90_000);
    await s.a.tick(clock);
    assert.equal(s.hashes.get(OLDEST_WAIT_KEY)?.get("eu"), "90");
    assert.equal(s.hashes.get(CAPACITY_WAIT_KEY)?.get("eu"), undefined, "no capacity wait for a queue lacking players");
    // an opponent comes: the match is formed but finds no node
    await enqueue(s, "other", clock - 10_000);
    clock += 1000;
    await s.a.tick(clock);
    assert.equal((await s.store.listWaiting("duel")).length, 2, "both back to waiting");
    clock += 1000;
    await s.a.tick(clock); // the next pass (no node still) publishes their wait for capacity
    assert.equal(s.hashes.get(CAPACITY_WAIT_KEY)?.get("eu"), "92");
    // a node frees up: the match is placed and the capacity wait drops to 0
    full = false;
    clock += 1000;
    await s.a.tick(clock);
    assert.equal(s.rooms.created.length, 1);
    clock += 1000;
    await s.a.tick(clock);
    assert.equal(s.hashes.get(CAPACITY_WAIT_KEY)?.get("eu"), "0");
  });

  it("capacity wait: a new leader zeroes the figure its predecessor left", async () => {
    const s = setup(fakeRooms({ create: () => { throw new Error("NO_NODE_AVAILABLE: no ready node"); } }));
    await enqueue(s, "c1", clock - 80_000);
    await enqueue(s, "c2", clock - 80_000);
    await s.a.tick(clock);
    clock += 1000;
    await s.a.tick(clock);
    assert.equal(s.hashes.get(CAPACITY_WAIT_KEY)?.get("eu"), "81");
    // the players leave, then a stops leading (dies) and b takes over
    for (const id of ["c1", "c2"]) { await s.store.cancel(id); await s.store.remove(id); }
    clock += 10_000;
    await s.b.tick(clock);
    assert.equal(s.hashes.get(CAPACITY_WAIT_KEY)?.get("eu"), "0", "no stale capacity wait keeps the pool scaling up");
  });

  it("a waiting ticket whose queue connection is gone (no heartbeat past the stale limit) is cancelled and removed, never matched", async () => {
    const s = setup();
    await enqueue(s, "o1");
    await enqueue(s, "o2");
    clock += STALE_QUEUE_MS + 1000;
    // o2's queue connection still beats; o1's node died with it
    await s.players.update(["p-o2"], "o2", {}, clock);
    await enqueue(s, "o3");
    await s.a.tick(clock);
    assert.equal(await s.store.get("o1"), undefined, "the orphan's ticket is cancelled and forgotten (no key left behind)");
    assert.equal(await s.players.get("p-o1"), undefined, "the orphan's player may queue again");
    assert.equal(s.rooms.created.length, 1);
    assert.deepEqual((s.rooms.created[0]!.options.teams as string[][]).flat().sort(), ["p-o2", "p-o3"]);
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

/** Regions grouped into two shards; `ap` is in no shard (the default shard holds it). */
const SHARDS = { eu: ["eu-west", "eu-north"], na: ["us-east", "us-west"] };
const REGIONS = ["eu-west", "eu-north", "us-east", "us-west", "ap"];
// cross-region play after 5 s within 200 ms: without shards, lonely tickets would meet across the ocean
const sharded = parseModeRules({ name: "duel", teams: 2, teamSize: 1, regions: { steps: [{ afterS: 5, maxLatencyMs: 200 }] }, shards: SHARDS });
const unsharded = parseModeRules({ name: "duel", teams: 2, teamSize: 1, regions: { steps: [{ afterS: 5, maxLatencyMs: 200 }] } });
const nearEverywhere = Object.fromEntries(REGIONS.map((r) => [r, 40]));

/** A lease that refuses some names: lets two services each lead different shards of one LocalLease. */
function refusing(inner: Lease, refused: readonly string[]): Lease {
  return {
    tryAcquire: (name, holder, ttl) => refused.includes(name) ? Promise.resolve(null) : inner.tryAcquire(name, holder, ttl),
    renew: (grant, ttl) => inner.renew(grant, ttl),
    release: (grant) => inner.release(grant),
  };
}

describe("MatchmakerService: region shards", () => {
  let clock = 5_000_000;
  const now = () => clock;
  const setup = (o: { rules?: ModeRules; leases?: [readonly string[], readonly string[]]; nodeAlive?: (id: string) => Promise<boolean> } = {}) => {
    const store = new MemoryTicketStore(now);
    const players = new MemoryPlayerIndex(now);
    const lease = new LocalLease(now);
    const { bus, published, hashes } = fakeBus();
    const make = (refused: readonly string[]) => {
      const rooms = fakeRooms();
      const registry = new Registry();
      const service = new MatchmakerService({
        modes: { duel: { rules: o.rules ?? sharded, room: "arena" } }, store, players, lease: refusing(lease, refused), parties: new MemoryPartyDirectory(),
        rooms: rooms.api, bus, metrics: createMatchmakerMetrics(registry), logger: silent, region: "eu-west", knownRegions: async () => REGIONS,
        ratingOf: async () => 1500, now, leaseTtlMs: 3000, queueGraceS: 10, nodeAlive: o.nodeAlive,
      });
      return { service, rooms, registry };
    };
    const [ra, rb] = o.leases ?? [[], []];
    return { store, players, lease, bus, published, hashes, a: make(ra), b: make(rb) };
  };
  type S = ReturnType<typeof setup>;
  let seq = 0;
  const enqueue = async (s: S, region: string, waitedS = 0, rating = 1500) => {
    const id = `t${++seq}`;
    const t = makeTicket({ id, mode: "duel", playerIds: [`p-${id}`], playerRatings: [rating], region, latencies: nearEverywhere, enqueuedAt: clock - waitedS * 1000 });
    await s.players.take([{ playerId: `p-${id}`, name: id }], id, clock);
    await s.store.add(t, s.a.service.shardOf("duel", region));
    return t;
  };
  const matchedPlayers = (rooms: ReturnType<typeof fakeRooms>) => rooms.created.map((c) => (c.options.teams as string[][]).flat().sort());
  const shardOfPlayer = (p: string, tickets: Ticket[]) => sharded.shards && shardOf(sharded, tickets.find((t) => t.playerIds.includes(p))!.region);

  it("rules: shards validate, default shard holds unlisted regions, per-shard rules keep expansion inside", () => {
    assert.deepEqual(shardsOf(sharded), ["eu", "na", DEFAULT_SHARD]);
    assert.equal(shardOf(sharded, "eu-north"), "eu");
    assert.equal(shardOf(sharded, "us-west"), "na");
    assert.equal(shardOf(sharded, "ap"), DEFAULT_SHARD);
    assert.deepEqual(shardsOf(unsharded), [DEFAULT_SHARD]);
    assert.equal(shardRules(unsharded, DEFAULT_SHARD, ["eu-west"]), unsharded, "no shards: the same rules object");
    const eu = shardRules(sharded, "eu", ["eu-west"]);
    assert.deepEqual(eu.regions.neighbours, { "eu-west": ["eu-west", "eu-north"], "eu-north": ["eu-west", "eu-north"] });
    assert.throws(() => parseModeRules({ name: "x", teams: 2, teamSize: 1, shards: { a: ["r1"], b: ["r1"] } }), /at most one shard/);
    assert.throws(() => parseModeRules({ name: "x", teams: 2, teamSize: 1, shards: { default: ["r1"] } }), /reserved/);
    assert.throws(() => parseModeRules({ name: "x/y", teams: 2, teamSize: 1 }), /name/);
  });

  it("two shards led by different services form matches independently and concurrently", async () => {
    // a may only lead eu, b only na (and the default shard)
    const s = setup({ leases: [["matcher:duel/na", "matcher:duel"], ["matcher:duel/eu"]] });
    const tickets = [await enqueue(s, "eu-west"), await enqueue(s, "eu-north"), await enqueue(s, "us-east"), await enqueue(s, "us-west"), await enqueue(s, "eu-west"), await enqueue(s, "us-east")];
    await Promise.all([s.a.service.tick(clock), s.b.service.tick(clock)]);
    const leaders = async (r: Registry) => (await r.getSingleMetric("rally_mm_leader")!.get()).values.filter((v) => v.value === 1).map((v) => v.labels.shard).sort();
    assert.deepEqual(await leaders(s.a.registry), ["eu"]);
    assert.deepEqual(await leaders(s.b.registry), ["default", "na"]);
    const byA = matchedPlayers(s.a.rooms);
    const byB = matchedPlayers(s.b.rooms);
    assert.ok(byA.length >= 1 && byB.length >= 1, "each leader formed matches in its own shard");
    for (const m of byA) assert.ok(m.every((p) => shardOfPlayer(p, tickets) === "eu"), `a formed only eu matches: ${m}`);
    for (const m of byB) assert.ok(m.every((p) => shardOfPlayer(p, tickets) === "na"), `b formed only na matches: ${m}`);
    // every ticket in at most one match
    const all = [...byA, ...byB].flat();
    assert.equal(new Set(all).size, all.length);
    // one lease per shard, held by different services
    assert.equal(await s.lease.tryAcquire("matcher:duel/eu", "x", 1), null, "eu held (by a)");
    assert.equal(await s.lease.tryAcquire("matcher:duel/na", "x", 1), null, "na held (by b)");
  });

  it("a stale fence for one shard does not affect the other", async () => {
    const s = setup();
    const [e1, e2] = [await enqueue(s, "eu-west"), await enqueue(s, "eu-west")];
    const [n1, n2] = [await enqueue(s, "us-east"), await enqueue(s, "us-east")];
    assert.ok((await s.store.claim("duel", [e1.id], "m-eu", 9, "eu")).ok, "eu fence moves to 9");
    assert.deepEqual(await s.store.claim("duel", [e2.id], "m-eu-old", 3, "eu"), { ok: false, reason: "stale-fence" });
    assert.ok((await s.store.claim("duel", [n1.id], "m-na", 3, "na")).ok, "na has its own fence: 3 is still current there");
    assert.deepEqual(await s.store.claim("duel", [n2.id], "m-x", 100, "eu"), { ok: false, reason: "wrong-shard" }, "a na ticket cannot be claimed by the eu leader");
    assert.equal((await s.store.get(n2.id))!.state, "waiting");
  });

  it("a ticket never lands in another shard's match, even when its latency would allow it", async () => {
    // control: without shards, a lonely eu and a lonely us ticket meet once regions open
    const c = setup({ rules: unsharded });
    await enqueue(c, "eu-west", 30, 1500);
    await enqueue(c, "us-east", 30, 1500);
    await c.a.service.tick(clock);
    assert.equal(c.a.rooms.created.length, 1, "control: the cross-region match forms without shards");

    const s = setup();
    const tickets: Ticket[] = [];
    // a random-ish population over every shard, many passes, some waiting long enough to roam
    for (let i = 0; i < 60; i++) tickets.push(await enqueue(s, REGIONS[(i * 7) % REGIONS.length]!, (i * 13) % 40, 1300 + ((i * 97) % 400)));
    for (let pass = 0; pass < 5; pass++) {
      await s.a.service.tick(clock);
      clock += 1000;
      for (let i = 0; i < 5; i++) tickets.push(await enqueue(s, REGIONS[(pass + i) % REGIONS.length]!, 20));
    }
    const matches = matchedPlayers(s.a.rooms);
    assert.ok(matches.length >= 10, `matches formed (${matches.length})`);
    for (const m of matches) assert.equal(new Set(m.map((p) => shardOfPlayer(p, tickets))).size, 1, `one shard per match: ${m}`);
    // every match is hosted in a region of its own shard
    for (const c of s.a.rooms.created) {
      const players = (c.options.teams as string[][]).flat();
      assert.equal(shardOf(sharded, c.options.region as string), shardOfPlayer(players[0]!, tickets));
    }
    // status never offers a region of another shard
    const t = tickets.find((x) => x.region === "eu-west")!;
    assert.deepEqual(s.a.service.status(t, clock + 60_000).regions.sort(), ["eu-north", "eu-west"]);
  });

  it("oldest-wait: each shard leader publishes its own regions and never zeroes another shard's", async () => {
    const s = setup({ leases: [["matcher:duel/na", "matcher:duel"], ["matcher:duel/eu"]] });
    await enqueue(s, "eu-north", 42);
    await enqueue(s, "us-west", 17);
    await s.a.service.tick(clock);
    await s.b.service.tick(clock);
    const waits = () => Object.fromEntries(s.hashes.get(OLDEST_WAIT_KEY) ?? []);
    assert.equal(waits()["eu-north"], "42");
    assert.equal(waits()["us-west"], "17");
    assert.equal(waits()["eu-west"], "0");
    clock += 1000;
    await s.a.service.tick(clock); // the eu leader passes again: us-west keeps na's figure
    assert.equal(waits()["eu-north"], "43");
    assert.equal(waits()["us-west"], "17");
    clock += 1000;
    await s.b.service.tick(clock);
    assert.equal(waits()["us-west"], "19");
    assert.equal(waits()["eu-north"], "43");
    // the gauge: each leader reports its shard's regions only
    const gauge = async (r: Registry) => (await r.getSingleMetric("rally_mm_tickets_waiting")!.get()).values.map((v) => `${v.labels.region}=${v.value}`).sort();
    assert.deepEqual(await gauge(s.a.registry), ["eu-north=1"]);
    assert.deepEqual(await gauge(s.b.registry), ["us-west=1"]);
  });
});

describe("MatchmakerService: ticket hygiene", () => {
  let clock = 9_000_000;
  const now = () => clock;
  const setup = (nodeAlive?: (id: string) => Promise<boolean>) => {
    const store = new MemoryTicketStore(now);
    const players = new MemoryPlayerIndex(now);
    const { bus } = fakeBus();
    const rooms = fakeRooms();
    const service = new MatchmakerService({
      modes: { duel: { rules: duel, room: "arena" } }, store, players, lease: new LocalLease(now), parties: new MemoryPartyDirectory(), rooms: rooms.api, bus,
      metrics: createMatchmakerMetrics(new Registry()), logger: silent, region: "eu", knownRegions: async () => ["eu"], ratingOf: async () => 1500, now,
      queueGraceS: 10, nodeAlive,
    });
    return { store, players, service };
  };
  const enqueue = async (s: ReturnType<typeof setup>, id: string, node?: string) => {
    await s.players.take([{ playerId: `p-${id}`, name: id }], id, clock, node);
    await s.store.add(makeTicket({ id, mode: "duel", playerIds: [`p-${id}`], playerRatings: [1500], region: "eu", latencies: {}, enqueuedAt: clock }));
  };

  it("a requeued ticket whose players never come back is gone after the queue grace", async () => {
    const s = setup();
    await enqueue(s, "r1");
    await enqueue(s, "r2");
    await s.service.tick(clock);
    const matchId = (await s.store.get("r1"))!.matchId!;
    await s.service.noShow({ matchId, mode: "duel", present: ["p-r1"], missing: ["p-r2"], requeue: true });
    clock += s.service.requeueTtlMs - 1;
    assert.deepEqual(await s.service.blocking("p-r1"), { code: "resume", ticketId: "r1" }, "within the grace the ticket waits");
    clock += 2;
    assert.equal(await s.players.get("p-r1"), undefined, "record expired");
    assert.equal(await s.store.get("r1"), undefined, "ticket expired");
    assert.equal(await s.service.blocking("p-r1"), null, "a new ticket may be made");
  });

  it("a requeued player who comes back in time resumes and the expiry is cleared", async () => {
    const s = setup();
    await enqueue(s, "k1");
    await enqueue(s, "k2");
    await s.service.tick(clock);
    const matchId = (await s.store.get("k1"))!.matchId!;
    await s.service.noShow({ matchId, mode: "duel", present: ["p-k1"], missing: ["p-k2"], requeue: true });
    clock += 1000;
    // what the queue room does on resume
    assert.equal(await s.store.requeue("k1"), true);
    await s.players.update(["p-k1"], "k1", { state: "queued", matchId: null }, clock);
    clock += s.service.requeueTtlMs * 5;
    assert.equal((await s.store.get("k1"))?.state, "waiting");
    assert.equal((await s.players.get("p-k1"))?.state, "queued");
  });

  it("a queued record held by a dead node is stale at once; a live node's record still blocks", async () => {
    const s = setup(async (id) => id !== "node-dead");
    await enqueue(s, "d1", "node-dead");
    await enqueue(s, "l1", "node-live");
    await enqueue(s, "u1"); // no node recorded: only the heartbeat age counts
    assert.deepEqual(await s.service.blocking("p-d1"), { code: "resume", ticketId: "d1" });
    assert.deepEqual(await s.service.blocking("p-l1"), { code: "MM_ALREADY_QUEUED", ticketId: "l1" });
    assert.deepEqual(await s.service.blocking("p-u1"), { code: "MM_ALREADY_QUEUED", ticketId: "u1" });
    clock += STALE_QUEUE_MS;
    assert.deepEqual(await s.service.blocking("p-u1"), { code: "resume", ticketId: "u1" }, "the heartbeat fallback");
  });

  it("a match's records carry its host; releaseDeadNodes frees only the players and tickets of a dead host's matches", async () => {
    const s = setup();
    await enqueue(s, "h1");
    await enqueue(s, "h2");
    await s.service.tick(clock);
    assert.equal((await s.players.get("p-h1"))?.host, "p1", "the room's process id");
    assert.equal(await s.service.releaseDeadNodes(["some-other-node"]), 0);
    assert.equal((await s.store.get("h1"))?.state, "matched");
    assert.equal(await s.service.releaseDeadNodes(["p1"]), 2);
    for (const id of ["h1", "h2"]) {
      assert.equal(await s.players.get(`p-${id}`), undefined, "record released");
      assert.equal(await s.store.get(id), undefined, "matched ticket removed");
      assert.equal(await s.service.blocking(`p-${id}`), null, "may queue again at once");
    }
  });

  it("releaseDeadNodes: a player seated on a live host whose queue node died keeps its record (confirmed: it names no queue node)", async () => {
    const s = setup();
    await enqueue(s, "q1", "queue-dead");
    await enqueue(s, "q2", "queue-live");
    await enqueue(s, "q3", "queue-dead"); // still waiting: its rejoin elsewhere resumes it (blocking)
    await s.service.tick(clock);
    const seated = (await s.store.get("q1"))?.state === "matched" ? "q1" : "q3";
    const waiting = seated === "q1" ? "q3" : "q1";
    assert.equal((await s.players.get(`p-${seated}`))?.host, "p1");
    // what the queue room does on `confirm`: the seat reached the player
    await s.service.tickets.detachQueueNode([`p-${seated}`], seated, clock);
    assert.equal(await s.service.releaseDeadNodes(["queue-dead"]), 0, "nobody released: the match goes on");
    const rec = await s.players.get(`p-${seated}`);
    assert.equal(rec?.node, undefined, "no record names the dead node");
    assert.equal(rec?.host, "p1");
    assert.equal(rec?.state, "matched");
    assert.equal((await s.store.get(seated))?.state, "matched");
    assert.equal((await s.players.get("p-q2"))?.node, "queue-live", "a live queue node stays");
    assert.equal((await s.players.get(`p-${waiting}`))?.node, "queue-dead", "a waiting record keeps its node (the resume needs it)");
  });

  it("a seat handed to a queue node that died before `confirm` never reaches its player: it blocks no new join and the reaper releases it", async () => {
    // A new leader's first pass matches tickets still listed by a node that just died (the registry
    // knows it only after its TTL): their seats go to a queue room that is gone, and the match room
    // would hold the players (MM_ALREADY_IN_MATCH) until its connect timeout.
    let deadNodes = new Set<string>();
    const s = setup(async (id) => !deadNodes.has(id));
    await enqueue(s, "o1", "queue-dying");
    await enqueue(s, "o2", "queue-live");
    await s.service.tick(clock);
    assert.equal((await s.store.get("o1"))?.state, "matched");
    assert.equal((await s.players.get("p-o1"))?.host, "p1");
    await s.service.tickets.detachQueueNode(["p-o2"], "o2", clock); // o2's queue room got `confirm`
    assert.equal((await s.service.blocking("p-o1"))?.code, "MM_ALREADY_IN_MATCH", "its queue node still lives: the seat may still be confirmed");
    deadNodes = new Set(["queue-dying"]);
    assert.equal(await s.service.blocking("p-o1"), null, "the seat can never arrive: the player may queue again at once");
    assert.equal(await s.players.get("p-o1"), undefined, "record released");
    assert.equal(await s.store.get("o1"), undefined, "its matched ticket removed");
    assert.equal((await s.service.blocking("p-o2"))?.code, "MM_ALREADY_IN_MATCH", "a confirmed seat still holds its player");

    // the reaper, when no join came first: only the unconfirmed seat of the dead queue node goes
    await enqueue(s, "o3", "queue-dying2");
    await enqueue(s, "o4", "queue-live");
    clock += 5000; // the next pass is due
    await s.service.tick(clock);
    assert.equal((await s.store.get("o3"))?.state, "matched");
    await s.service.tickets.detachQueueNode(["p-o4"], "o4", clock);
    assert.equal(await s.service.releaseDeadNodes(["queue-dying2"]), 1);
    assert.equal(await s.players.get("p-o3"), undefined);
    assert.equal(await s.store.get("o3"), undefined);
    assert.equal((await s.players.get("p-o4"))?.state, "matched", "the confirmed player plays on");
  });

  it("a leader that dies while provisioning owns the records: releaseDeadNodes frees them", async () => {
    const store = new MemoryTicketStore(now);
    const players = new MemoryPlayerIndex(now);
    let release: (v: { roomId: string; processId: string }) => void = () => undefined;
    const rooms = fakeRooms();
    const api: RoomApi = { ...rooms.api, createRoom: () => new Promise((r) => { release = r; }) };
    const mk = () => new MatchmakerService({
      modes: { duel: { rules: duel, room: "arena" } }, store, players, lease: new LocalLease(now), parties: new MemoryPartyDirectory(), rooms: api, bus: fakeBus().bus,
      metrics: createMatchmakerMetrics(new Registry()), logger: silent, region: "eu", knownRegions: async () => ["eu"], ratingOf: async () => 1500, now,
    });
    const leader = mk();
    leader.start("leader-node", 3_600_000);
    await leader.stop();
    for (const id of ["v1", "v2"]) {
      await players.take([{ playerId: `p-${id}`, name: id }], id, clock);
      await store.add(makeTicket({ id, mode: "duel", playerIds: [`p-${id}`], playerRatings: [1500], region: "eu", latencies: {}, enqueuedAt: clock }));
    }
    const pass = leader.tick(clock);
    const deadline = Date.now() + 2000;
    while ((await players.get("p-v1"))?.state !== "matched" && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    assert.equal((await players.get("p-v1"))?.host, "leader-node");
    const reaper = mk();
    assert.equal(await reaper.releaseDeadNodes(["leader-node"]), 2);
    assert.equal(await players.get("p-v1"), undefined);
    assert.equal(await store.get("v1"), undefined);
    release({ roomId: "late", processId: "p1" }); // the dead leader's call never lands anything now
    await pass;
  });

  it("a leader that dies after creating the room but before handing out the seats still owns the records: releaseDeadNodes frees them", async () => {
    // the records name the room's host only once every seat notice is out: a leader dying before
    // that must not leave its players on a live host with seats nobody sent (until the connect timeout)
    const store = new MemoryTicketStore(now);
    const players = new MemoryPlayerIndex(now);
    let reserved: (v: boolean[]) => void = () => undefined;
    const rooms = fakeRooms();
    const api: RoomApi = { ...rooms.api, reserveMultipleSeatsFor: () => new Promise((r) => { reserved = r; }) };
    const { bus, published } = fakeBus();
    const mk = () => new MatchmakerService({
      modes: { duel: { rules: duel, room: "arena" } }, store, players, lease: new LocalLease(now), parties: new MemoryPartyDirectory(), rooms: api, bus,
      metrics: createMatchmakerMetrics(new Registry()), logger: silent, region: "eu", knownRegions: async () => ["eu"], ratingOf: async () => 1500, now,
    });
    const leader = mk();
    leader.start("leader-node", 3_600_000);
    await leader.stop();
    for (const id of ["w1", "w2"]) {
      await players.take([{ playerId: `p-${id}`, name: id }], id, clock);
      await store.add(makeTicket({ id, mode: "duel", playerIds: [`p-${id}`], playerRatings: [1500], region: "eu", latencies: {}, enqueuedAt: clock }));
    }
    const pass = leader.tick(clock);
    const deadline = Date.now() + 2000;
    while (rooms.created.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    await new Promise((r) => setTimeout(r, 20));
    assert.equal(rooms.created.length, 1, "the room exists on its host");
    assert.equal((await players.get("p-w1"))?.host, "leader-node", "no seat handed out yet: the leader still owns the records");
    assert.equal(await mk().releaseDeadNodes(["leader-node"]), 2);
    assert.equal(await players.get("p-w1"), undefined);
    assert.equal(await store.get("w1"), undefined);
    reserved([true, true]);
    await pass;
    assert.equal(published.filter((p) => p.data.kind === "seat").length, 2);
    // once the seats are out, the room's host owns the records
    const s = setup();
    await enqueue(s, "w3");
    await enqueue(s, "w4");
    clock += 5000;
    await s.service.tick(clock);
    assert.equal((await s.players.get("p-w3"))?.host, "p1");
  });

  it("undeliveredSeat: a seat whose queue connection never confirmed it is handed over to the player's new queue join", async () => {
    const store = new MemoryTicketStore(now);
    const players = new MemoryPlayerIndex(now);
    const rooms = fakeRooms();
    let held: { team: number; connected: boolean; sessionId?: string; reconnectionToken?: string } | null = null;
    const api: RoomApi = {
      ...rooms.api,
      findMatch: async () => ({ roomId: "r1", name: "arena", processId: "p1", mode: "duel" }),
      heldSeat: async (_roomId, playerId) => (held ? { ...held, sessionId: held.sessionId && `${held.sessionId}-${playerId}` } : null),
    };
    const service = new MatchmakerService({
      modes: { duel: { rules: duel, room: "arena" } }, store, players, lease: new LocalLease(now), parties: new MemoryPartyDirectory(), rooms: api, bus: fakeBus().bus,
      metrics: createMatchmakerMetrics(new Registry()), logger: silent, region: "eu", knownRegions: async () => ["eu"], ratingOf: async () => 1500, now,
    });
    for (const id of ["u1", "u2"]) {
      await players.take([{ playerId: `p-${id}`, name: id }], id, clock, "queue-gone");
      await store.add(makeTicket({ id, mode: "duel", playerIds: [`p-${id}`], playerRatings: [1500], region: "eu", latencies: {}, enqueuedAt: clock }));
    }
    assert.equal(await service.undeliveredSeat("p-u1"), null, "waiting: no seat");
    clock += 5000;
    await service.tick(clock);
    assert.equal((await players.get("p-u1"))?.state, "matched");
    assert.equal(await service.undeliveredSeat("p-u1"), null, "the room holds no reservation for it");
    held = { team: 0, connected: false, sessionId: "s" };
    assert.deepEqual(await service.undeliveredSeat("p-u1"), { ticketId: "u1", reservation: { name: "arena", roomId: "r1", processId: "p1", sessionId: "s-p-u1" } });
    await service.tickets.detachQueueNode(["p-u2"], "u2", clock); // u2 confirmed its seat
    assert.equal(await service.undeliveredSeat("p-u2"), null, "a confirmed seat is not handed over again");
    held = { team: 0, connected: true, reconnectionToken: "tok" };
    assert.equal(await service.undeliveredSeat("p-u1"), null, "the player joined the room already");
  });

  it("a matched record whose host is dead in the registry no longer blocks, before any reaper ran", async () => {
    const s = setup(async (id) => id !== "p1");
    await enqueue(s, "x1");
    await enqueue(s, "x2");
    await s.service.tick(clock);
    assert.equal(await s.service.blocking("p-x1"), null);
    assert.equal(await s.store.get("x1"), undefined);
  });

  it("a matched ticket and its records expire after MATCHED_TTL_MS even if nobody releases them", async () => {
    const s = setup();
    await enqueue(s, "z1");
    await enqueue(s, "z2");
    await s.service.tick(clock);
    clock += MATCHED_TTL_MS - 1;
    assert.equal((await s.store.get("z1"))?.state, "matched");
    clock += 2;
    assert.equal(await s.store.get("z1"), undefined);
    assert.equal(await s.players.get("p-z1"), undefined);
  });

  it("a registry that cannot answer keeps the record (never resumes on an error)", async () => {
    const s = setup(async () => { throw new Error("presence down"); });
    await enqueue(s, "e1", "node-x");
    assert.deepEqual(await s.service.blocking("p-e1"), { code: "MM_ALREADY_QUEUED", ticketId: "e1" });
  });
});

describe("MatchmakerService: backfill openings", () => {
  const backfillDuo = parseModeRules({ name: "duo", teams: 2, teamSize: 2, backfill: { untilS: 60 } });
  const opening = (open: number, players: string[][]) => ({
    matchId: "m1", roomId: "r1", mode: "duo", region: "eu", openedAt: 1_000, untilMs: 61_000,
    teams: players.map((ids, team) => ({ players: ids, open: team === 0 ? open : 0 })),
  });

  it("a re-written opening reads only newcomers' ratings; a withdrawn one is removed and forgotten", async () => {
    const reads: string[] = [];
    const backfills = new MemoryBackfillStore();
    const service = new MatchmakerService({
      modes: { duo: { rules: backfillDuo, room: "race" } }, store: new MemoryTicketStore(() => 1_000), players: new MemoryPlayerIndex(() => 1_000),
      lease: new LocalLease(() => 1_000), parties: new MemoryPartyDirectory(), rooms: fakeRooms().api, bus: fakeBus().bus, backfills,
      metrics: createMatchmakerMetrics(new Registry()), logger: silent, region: "eu", knownRegions: async () => ["eu"], now: () => 1_000,
      ratingOf: async (id) => { reads.push(id); return id === "a" ? 1400 : 1600; },
    });
    await service.backfillOpening(opening(1, [["a"], ["b", "c"]]));
    await service.backfillOpening(opening(1, [["a"], ["b", "c"]])); // the room's periodic rewrite
    await service.backfillOpening(opening(1, [["a", "d"], ["b", "c"]])); // someone new in the match
    assert.deepEqual(reads.sort(), ["a", "b", "c", "d"], "each player's rating read once");
    const [stored] = await backfills.list("duo");
    assert.deepEqual(stored!.ratings, [[1400, 1600], [1600, 1600]]);
    await service.backfillOpening(opening(0, [["a", "d"], ["b", "c"]]));
    assert.deepEqual(await backfills.list("duo"), []);
    await service.backfillOpening(opening(1, [["a"], ["b", "c"]]));
    assert.equal(reads.length, 7, "withdrawn: its ratings were forgotten and are read again");
  });
});
