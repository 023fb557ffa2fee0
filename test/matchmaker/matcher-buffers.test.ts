import assert from "node:assert/strict";
import { Registry } from "prom-client";
import { Matcher, runPass } from "../../matchmaker/matcher.ts";
import { parseModeRules } from "../../matchmaker/rules.ts";
import { makeTicket, type Ticket } from "../../matchmaker/ticket.ts";
import { createMatchmakerMetrics, LocalLease, MatchmakerService, MemoryPartyDirectory, MemoryPlayerIndex, MemoryTicketStore, type RoomApi } from "../../matchmaker/index.ts";

// runPass reuses the index's typed arrays between passes: no pass may see another's data.
function pool(n: number, regions: string[], salt: number): Ticket[] {
  return Array.from({ length: n }, (_, k) => {
    const size = 1 + ((k * 7 + salt) % 4 === 0 ? (k % 3) + 1 : 0);
    const region = regions[(k * 13 + salt) % regions.length];
    const id = `b${salt}-${k}`;
    return makeTicket({
      id, mode: "5v5",
      playerIds: Array.from({ length: size }, (_, j) => `${id}.${j}`),
      playerRatings: Array.from({ length: size }, (_, j) => 1200 + ((k * 7919 + j * 31 + salt) % 700)),
      region,
      latencies: Object.fromEntries(regions.map((r, i) => [r, r === region ? 20 : 40 + 30 * i])),
      // out of age order on purpose for one of the pools
      enqueuedAt: salt % 2 ? ((k * 37) % 90_000) : k * 50,
    });
  });
}

describe("matcher pass buffers", () => {
  const rules = parseModeRules({ name: "5v5", teams: 2, teamSize: 5 });

  it("passes over different pools, interleaved, give the same results as alone", () => {
    const big = pool(3000, ["eu", "us", "ap"], 1);
    const small = pool(250, ["us", "eu"], 2);
    const bigAlone = runPass(big, 100_000, rules, { seed: 1 });
    const smallAlone = runPass(small, 100_000, rules, { seed: 2 });
    assert.ok(bigAlone.matches.length > 50 && smallAlone.matches.length > 5);
    for (let round = 0; round < 3; round++) {
      assert.deepEqual(runPass(small, 100_000, rules, { seed: 2 }), smallAlone);
      assert.deepEqual(runPass(big, 100_000, rules, { seed: 1 }), bigAlone);
    }
  });

  it("a pass started inside another pass (from predictWin) does not disturb it", () => {
    const a = pool(1200, ["eu", "us"], 3);
    const b = pool(600, ["ap", "eu", "us"], 4);
    const expected = runPass(a, 100_000, rules, { seed: 5 });
    const nested = runPass(b, 100_000, rules, { seed: 6 });
    let calls = 0;
    const got = runPass(a, 100_000, rules, {
      seed: 5,
      predictWin: (means) => {
        if (calls++ < 3) assert.deepEqual(runPass(b, 100_000, rules, { seed: 6 }), nested);
        const gap = Math.max(...means) - Math.min(...means);
        return 1 / (1 + 10 ** (-gap / 400));
      },
    });
    assert.ok(calls > 3);
    assert.deepEqual(got, expected);
  });
  // runPass keeps the last pool's ticket fields, keyed by ticket identity, for the next pass
  describe("ticket field cache", () => {
    const fresh = (tickets: Ticket[]) => tickets.map((t) => ({ ...t })); // same content, new objects

    it("tickets leaving and joining between passes give the same result as an uncached pass", () => {
      const all = pool(2000, ["eu", "us", "ap"], 7);
      const a = all.slice(0, 1500);
      runPass(a, 100_000, rules, { seed: 3 });
      // drop runs of tickets (longer than the lookahead too), keep order, add new ones at the end and in between
      const next = a.filter((_, k) => k % 5 !== 0 && !(k >= 300 && k < 500)).concat(all.slice(1500));
      next.splice(700, 0, ...all.slice(1900).map((t) => ({ ...t, id: `${t.id}x` })));
      const cached = runPass(next, 101_000, rules, { seed: 3 });
      runPass(pool(10, ["eu"], 9), 0, rules); // the cache now holds another pool
      assert.deepEqual(cached, runPass(fresh(next), 101_000, rules, { seed: 3 }));
    });

    it("a ticket replaced by a new object with other fields is read again", () => {
      const a = pool(1000, ["eu", "us"], 3);
      runPass(a, 100_000, rules, { seed: 4 });
      const changed = a.map((t, k) => k % 3 === 0
        ? { ...t, rating: t.rating + 300, region: t.region === "eu" ? "us" : "eu", enqueuedAt: t.enqueuedAt - 5000 } : t);
      const got = runPass(changed, 100_000, rules, { seed: 4 });
      assert.deepEqual(got, runPass(fresh(changed), 100_000, rules, { seed: 4 }));
      assert.notDeepEqual(got, runPass(a, 100_000, rules, { seed: 4 }));
    });

    it("pools of two modes and two region sets interleave, and other modes' tickets are left out", () => {
      const other = parseModeRules({ name: "arena", teams: 2, teamSize: 2 });
      const big = pool(1500, ["eu", "us", "ap"], 5);
      const arena = pool(400, ["sa", "eu"], 6).map((t) => ({ ...t, mode: "arena" }));
      const mixed = [...big.slice(0, 700), ...arena, ...big.slice(700)];
      const expectBig = runPass(fresh(big), 100_000, rules, { seed: 1 });
      const expectArena = runPass(fresh(arena), 100_000, other, { seed: 2 });
      for (let round = 0; round < 3; round++) {
        assert.deepEqual(runPass(mixed, 100_000, rules, { seed: 1 }), expectBig);
        assert.deepEqual(runPass(mixed, 100_000, other, { seed: 2 }), expectArena);
        assert.deepEqual(runPass(big, 100_000, rules, { seed: 1 }), expectBig);
        assert.deepEqual(runPass(arena, 100_000, other, { seed: 2 }), expectArena);
      }
    });

    it("many region names over time do not break the region ids", () => {
      for (let k = 0; k < 80; k++) {
        const regions = [`r${3 * k}`, `r${3 * k + 1}`, `r${3 * k + 2}`];
        const p = pool(60, regions, k);
        const again = runPass(p, 100_000, rules, { seed: k });
        assert.deepEqual(runPass(p, 100_000, rules, { seed: k }), again);
        assert.deepEqual(again, runPass(fresh(p), 100_000, rules, { seed: k }));
        for (const m of again.matches) assert.ok(regions.includes(m.region));
      }
    });
  });

  describe("a matcher per (mode, shard)", () => {
    const modeRules = (name: string) => parseModeRules({
      name, teams: 2, teamSize: 1, shards: { eu: ["eu-west"], na: ["us-east"] },
      // nobody is ever close enough to play: the pools stand still pass after pass
      skillWindow: { start: 10, widenPerS: 0, max: 10 }, regions: { steps: [] },
    });
    const noRooms: RoomApi = {
      createRoom: async () => { throw new Error("no match expected"); }, reserveMultipleSeatsFor: async () => [], buildSeatReservation: () => { throw new Error("no seat expected"); },
      disposeRoom: async () => undefined, matchAlive: async () => false, newSessionId: () => "s",
    };

    it("two modes x two shards keep their own buffers and field caches pass after pass", async () => {
      let clock = 1_000_000;
      const now = () => clock;
      const store = new MemoryTicketStore(now);
      const players = new MemoryPlayerIndex(now);
      const service = new MatchmakerService({
        modes: { ranked: { rules: modeRules("ranked"), room: "arena" }, casual: { rules: modeRules("casual"), room: "arena" } },
        store, players, lease: new LocalLease(now), parties: new MemoryPartyDirectory(), rooms: noRooms, bus: { publish: () => undefined, hset: async () => 1, hgetall: async () => ({}) },
        metrics: createMatchmakerMetrics(new Registry()), logger: { info() {}, warn() {}, debug() {} }, region: "eu-west", knownRegions: async () => ["eu-west", "us-east"],
        ratingOf: async () => 1500, now,
      });
      const sizes: Record<string, number> = { "ranked/eu": 30, "ranked/na": 20, "casual/eu": 12, "casual/na": 7 };
      for (const [key, n] of Object.entries(sizes)) {
        const [mode, shard] = key.split("/") as [string, string];
        for (let k = 0; k < n; k++) {
          const id = `${mode}-${shard}-${k}`;
          const t = makeTicket({ id, mode, playerIds: [`p-${id}`], playerRatings: [1000 + 100 * k], region: shard === "eu" ? "eu-west" : "us-east", latencies: {}, enqueuedAt: clock - k });
          await players.take([{ playerId: `p-${id}`, name: id }], id, clock);
          await store.add(t, shard);
        }
      }
      const passes = 4;
      for (let i = 0; i < passes; i++) {
        await service.tick(clock);
        clock += 1000;
        // the queue connections' heartbeat keeps the records fresh (no orphan sweep cancels them)
        for (const [key, n] of Object.entries(sizes)) for (let k = 0; k < n; k++) await players.update([`p-${key.replace("/", "-")}-${k}`], `${key.replace("/", "-")}-${k}`, {}, clock);
      }
      for (const [key, n] of Object.entries(sizes)) {
        const [mode, shard] = key.split("/") as [string, string];
        const m = service.matcherOf(mode, shard);
        assert.equal(m.passes, passes, `${key}: one pass per tick`);
        assert.equal(m.reused, passes - 1, `${key}: every pass after the first reused its buffers`);
        assert.equal(m.lastCacheHits, n, `${key}: every ticket's fields came from its own last pass`);
      }
      assert.notEqual(service.matcherOf("ranked", "eu"), service.matcherOf("casual", "eu"));
    });

    it("one matcher shared by the same four pools (a cache per process) finds nothing of the last pass", () => {
      const shared = new Matcher();
      const pools = ["ranked", "casual"].flatMap((mode) => ["eu-west", "us-east"].map((region, r) => ({
        rules: modeRules(mode),
        pool: Array.from({ length: 10 }, (_, k) => makeTicket({ id: `${mode}${r}-${k}`, mode, playerIds: [`${mode}${r}-${k}`], playerRatings: [1000 + 100 * k], region, latencies: {}, enqueuedAt: k })),
      })));
      for (let round = 0; round < 3; round++) {
        for (const { rules, pool } of pools) {
          shared.pass(pool, 10_000, rules);
          assert.equal(shared.lastCacheHits, 0, "the previous pass was another pool's");
        }
      }
      const own = pools.map(() => new Matcher());
      for (let round = 0; round < 3; round++) pools.forEach(({ rules, pool }, k) => own[k]!.pass(pool, 10_000, rules));
      for (const m of own) assert.equal(m.lastCacheHits, 10);
    });
  });
});
