/**
 * PlayerIndex conformance (memory and Redis): the node holding a queued ticket is recorded, and a
 * record updated with a ttl (a requeued player who may never come back) expires unless updated again;
 * the match host is recorded and `scan` finds a dead host's players.
 */
import assert from "node:assert/strict";
import { MemoryPlayerIndex, RedisPlayerIndex, type PlayerIndex } from "../../matchmaker/player-index.ts";
import { startRedis, type TestRedis } from "../support/redis.ts";
import { until } from "../support/wait.ts";

let redis: TestRedis | undefined;
let prefixSeq = 0;
const IMPLEMENTATIONS: Array<{ name: string; start(): Promise<void>; stop(): Promise<void>; create(): PlayerIndex }> = [
  { name: "MemoryPlayerIndex", start: async () => {}, stop: async () => {}, create: () => new MemoryPlayerIndex() },
  {
    name: "RedisPlayerIndex (own redis-server)",
    start: async () => { redis = await startRedis(); },
    stop: async () => { await redis?.stop(); },
    create: () => new RedisPlayerIndex(redis!.client(), `pi${prefixSeq++}:`),
  },
];


for (const impl of IMPLEMENTATIONS) {
  describe(`PlayerIndex conformance: ${impl.name}`, () => {
    before(() => impl.start());
    after(() => impl.stop());
    let index: PlayerIndex;
    beforeEach(() => { index = impl.create(); });

    it("records the queue node; a resume moves the record to the new node", async () => {
      assert.equal(await index.take([{ playerId: "a", name: "A" }], "t1", 1000, "node-1"), null);
      assert.equal((await index.get("a"))?.node, "node-1");
      await index.update(["a"], "t1", { node: "node-2" }, 2000);
      const rec = await index.get("a");
      assert.equal(rec?.node, "node-2");
      assert.equal(rec?.at, 2000);
      assert.equal(rec?.state, "queued");
      assert.equal(await index.take([{ playerId: "b", name: "B" }], "t2", 1000), null);
      assert.equal((await index.get("b"))?.node, undefined, "no node given: none recorded");
      await index.update(["a"], "t1", { node: null }, 3000);
      assert.equal((await index.get("a"))?.node, undefined, "null clears the node");
      assert.equal((await index.get("a"))?.state, "queued", "and nothing else");
    });

    it("a record updated with a ttl expires; a later update without one keeps it", async () => {
      await index.take([{ playerId: "gone", name: "G" }, { playerId: "back", name: "B" }], "t1", 1000);
      await index.update(["gone", "back"], "t1", { state: "requeue", matchId: null, ttlMs: 80 }, 1000);
      await index.update(["back"], "t1", { state: "queued" }, 1010); // came back in time
      await until("the record to expire", async () => (await index.get("gone")) === undefined);
      await new Promise((r) => setTimeout(r, 150)); // well past the 80 ms ttl
      assert.equal((await index.get("back"))?.state, "queued");
    });

    it("a heartbeat (no state) keeps a record's expiry; a state change without ttl clears it", async () => {
      await index.take([{ playerId: "m1", name: "M1" }, { playerId: "m2", name: "M2" }], "t9", 1000);
      await index.update(["m1", "m2"], "t9", { state: "matched", matchId: "mx", ttlMs: 150 }, 1000);
      await index.update(["m1", "m2"], "t9", {}, 1010); // the queue room's heartbeat
      await index.update(["m2"], "t9", { state: "queued", matchId: null }, 1020); // requeued: no expiry
      await until("the matched record to expire", async () => (await index.get("m1")) === undefined);
      await new Promise((r) => setTimeout(r, 200));
      assert.equal((await index.get("m2"))?.state, "queued");
    });

    it("records the match host (null clears it); scan lists every record with it", async () => {
      await index.take([{ playerId: "h1", name: "H1" }, { playerId: "h2", name: "H2" }], "t1", 1000, "queue-node");
      await index.take([{ playerId: "h3", name: "H3" }], "t2", 1000, "queue-node");
      await index.update(["h1", "h2"], "t1", { state: "matched", matchId: "m1", host: "host-node" }, 2000);
      assert.equal((await index.get("h1"))?.host, "host-node");
      assert.equal((await index.get("h3"))?.host, undefined);
      const seen = new Map<string, string | undefined>();
      for await (const page of index.scan()) for (const r of page) seen.set(r.playerId, r.host);
      assert.deepEqual([...seen.entries()].sort(), [["h1", "host-node"], ["h2", "host-node"], ["h3", undefined]]);
      await index.update(["h1"], "t1", { host: null }, 3000);
      assert.equal((await index.get("h1"))?.host, undefined);
    });
  });
}
