import assert from "node:assert/strict";
import { LocalPresence, type Presence } from "@colyseus/core";
import { RedisPresence } from "@colyseus/redis-presence";
import { LocalLease } from "../../../matchmaker/lease.ts";
import { DeadNodeReaper, LiveNodeView, LoadMeter, NodeHeartbeat, NodeState, PendingPlacements, createNodeRegistry, defaultPlacementRule, loadScore, pickNode, type NodeEntry } from "../../../server/registry/index.ts";
import { startRedis, type RedisHandle } from "../../support/processes.ts";
import { sleep } from "../../support/wait.ts";

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

  // Load rule: packing (busiest cool node) below packBelow, least loaded above it.
  const rule = { packBelow: 0.5, cpuFull: 0.8, lagFullMs: 100 };
  const table: Array<{ name: string; nodes: Array<Partial<NodeEntry>>; want: string | null }> = [
    { name: "all cool: pack onto the busiest", want: "b", nodes: [
      { nodeId: "a", rooms: 2, load: { cpu: 0.1, lagMs: 1 } }, { nodeId: "b", rooms: 6, load: { cpu: 0.3, lagMs: 2 } }] },
    { name: "the busiest is hot (CPU): the cool one takes the room", want: "a", nodes: [
      { nodeId: "a", rooms: 2, load: { cpu: 0.1, lagMs: 1 } }, { nodeId: "b", rooms: 6, load: { cpu: 0.7, lagMs: 2 } }] },
    { name: "the busiest is hot (event-loop lag): the cool one takes the room", want: "a", nodes: [
      { nodeId: "a", rooms: 2, load: { cpu: 0.1, lagMs: 1 } }, { nodeId: "b", rooms: 6, load: { cpu: 0.2, lagMs: 80 } }] },
    { name: "every node hot: the least loaded wins, whatever its rooms", want: "c", nodes: [
      { nodeId: "a", rooms: 9, load: { cpu: 0.9, lagMs: 5 } }, { nodeId: "b", rooms: 3, load: { cpu: 0.6, lagMs: 90 } },
      { nodeId: "c", rooms: 5, load: { cpu: 0.5, lagMs: 20 } }] },
    { name: "nodes that report no load are packed as before", want: "b", nodes: [
      { nodeId: "a", rooms: 2 }, { nodeId: "b", rooms: 6 }] },
    { name: "a hot node is still used when it is the only one", want: "a", nodes: [
      { nodeId: "a", rooms: 6, load: { cpu: 1.5, lagMs: 400 } }] },
    { name: "a draining node is never picked, however cool", want: null, nodes: [
      { nodeId: "a", rooms: 6, load: { cpu: 0.1, lagMs: 1 }, state: NodeState.DRAINING }] },
  ];
  for (const row of table) {
    it(`load rule: ${row.name}`, () => {
      assert.equal(pickNode(row.nodes.map((n) => node(n)), "eu", now, ttl, rule)?.nodeId ?? null, row.want);
    });
  }

  it("load score is the worse of CPU and lag against their full marks; pending rooms scale the CPU reading", () => {
    const e = node({ rooms: 4, load: { cpu: 0.4, lagMs: 10 } });
    assert.equal(loadScore(e, rule), 0.5);
    assert.equal(loadScore(e, rule, 4), 1);
    assert.equal(loadScore(node({ rooms: 4, load: { cpu: 0.1, lagMs: 70 } }), rule), 0.7);
    assert.equal(loadScore(node({ rooms: 4 }), defaultPlacementRule), 0);
  });

  it("a burst between two heartbeats moves on once its own placements make the packed node hot", () => {
    const pending = new PendingPlacements();
    const nodes = [node({ nodeId: "a", rooms: 4, load: { cpu: 0.2, lagMs: 1 } }), node({ nodeId: "b", rooms: 1, load: { cpu: 0.05, lagMs: 1 } })];
    const picks: string[] = [];
    for (let i = 0; i < 8; i++) {
      const picked = pickNode(nodes, "eu", now, ttl, rule, (e) => pending.count(e))!;
      pending.placed(picked);
      picks.push(picked.nodeId);
    }
    // a: 0.2 CPU over 4 rooms, packBelow 0.5 * 0.8 = 0.4 CPU: rooms 5..7 keep it cool, the 8th does not.
    assert.deepEqual(picks.slice(0, 4), ["a", "a", "a", "a"]);
    assert.ok(picks.includes("b"), `picks: ${picks.join(",")}`);
    // A new heartbeat of a resets what this node placed on it.
    assert.equal(pending.count({ ...nodes[0], heartbeatAt: nodes[0].heartbeatAt + 2000 }), 0);
  });

  it("the load meter reports CPU and event-loop delay since its last reading", async () => {
    const meter = new LoadMeter();
    meter.start();
    try {
      await sleep(250);
      const spinUntil = performance.now() + 300;
      while (performance.now() < spinUntil) { /* block the loop */ }
      await sleep(250);
      const busy = meter.read();
      assert.ok(busy.cpu > 0.2, `cpu ${busy.cpu}`);
      assert.ok(busy.lagMs >= 150, `lag ${busy.lagMs}`);
    } finally {
      meter.stop();
    }
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

    it("publishes, lists live and dead entries; reading deletes nothing (the reaper does, after cleaning up)", async () => {
      const registry = createNodeRegistry(presence, 1000);
      await registry.publish(node({ nodeId: "alive", heartbeatAt: 10_000 }));
      await registry.publish(node({ nodeId: "dead", heartbeatAt: 5_000 }));
      const live = await registry.live(10_500);
      assert.deepEqual(live.map((e) => e.nodeId), ["alive"]);
      assert.deepEqual((await registry.dead(10_500)).map((e) => e.nodeId), ["dead"]);
      assert.deepEqual((await registry.list()).map((e) => e.nodeId).sort(), ["alive", "dead"], "the dead entry stays until it is reaped");
      await registry.remove("dead");
      await registry.remove("alive");
    });

    it("publish says whether the entry was missing: only a first beat or a reaped/lost entry counts (a steady heartbeat never does)", async () => {
      const registry = createNodeRegistry(presence, 1000);
      assert.equal(await registry.publish(node({ nodeId: "beat", heartbeatAt: 1 })), true, "first publish adds it");
      assert.equal(await registry.publish(node({ nodeId: "beat", heartbeatAt: 2 })), false, "the next beat finds it");
      assert.equal(await registry.publish(node({ nodeId: "beat", heartbeatAt: 3 })), false);
      await registry.remove("beat");
      assert.equal(await registry.publish(node({ nodeId: "beat", heartbeatAt: 4 })), true, "after a reap it was missing");
      await registry.remove("beat");
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

describe("live-node view (one cached read for the matchmaker, placement and the reaper)", () => {
  /** A registry that counts its reads. */
  function counted(ttlMs: number) {
    const registry = createNodeRegistry(new LocalPresence(), ttlMs);
    let reads = 0;
    const list = registry.list.bind(registry);
    return { registry: { ...registry, list: () => { reads++; return list(); } }, reads: () => reads };
  }

  it("one registry read per second serves every question; a fresh read (maxAgeMs 0) refreshes it for all", async () => {
    const { registry, reads } = counted(5000);
    const view = new LiveNodeView(registry);
    const t = 100_000;
    await registry.publish(node({ nodeId: "a", region: "eu", heartbeatAt: t }));
    assert.deepEqual(await view.regions(t), ["eu"]);
    await registry.publish(node({ nodeId: "b", region: "us", heartbeatAt: t }));
    assert.deepEqual(await view.regions(t + 500), ["eu"], "within a second: the cached read");
    assert.equal(await view.alive("b", t + 999), false);
    assert.equal(reads(), 1);
    assert.deepEqual((await view.regions(t + 1000)).sort(), ["eu", "us"], "a second later: read again");
    assert.equal(reads(), 2);
    await registry.publish(node({ nodeId: "c", region: "ap", heartbeatAt: t + 1100 }));
    assert.ok((await view.live(t + 1100, 0)).some((e) => e.nodeId === "c"), "placement reads fresh");
    assert.equal(await view.alive("c", t + 1200), true, "and the others see that read");
    assert.equal(reads(), 3);
  });

  it("liveness is judged at the read; dead() always reads fresh; a removed node leaves the view at once", async () => {
    const { registry } = counted(1000);
    const view = new LiveNodeView(registry);
    const t = 50_000;
    await registry.publish(node({ nodeId: "old", heartbeatAt: t - 900 }));
    await registry.publish(node({ nodeId: "stopped", state: NodeState.STOPPED, heartbeatAt: t }));
    assert.deepEqual((await view.live(t)).map((e) => e.nodeId), ["old"]);
    assert.deepEqual((await view.live(t + 500)).map((e) => e.nodeId), ["old"], "not declared dead against a cached heartbeat");
    assert.deepEqual((await view.dead(t + 500)).map((e) => e.nodeId), ["old"]);
    await view.remove("old");
    assert.deepEqual((await view.live(t + 600)).map((e) => e.nodeId), []);
    assert.deepEqual((await registry.list()).map((e) => e.nodeId), ["stopped"]);
  });

  it("a failed read is not kept", async () => {
    const registry = createNodeRegistry(new LocalPresence(), 1000);
    let fail = true;
    const view = new LiveNodeView({ ...registry, list: () => (fail ? Promise.reject(new Error("redis down")) : registry.list()) });
    await assert.rejects(view.live(1000), /redis down/);
    fail = false;
    assert.deepEqual(await view.live(1001), []);
  });
});

describe("dead-node reaper", () => {
  const entry = (nodeId: string, heartbeatAt: number): NodeEntry => node({ nodeId, heartbeatAt });
  const quiet = { info() {}, warn() {} };

  it("releases a dead node's players first, then its rooms, then its entry; never itself; a failed step retries", async () => {
    const presence = new LocalPresence();
    const registry = createNodeRegistry(presence, 1000);
    const t = 50_000;
    await registry.publish(entry("me", t - 5000)); // even stale, a node never reaps itself
    await registry.publish(entry("dead", t - 2000));
    await registry.publish(entry("live", t - 100));
    const calls: string[] = [];
    let failOnce = true;
    const reaper = new DeadNodeReaper({
      registry, lease: new LocalLease(() => t), self: () => "me", logger: quiet,
      steps: [
        { name: "players", run: async (ids) => { calls.push(`players:${ids.join(",")}`); if (failOnce) { failOnce = false; throw new Error("redis hiccup"); } } },
        { name: "presence", run: async (ids) => { calls.push(`presence:${ids.join(",")}`); } },
      ],
      cleanup: async (id) => { calls.push(`rooms:${id}`); assert.ok((await registry.list()).some((e) => e.nodeId === id), "the entry goes last"); },
    });
    assert.deepEqual(await reaper.tick(t), [], "a failed step leaves everything for the next tick");
    assert.ok((await registry.list()).some((e) => e.nodeId === "dead"));
    assert.deepEqual(await reaper.tick(t), ["dead"]);
    assert.deepEqual(calls, ["players:dead", "players:dead", "presence:dead", "rooms:dead"]);
    assert.deepEqual((await registry.list()).map((e) => e.nodeId).sort(), ["live", "me"]);
    assert.deepEqual(await reaper.tick(t), [], "nothing left to reap");
    await reaper.stop();
  });

  it("one reaper at a time: the lease holder reaps, another node's reaper waits", async () => {
    const presence = new LocalPresence();
    const registry = createNodeRegistry(presence, 1000);
    const t = 80_000;
    const lease = new LocalLease(() => t);
    await registry.publish(entry("dead", t - 5000));
    let runs = 0;
    const make = (self: string) => new DeadNodeReaper({
      registry, lease, self: () => self, logger: quiet, cleanup: async () => undefined,
      steps: [{ name: "count", run: async () => { runs++; await sleep(20); } }],
    });
    const [a, b] = [make("a"), make("b")];
    const [ra, rb] = await Promise.all([a.tick(t), b.tick(t)]);
    assert.equal(runs, 1);
    assert.deepEqual([...ra, ...rb], ["dead"]);
    await a.stop();
    await b.stop();
  });
});
