import assert from "node:assert/strict";
import { LocalPresence, type Presence } from "@colyseus/core";
import { RedisPresence } from "@colyseus/redis-presence";
import { NodeHeartbeat, NodeState, createNodeRegistry, pickNode, type NodeEntry } from "../server/registry/index.ts";
import { startRedis, type RedisHandle } from "./helpers/processes.ts";

const node = (over: Partial<NodeEntry>): NodeEntry => ({
  nodeId: "n", region: "eu", publicAddress: null, state: NodeState.READY, capacity: 10, rooms: 0, ccu: 0, heartbeatAt: 1000, ...over,
});

describe("placement", () => {
  const now = 2000, ttl = 5000;

  it("packs: the busiest ready node with room left in the region wins", () => {
    const picked = pickNode([
      node({ nodeId: "a", rooms: 2 }), node({ nodeId: "b", rooms: 7 }), node({ nodeId: "c", rooms: 10 }),
      node({ nodeId: "d", rooms: 9, region: "us" }),
    ], "eu", now, ttl);
    assert.equal(picked?.nodeId, "b");
  });

  it("never picks a draining, starting, full, dead or other-region node", () => {
    const entries = [
      node({ nodeId: "draining", state: NodeState.DRAINING }),
      node({ nodeId: "starting", state: NodeState.STARTING }),
      node({ nodeId: "full", rooms: 10 }),
      node({ nodeId: "dead", heartbeatAt: now - ttl - 1 }),
      node({ nodeId: "us", region: "us" }),
    ];
    assert.equal(pickNode(entries, "eu", now, ttl), null);
  });

  it("breaks ties by node id so placement is stable", () => {
    assert.equal(pickNode([node({ nodeId: "b", rooms: 3 }), node({ nodeId: "a", rooms: 3 })], "eu", now, ttl)?.nodeId, "a");
  });
});

const backends: Array<{ name: string; make: () => Promise<{ presence: Presence; done: () => Promise<void> }> }> = [
  { name: "LocalPresence", make: async () => ({ presence: new LocalPresence(), done: async () => undefined }) },
  {
    name: "RedisPresence",
    make: async () => {
      const redis: RedisHandle = await startRedis();
      const presence = new RedisPresence(redis.url);
      return { presence, done: async () => { presence.shutdown(); await redis.stop(); } };
    },
  },
];

for (const backend of backends) {
  describe(`node registry over ${backend.name}`, () => {
    let presence: Presence;
    let done: () => Promise<void>;
    before(async () => ({ presence, done } = await backend.make()));
    after(() => done());

    it("publishes, lists and drops dead entries", async () => {
      const registry = createNodeRegistry(presence, 1000);
      await registry.publish(node({ nodeId: "alive", heartbeatAt: 10_000 }));
      await registry.publish(node({ nodeId: "dead", heartbeatAt: 5_000 }));
      const live = await registry.live(10_500);
      assert.deepEqual(live.map((e) => e.nodeId), ["alive"]);
      assert.deepEqual((await registry.list()).map((e) => e.nodeId), ["alive"], "the dead entry was cleaned");
    });

    it("a heartbeat carries state changes; a draining node is never placed", async () => {
      const registry = createNodeRegistry(presence, 5000);
      let t = 100_000;
      const beat = new NodeHeartbeat(registry, () => ({ nodeId: "hb", region: "eu", publicAddress: "h:1", capacity: 5, rooms: 1, ccu: 2 }), () => t);
      await beat.setState(NodeState.READY);
      assert.equal(pickNode(await registry.live(t), "eu", t, registry.ttlMs)?.nodeId, "hb");
      t += 1000;
      await beat.setState(NodeState.DRAINING);
      assert.equal(pickNode(await registry.live(t), "eu", t, registry.ttlMs), null);
      await beat.stop(true);
      assert.equal((await registry.list()).find((e) => e.nodeId === "hb"), undefined);
    });
  });
}
