import assert from "node:assert/strict";
import fc from "fast-check";
import { PoolPhase } from "../../../server/pool/policy.ts";
import { SimCluster, simManager, type SimNode } from "../../support/pool-sim.ts";

const MIN = 60_000;

/** One manager step as it happens in production: nodes beat, then the manager looks and acts. */
async function step(sim: SimCluster, manager: ReturnType<typeof simManager>, advanceMs = 1000): Promise<void> {
  sim.t += advanceMs;
  await sim.beat();
  await manager.tick();
}

describe("pool manager on a simulated cluster (virtual clock)", () => {
  it("brings every region to its floor and keeps the warm buffer under load", async () => {
    const sim = new SimCluster(10);
    const m = simManager(sim, { regions: ["eu", "us"], limits: { min: 1, max: 6 } });
    for (let i = 0; i < 4; i++) await step(sim, m);
    assert.equal(sim.running("eu").length, 1);
    assert.equal(sim.running("us").length, 1);
    for (let i = 0; i < 30; i++) {
      await sim.allocate("eu");
      await step(sim, m);
    }
    const eu = sim.running("eu");
    const rooms = eu.reduce((a, n) => a + n.rooms, 0);
    assert.equal(rooms, 30, "every allocation found a warm node");
    assert.ok(eu.length >= 5, `scaled up to ${eu.length} nodes for 30 rooms (70% of 50)`);
    assert.equal(sim.running("us").length, 1, "the other region did not move");
  });

  it("scale-in drains the emptiest node, waits for its matches, then stops it", async () => {
    const sim = new SimCluster(10);
    const m = simManager(sim, { regions: ["eu"], limits: { min: 1, max: 6 } });
    sim.bootSteps = 1;
    for (let i = 0; i < 3; i++) await step(sim, m);
    // Fill to 4 nodes, then let most matches end.
    const placed: SimNode[] = [];
    for (let i = 0; i < 24; i++) {
      const n = await sim.allocate("eu");
      if (n) placed.push(n);
      await step(sim, m);
    }
    const before = sim.running("eu").length;
    assert.ok(before >= 4);
    for (const n of placed.slice(0, 22)) sim.endRoom(n);
    // 2 rooms left somewhere; 15 minutes later the first drain starts.
    for (let t = 0; t < 14 * 60; t += 10) await step(sim, m, 10_000);
    assert.equal(sim.signals.length, 0, "nothing stopped before 15 minutes");
    for (let t = 0; t < 10 * 60; t += 10) await step(sim, m, 10_000);
    assert.ok(sim.signals.length >= 1, "scaled in after 15 minutes");
    for (const s of sim.signals) assert.equal(s.rooms, 0, `stopped ${s.node} only once empty`);
    // The node still holding a room is draining or still ready, never stopped.
    const busy = [...sim.nodes.values()].filter((n) => n.rooms > 0);
    for (const n of busy) assert.equal(n.status, "running");
  });

  it("a node with a running match is drained but not stopped until the match ends", async () => {
    const sim = new SimCluster(10);
    const m = simManager(sim, { regions: ["eu"], limits: { min: 1, max: 3 } });
    for (let i = 0; i < 3; i++) await step(sim, m);
    const start = await sim.start({ region: "eu" }); // a second node, as if scaled up earlier
    for (let i = 0; i < 3; i++) await step(sim, m);
    const second = sim.nodes.get(start.id)!;
    const first = [...sim.nodes.values()].find((n) => n.id !== start.id)!;
    first.rooms = 2;
    second.rooms = 1;
    // operator lowers max to 1: the emptiest (second, 1 room) drains
    const m2 = simManager(sim, { regions: ["eu"], limits: { min: 1, max: 1 } });
    for (let i = 0; i < 5; i++) await step(sim, m2);
    assert.equal(second.state, "draining");
    assert.equal(second.status, "running", "not stopped while its match runs");
    assert.equal(sim.signals.length, 0);
    sim.endRoom(second);
    for (let i = 0; i < 3; i++) await step(sim, m2);
    assert.equal(sim.signals.length, 1);
    assert.deepEqual({ node: sim.signals[0].node, rooms: sim.signals[0].rooms, signal: sim.signals[0].signal }, { node: second.name, rooms: 0, signal: "SIGTERM" });
    assert.equal(sim.nodes.has(second.id), false, "forgotten after exit");
    assert.ok(sim.cleaned.includes(second.nodeId));
  });

  it("scales up on tickets waiting for capacity, never on a queue that only lacks players", async () => {
    const sim = new SimCluster(10);
    let capacity: Record<string, number> = {};
    const m = simManager(sim, {
      regions: ["eu"], limits: { min: 1, max: 3 }, policy: { warmRooms: 0, scaleUpUtilization: 0.7, scaleDownUtilization: 0.3, scaleDownAfterMs: 15 * MIN, scaleDownCooldownMs: MIN, queueWaitUpS: 60 },
      queueWaits: async () => ({ eu: 600 }), // two 5v5 players have waited 10 minutes for eight more
      capacityWaits: async () => capacity,
    });
    for (let i = 0; i < 5; i++) await step(sim, m);
    assert.equal(sim.running("eu").length, 1, "an old queue lacking players starts no node");
    capacity = { eu: 75 }; // a formed match found no node for 75 s
    for (let i = 0; i < 3; i++) await step(sim, m);
    assert.ok(sim.running("eu").length >= 2, "a wait for capacity does");
  });

  it("an operator drain (node says draining) is carried through to the stop", async () => {
    const sim = new SimCluster(10);
    const m = simManager(sim, { regions: ["eu"], limits: { min: 0, max: 3 }, policy: { warmRooms: 0, scaleUpUtilization: 0.7, scaleDownUtilization: 0.3, scaleDownAfterMs: 15 * MIN, scaleDownCooldownMs: MIN, queueWaitUpS: 60 } });
    const p = await sim.start({ region: "eu" });
    for (let i = 0; i < 3; i++) await step(sim, m);
    const n = sim.nodes.get(p.id)!;
    n.rooms = 1;
    await sim.drain(n.nodeId);
    await step(sim, m);
    assert.equal(m.list().find((x) => x.id === p.id)?.phase, PoolPhase.DRAINING);
    assert.equal(sim.signals.length, 0);
    n.rooms = 0;
    await step(sim, m);
    assert.equal(sim.signals[0]?.signal, "SIGTERM");
  });

  it("a SIGKILLed node is detected, cleaned and replaced when below the floor", async () => {
    const sim = new SimCluster(10);
    const m = simManager(sim, { regions: ["eu"], limits: { min: 2, max: 4 } });
    for (let i = 0; i < 6; i++) await step(sim, m);
    assert.equal(sim.running("eu").length, 2);
    const victim = sim.running("eu")[0];
    sim.exit(victim, null); // kill -9
    await step(sim, m);
    assert.ok(sim.cleaned.includes(victim.nodeId), "registry entry and listings cleaned");
    // back-off of 2 s after the first crash, then a replacement
    for (let i = 0; i < 5; i++) await step(sim, m);
    assert.equal(sim.running("eu").length, 2, "replaced");
  });

  it("a hung node (no heartbeats) is killed and replaced", async () => {
    const sim = new SimCluster(10);
    const m = simManager(sim, { regions: ["eu"], limits: { min: 1, max: 4 } });
    for (let i = 0; i < 4; i++) await step(sim, m);
    const n = sim.running("eu")[0];
    n.hung = true;
    for (let i = 0; i < 12; i++) await step(sim, m);
    assert.equal(n.status, "exited");
    assert.equal(sim.signals.find((s) => s.node === n.name)?.signal, "SIGKILL");
    assert.equal(sim.running("eu").filter((x) => !x.hung).length, 1);
  });

  it("a crash-looping region is backed off, not restarted every step", async () => {
    const sim = new SimCluster(10);
    sim.crashOnBoot = true;
    const m = simManager(sim, { regions: ["eu"], limits: { min: 1, max: 4 }, crashBackoffMs: 2000, crashBackoffMaxMs: 60_000 });
    let starts = 0;
    const orig = sim.start.bind(sim);
    sim.start = async (spec) => { starts++; return orig(spec); };
    for (let i = 0; i < 120; i++) await step(sim, m); // 2 minutes of 1 s steps
    // without back-off: ~60 starts (every other step); with 2,4,8,16,32,60 s: about 7
    assert.ok(starts <= 9, `${starts} starts in 2 minutes`);
    assert.ok(starts >= 5);
    sim.crashOnBoot = false;
    for (let i = 0; i < 70; i++) await step(sim, m);
    assert.equal(sim.running("eu").length, 1, "recovers once nodes boot again");
  });

  it("a restarted manager adopts running nodes instead of starting duplicates", async () => {
    const sim = new SimCluster(10);
    const m1 = simManager(sim, { regions: ["eu", "us"], limits: { min: 2, max: 4 } });
    for (let i = 0; i < 8; i++) await step(sim, m1);
    assert.equal(sim.running().length, 4);
    await m1.stop({ stopNodes: false });
    const m2 = simManager(sim, { regions: ["eu", "us"], limits: { min: 2, max: 4 } });
    for (let i = 0; i < 8; i++) await step(sim, m2);
    assert.equal(sim.running().length, 4, "no duplicates");
    assert.equal(m2.list().every((n) => n.adopted && n.phase === PoolPhase.READY), true);
  });

  it("property: across thousands of random events no node with an active room is ever stopped", async () => {
    type Ev = { kind: "alloc" | "end" | "time" | "crash" | "limits"; region: 0 | 1; x: number };
    const ev = fc.record({
      kind: fc.constantFrom<Ev["kind"]>("alloc", "alloc", "alloc", "end", "end", "time", "time", "crash", "limits"),
      region: fc.constantFrom<0 | 1>(0, 1),
      x: fc.integer({ min: 0, max: 1_000_000 }),
    });
    let events = 0;
    await fc.assert(fc.asyncProperty(fc.array(ev, { minLength: 50, maxLength: 200 }), async (evs) => {
      const sim = new SimCluster(5);
      let limits = { min: 1, max: 5 };
      const m = simManager(sim, {
        regions: ["eu", "us"],
        limits,
        limitOverrides: async () => ({ eu: limits, us: limits }),
        policy: { warmRooms: 2, scaleUpUtilization: 0.7, scaleDownUtilization: 0.3, scaleDownAfterMs: 15 * MIN, scaleDownCooldownMs: MIN, queueWaitUpS: 60 },
      });
      const prevActive: Record<string, number> = {};
      for (const e of evs) {
        events++;
        const region = e.region === 0 ? "eu" : "us";
        if (e.kind === "alloc") await sim.allocate(region);
        else if (e.kind === "end") {
          const busy = sim.running(region).filter((n) => n.rooms > 0);
          if (busy.length) sim.endRoom(busy[e.x % busy.length]);
        } else if (e.kind === "crash") {
          const run = sim.running(region);
          if (run.length && e.x % 4 === 0) {
            const victim = run[e.x % run.length];
            victim.rooms = 0; // a crash loses its own rooms: they are not active anymore
            sim.exit(victim, null);
          }
        } else if (e.kind === "limits") {
          const min = e.x % 3;
          limits = { min, max: min + 1 + (e.x % 4) };
        }
        const advance = e.kind === "time" ? 1000 + (e.x % (20 * MIN)) : 1000;
        await step(sim, m, advance);
        for (const s of sim.signals) {
          if (s.rooms > 0) throw new Error(`stopped ${s.node} (${s.signal}) with ${s.rooms} active room(s) at ${s.at}`);
        }
        const active = (r: string) => m.list().filter((n) => n.region === r && (n.phase === "starting" || n.phase === "ready")).length;
        for (const r of ["eu", "us"]) {
          const now = active(r);
          assert.ok(now <= Math.max(prevActive[r] ?? 0, limits.max), `never scales up past max (${r}: ${prevActive[r]} -> ${now}, max ${limits.max})`);
          prevActive[r] = now;
        }
      }
    }), { numRuns: 60 });
    assert.ok(events >= 3000, `${events} events`);
  });
});
