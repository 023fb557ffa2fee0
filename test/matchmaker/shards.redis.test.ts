/**
 * Region shards over one real redis-server (RedisLease, RedisTicketStore, RedisPlayerIndex, one
 * Redis client per service as on separate nodes): two services lead different shards of one mode
 * at the same time, each forming only its shard's matches under its own lease and fence; when the
 * eu leader dies, a standby takes eu over while na goes on untouched. Waits are on conditions.
 */
import assert from "node:assert/strict";
import { Registry } from "prom-client";
import {
  createMatchmakerMetrics, makeTicket, MatchmakerService, MemoryPartyDirectory, parseModeRules, RedisLease, RedisPlayerIndex, RedisTicketStore,
  shardOf, type Bus, type Lease, type RoomApi,
} from "../../matchmaker/index.ts";
import { startRedis, type TestRedis } from "../support/redis.ts";
import { until } from "../support/wait.ts";

const rules = parseModeRules({ name: "duel", teams: 2, teamSize: 1, regions: { steps: [{ afterS: 0, maxLatencyMs: 500 }] }, shards: { eu: ["eu-west", "eu-north"], na: ["us-east", "us-west"] } });
const silent = { info() {}, warn() {}, debug() {} };

describe("region shards over Redis: concurrent leaders, per-shard takeover", function () {
  this.timeout(60_000);
  let redis: TestRedis;
  const services: MatchmakerService[] = [];
  before(async () => { redis = await startRedis(); });
  after(async () => {
    for (const s of services) await s.stop().catch(() => undefined);
    await redis?.stop();
  });

  /** One "node": its own Redis client; `refuse` names leases it never takes; `dead()` stops it without releasing (a crash). */
  function node(name: string, refuse: readonly string[]) {
    const client = redis.client();
    const inner = new RedisLease(client, Date.now);
    let crashed = false;
    const lease: Lease = {
      tryAcquire: (n, h, ttl) => (crashed || refuse.includes(n) ? Promise.resolve(null) : inner.tryAcquire(n, h, ttl)),
      renew: (g, ttl) => (crashed ? Promise.resolve(null) : inner.renew(g, ttl)),
      release: (g) => (crashed ? Promise.resolve() : inner.release(g)),
    };
    const formed: string[][] = [];
    let n = 0;
    const rooms: RoomApi = {
      async createRoom(_room, options) { formed.push((options.teams as string[][]).flat()); return { roomId: `${name}-r${++n}`, processId: name }; },
      async reserveMultipleSeatsFor(_l, seats) { return seats.map(() => true); },
      buildSeatReservation: (l, sessionId) => ({ name: "arena", roomId: l.roomId, processId: name, sessionId }),
      async disposeRoom() {},
      async matchAlive() { return false; },
      newSessionId: () => `${name}-s${++n}`,
    };
    const bus: Bus = { publish: () => undefined, hset: (k, f, v) => client.hset(k, f, v), hgetall: (k) => client.hgetall(k) };
    const service = new MatchmakerService({
      modes: { duel: { rules, room: "arena" } }, store: new RedisTicketStore(client), players: new RedisPlayerIndex(client), lease,
      parties: new MemoryPartyDirectory(), rooms, bus, metrics: createMatchmakerMetrics(new Registry()), logger: silent, region: "eu-west",
      knownRegions: async () => ["eu-west", "eu-north", "us-east", "us-west"], ratingOf: async () => 1500, now: Date.now, leaseTtlMs: 1500, // > passEveryS (1 s): the lease is renewed once per pass
    });
    services.push(service);
    return { service, formed, crash() { crashed = true; return service.stop(); } };
  }

  const r = () => redis.client();
  let seq = 0;
  const regionOf = new Map<string, string>();
  let records: RedisPlayerIndex | undefined;
  async function enqueue(store: RedisTicketStore, region: string) {
    const id = `t${++seq}`;
    regionOf.set(`p${id}`, region);
    const t = makeTicket({ id, mode: "duel", playerIds: [`p${id}`], playerRatings: [1500], region, latencies: { "eu-west": 30, "eu-north": 30, "us-east": 30, "us-west": 30 }, enqueuedAt: Date.now() - 1000 });
    // as a queue room does: the player's record first (a waiting ticket without one is an orphan the leader's sweep cancels)
    records ??= new RedisPlayerIndex(r());
    await records.take([{ playerId: `p${id}`, name: id }], id, Date.now());
    await store.add(t, shardOf(rules, region));
  }

  it("eu and na led by different nodes at once; a dead eu leader is replaced while na goes on", async () => {
    const eu = node("eu-node", ["matcher:duel/na", "matcher:duel"]);
    const na = node("na-node", ["matcher:duel/eu"]);
    eu.service.start("eu-node", 50);
    na.service.start("na-node", 50);
    const client = r();
    await until("both shard leases held", async () => (await client.get("rally:mm:lease:matcher:duel/eu"))?.startsWith("eu-node|") === true
      && (await client.get("rally:mm:lease:matcher:duel/na"))?.startsWith("na-node|") === true);

    const store = new RedisTicketStore(client);
    for (const region of ["eu-west", "us-east", "eu-north", "us-west", "eu-west", "eu-north"]) await enqueue(store, region);
    await until("three matches", () => eu.formed.length + na.formed.length === 3);
    assert.equal(eu.formed.length, 2);
    assert.equal(na.formed.length, 1);
    for (const m of eu.formed) assert.ok(m.every((p) => shardOf(rules, regionOf.get(p)!) === "eu"), `eu leader: eu tickets only (${m})`);
    for (const m of na.formed) assert.ok(m.every((p) => shardOf(rules, regionOf.get(p)!) === "na"), `na leader: na tickets only (${m})`);
    assert.ok(Number(await client.get("rally:mm:fence:duel/eu")) > 0 && Number(await client.get("rally:mm:fence:duel/na")) > 0, "one fence per shard");
    assert.equal(await client.zcard("rally:mm:w:duel/eu"), 0);

    // the eu leader crashes (no release); a standby that may lead anything takes eu over within a few seconds
    const euToken = Number(await client.get("rally:mm:lease:matcher:duel/eu:fence"));
    const naHolder = await client.get("rally:mm:lease:matcher:duel/na");
    await eu.crash();
    const standby = node("standby", []);
    standby.service.start("standby", 50);
    await until("the standby to lead eu", async () => (await client.get("rally:mm:lease:matcher:duel/eu"))?.startsWith("standby|") === true);
    assert.ok(Number(await client.get("rally:mm:lease:matcher:duel/eu:fence")) > euToken, "a newer eu token");
    assert.equal(await client.get("rally:mm:lease:matcher:duel/na"), naHolder, "na's lease never changed hands");

    await enqueue(store, "eu-north");
    await enqueue(store, "eu-west");
    await enqueue(store, "us-west");
    await enqueue(store, "us-east");
    await until("the standby's eu match and na's next match", () => standby.formed.length === 1 && na.formed.length === 2);
    assert.ok(standby.formed[0]!.every((p) => shardOf(rules, regionOf.get(p)!) === "eu"));
    assert.ok(na.formed[1]!.every((p) => shardOf(rules, regionOf.get(p)!) === "na"));
    const all = [...eu.formed, ...na.formed, ...standby.formed].flat();
    assert.equal(new Set(all).size, all.length, "no ticket matched twice");
    assert.equal(all.length, 10, "no ticket lost");
  });
});
