/**
 * The leader's pass at scale keeps its guarantees: player records read in batches are the records
 * `get` reads; the orphan sweep, spread over passes in slices, still cancels every orphan within
 * the sweep period; the leader's incremental mirror proposes only what the store lets it claim.
 */
import assert from "node:assert/strict";
import { Registry } from "prom-client";
import {
  createMatchmakerMetrics, LocalLease, makeTicket, MatchmakerService, MemoryPartyDirectory, MemoryPlayerIndex, MemoryTicketStore,
  parseModeRules, RedisPlayerIndex, RedisTicketStore, STALE_QUEUE_MS, type Bus, type PlayerIndex, type RoomApi, type TicketStore,
} from "../../matchmaker/index.ts";
import { startRedis, type TestRedis } from "../support/redis.ts";

const duel = parseModeRules({ name: "duel", teams: 2, teamSize: 1, skillWindow: { start: 1, widenPerS: 0, max: 1 } });
const silent = { info() {}, warn() {}, debug() {} };

function rooms(): RoomApi & { created: number } {
  const api = {
    created: 0,
    async createRoom() { api.created++; return { roomId: `r${api.created}`, processId: "p1" }; },
    async reserveMultipleSeatsFor(_l: unknown, seats: unknown[]) { return seats.map(() => true); },
    buildSeatReservation: (l: { roomId: string }, sessionId: string) => ({ name: "arena", roomId: l.roomId, processId: "p1", sessionId }),
    async disposeRoom() {},
    async matchAlive() { return false; },
    newSessionId: () => `s${Math.random()}`,
  };
  return api;
}

const bus: Bus = { publish: () => undefined, async hset() { return 1; }, async hgetall() { return {}; } };

describe("the leader's pass at scale", function () {
  this.timeout(60_000);
  let redis: TestRedis;
  before(async () => { redis = await startRedis(); });
  after(async () => { await redis.stop(); });

  for (const [name, make] of [
    ["MemoryPlayerIndex", () => new MemoryPlayerIndex()],
    ["RedisPlayerIndex", () => new RedisPlayerIndex(redis.client(), `many${Math.random()}:`)],
  ] as Array<[string, () => PlayerIndex]>) {
    it(`${name}: getMany reads what get reads, in order, missing ones undefined`, async () => {
      const players = make();
      await players.take([{ playerId: "a", name: "Ann" }, { playerId: "b", name: "Bob" }], "t1", 1000, "node-1");
      await players.take([{ playerId: "c", name: "Cy" }], "t2", 2000);
      await players.update(["c"], "t2", { state: "matched", matchId: "m1" }, 3000);
      const ids = ["c", "nobody", "a", "b"];
      assert.deepEqual(await players.getMany(ids), await Promise.all(ids.map((id) => players.get(id))));
      assert.equal((await players.getMany(ids))[1], undefined);
      const many = Array.from({ length: 2100 }, (_, i) => `x${i}`);
      assert.equal((await players.getMany(many)).length, 2100, "pages of 1000");
    });
  }

  for (const [name, makeStore] of [
    ["MemoryTicketStore", (now: () => number) => new MemoryTicketStore(now)],
    ["RedisTicketStore", () => new RedisTicketStore(redis.client(), `sweep${Math.random()}:`)],
  ] as Array<[string, (now: () => number) => TicketStore]>) {
    it(`${name}: an orphan appearing after the first sweep is cancelled within the sweep period (slices), never matched`, async () => {
      let clock = 1_000_000;
      const now = () => clock;
      const store = makeStore(now);
      const players = new MemoryPlayerIndex(now);
      const api = rooms();
      const svc = new MatchmakerService({
        modes: { duel: { rules: duel, room: "arena" } }, store, players, lease: new LocalLease(now), parties: new MemoryPartyDirectory(),
        rooms: api, bus, metrics: createMatchmakerMetrics(new Registry()), logger: silent, region: "eu", knownRegions: async () => ["eu"],
        ratingOf: async () => 1500, now, queueGraceS: 10,
      });
      // ratings 100 apart with a 1-point window: nobody matches, the pool stands
      const ids = Array.from({ length: 40 }, (_, i) => `o${i}`);
      for (const [i, id] of ids.entries()) {
        await players.take([{ playerId: `p-${id}`, name: id }], id, clock);
        await store.add(makeTicket({ id, mode: "duel", playerIds: [`p-${id}`], playerRatings: [1000 + 100 * i], region: "eu", latencies: {}, enqueuedAt: clock }));
      }
      await svc.tick(clock); // new lease: full read, whole pool swept (nothing stale yet)
      // every queue connection stops beating; half the players keep theirs alive
      const beating = ids.filter((_, i) => i % 2 === 0);
      for (let s = 1; s <= 30; s++) {
        clock += 1000;
        for (const id of beating) await players.update([`p-${id}`], id, {}, clock);
        await svc.tick(clock);
      }
      // stale after STALE_QUEUE_MS (15 s); every slice is swept within 5 s after that
      assert.ok(30_000 > STALE_QUEUE_MS + 5000 + 1000);
      for (const [i, id] of ids.entries()) {
        const state = (await store.get(id))?.state;
        // the sweep removes the tickets it cancels (no key left without an owner)
        assert.equal(state, i % 2 === 0 ? "waiting" : undefined, `${id}`);
      }
      assert.equal(api.created, 0);
      assert.ok(svc.lastPass && !svc.lastPass.full, "later passes read only changes");
    });
  }
});
