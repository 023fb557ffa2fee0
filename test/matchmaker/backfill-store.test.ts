/**
 * BackfillStore conformance (memory and a private redis-server): put / replace / remove / list per
 * shard key, shards isolated from each other; and in Redis, a field nobody can read (not JSON, not a
 * request, or filed under another match's id) is never listed and is deleted.
 */
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { MemoryBackfillStore, RedisBackfillStore, type BackfillRequest, type BackfillStore } from "../../matchmaker/index.ts";
import { backfillKey } from "../../protocol/index.ts";
import { startRedis, type TestRedis } from "../support/redis.ts";

let redis: TestRedis | undefined;
const IMPLEMENTATIONS: Array<{ name: string; start(): Promise<void>; stop(): Promise<void>; create(): BackfillStore }> = [
  { name: "MemoryBackfillStore", start: async () => {}, stop: async () => {}, create: () => new MemoryBackfillStore() },
  {
    name: "RedisBackfillStore (own redis-server)",
    start: async () => { redis = await startRedis(); },
    stop: async () => { await redis?.stop(); },
    create: () => new RedisBackfillStore(redis!.client()),
  },
];

function opening(matchId: string, o: Partial<BackfillRequest> = {}): BackfillRequest {
  return {
    matchId, roomId: `room-${matchId}`, mode: "duo", region: "eu",
    teams: [{ players: ["a"], open: 1 }, { players: ["b", "c"], open: 0 }],
    ratings: [[1500], [1490, 1510]],
    attributes: { map: ["dust", "port"], device: "pad" },
    openedAt: 1_000, untilMs: 181_000,
    ...o,
  };
}
function withoutAttributes(r: BackfillRequest): BackfillRequest {
  const { attributes, ...rest } = r;
  void attributes;
  return rest;
}
const byId = (xs: readonly BackfillRequest[]) => [...xs].sort((a, b) => (a.matchId < b.matchId ? -1 : 1));

const TTL_MS = 60_000;

for (const impl of IMPLEMENTATIONS) {
  describe(`BackfillStore conformance: ${impl.name}`, () => {
    let store: BackfillStore;
    let shard: string;
    before(() => impl.start());
    after(() => impl.stop());
    beforeEach(() => { store = impl.create(); shard = `duo/default-${randomUUID()}`; });

    it("put, list: what was put comes back as it was", async () => {
      assert.deepEqual(await store.list(shard), []);
      const a = opening("m-a"), b = withoutAttributes(opening("m-b", { region: "us" }));
      await store.put(shard, a, TTL_MS);
      await store.put(shard, b, TTL_MS);
      assert.deepEqual(byId(await store.list(shard)), [a, b]);
    });

    it("put again replaces the match's opening (one entry per match)", async () => {
      await store.put(shard, opening("m-a"), TTL_MS);
      const next = opening("m-a", { teams: [{ players: ["a", "d"], open: 0 }, { players: ["b", "c"], open: 0 }], ratings: [[1500, 1520], [1490, 1510]], openedAt: 5_000 });
      await store.put(shard, next, TTL_MS);
      assert.deepEqual(await store.list(shard), [next]);
    });

    it("remove: only that match; removing an unknown match is a no-op", async () => {
      await store.put(shard, opening("m-a"), TTL_MS);
      await store.put(shard, opening("m-b"), TTL_MS);
      await store.remove(shard, "m-a");
      await store.remove(shard, "m-unknown");
      await store.remove(`${shard}-elsewhere`, "m-b");
      assert.deepEqual((await store.list(shard)).map((r) => r.matchId), ["m-b"]);
      await store.remove(shard, "m-b");
      assert.deepEqual(await store.list(shard), []);
    });

    it("shards are isolated: the same match id in two shards, listed and removed apart", async () => {
      const other = `${shard}-other`;
      const mine = opening("m-a"), theirs = opening("m-a", { region: "as", openedAt: 9 });
      await store.put(shard, mine, TTL_MS);
      await store.put(other, theirs, TTL_MS);
      await store.put(other, opening("m-z"), TTL_MS);
      assert.deepEqual(await store.list(shard), [mine]);
      assert.deepEqual(byId(await store.list(other)).map((r) => [r.matchId, r.region]), [["m-a", "as"], ["m-z", "eu"]]);
      await store.remove(shard, "m-a");
      assert.deepEqual(await store.list(shard), []);
      assert.equal((await store.list(other)).length, 2);
    });
  });
}

describe("RedisBackfillStore: unreadable fields", () => {
  let r: TestRedis;
  before(async () => { r = await startRedis(); });
  after(() => r.stop());

  it("the shard's hash expires after the longest TTL put into it: a later, shorter put never shortens it", async () => {
    const client = r.client();
    const store = new RedisBackfillStore(client);
    const shard = `duo/default-${randomUUID()}`;
    await store.put(shard, opening("m-long"), 120_000);
    await store.put(shard, opening("m-short"), 5_000);
    const ttl = await client.pttl(backfillKey(shard));
    assert.ok(ttl > 100_000 && ttl <= 120_000, `ttl ${ttl}`);
    await store.put(shard, opening("m-longer"), 300_000);
    assert.ok(await client.pttl(backfillKey(shard)) > 200_000);
  });

  it("an unparseable or mismatched field is dropped from list and deleted; good ones stay", async () => {
    const client = r.client();
    const store = new RedisBackfillStore(client);
    const shard = `duo/default-${randomUUID()}`;
    const key = backfillKey(shard);
    const good = opening("m-good");
    await store.put(shard, good, TTL_MS);
    const bad: Record<string, string> = {
      "m-notjson": "{not json",
      "m-null": "null",
      "m-shape": JSON.stringify({ matchId: "m-shape", hello: "world" }),
      // filed under another id than the one inside
      "m-mismatch": JSON.stringify(opening("m-other")),
      // one rating per player: two players, one rating
      "m-ratings": JSON.stringify(opening("m-ratings", { ratings: [[1500], [1490]] })),
      // one rating list per team
      "m-teams": JSON.stringify(opening("m-teams", { ratings: [[1500]] })),
      "m-nan": JSON.stringify(opening("m-nan")).replace("1490", "\"x\""),
      "m-open": JSON.stringify(opening("m-open", { teams: [{ players: ["a"], open: -1 }, { players: ["b", "c"], open: 0 }] })),
    };
    for (const [field, raw] of Object.entries(bad)) await client.hset(key, field, raw);
    assert.deepEqual(await store.list(shard), [good], "only the readable one");
    assert.deepEqual(Object.keys(await client.hgetall(key)), ["m-good"], "the unreadable fields are gone");
    assert.deepEqual(await store.list(shard), [good], "listing again: the same");
  });

  it("the hash is rally:mm:backfill:{shardKey}, one field per match", async () => {
    const client = r.client();
    const store = new RedisBackfillStore(client);
    const shard = `duo/eu-${randomUUID()}`;
    await store.put(shard, opening("m-1"), TTL_MS);
    assert.equal(backfillKey(shard), `rally:mm:backfill:${shard}`);
    assert.deepEqual(await client.hkeys(backfillKey(shard)), ["m-1"]);
  });
});
