/** Arena spawns and bot spacing: pure functions, then the simulation seating a full room of bots. */
import assert from "node:assert/strict";
import { ARENA, ArenaSimulation, ArenaState } from "../../../examples/arena/index.ts";
import { pickSpawn, separation, spawnSlots, type Point } from "../../../examples/arena/spawn.ts";

const DT = 1000 / ARENA.tickRate;
const minGap = (ps: readonly Point[]) => {
  let m = Infinity;
  for (let i = 0; i < ps.length; i++) for (let j = i + 1; j < ps.length; j++) m = Math.min(m, Math.hypot(ps[i]!.x - ps[j]!.x, ps[i]!.y - ps[j]!.y));
  return m;
};
const inside = (p: Point) => p.x >= ARENA.playerRadius && p.x <= ARENA.width - ARENA.playerRadius && p.y >= ARENA.playerRadius && p.y <= ARENA.height - ARENA.playerRadius;

describe("arena spawns", () => {
  it("gives each team slots on its own side, inside the arena, well apart", () => {
    for (const team of [0, 1]) {
      const slots = spawnSlots(team, 2);
      assert.ok(slots.length >= 8, "room for a full team of 8");
      assert.ok(slots.every(inside));
      assert.ok(slots.every((s) => (team === 0 ? s.x < ARENA.width / 2 : s.x > ARENA.width / 2)), `team ${team} on its side`);
      assert.ok(minGap(slots) > 4 * ARENA.playerRadius, `slots ${minGap(slots)} apart`);
    }
  });

  it("seats one player after another apart: each takes the slot farthest from everyone", () => {
    const placed: Point[] = [];
    for (let i = 0; i < 8; i++) placed.push(pickSpawn(0, 2, placed));
    assert.equal(new Set(placed.map((p) => `${p.x},${p.y}`)).size, 8, "8 distinct spots");
    assert.ok(minGap(placed) > 4 * ARENA.playerRadius, `closest pair ${minGap(placed)} apart`);
    // The first two are far apart (opposite ends of the side), not neighbours.
    assert.ok(Math.hypot(placed[0]!.x - placed[1]!.x, placed[0]!.y - placed[1]!.y) > ARENA.height / 2);
  });

  it("a respawn lands away from a live player standing on a spawn slot", () => {
    const slot = spawnSlots(1, 2)[0]!;
    const at = pickSpawn(1, 2, [slot]);
    assert.ok(Math.hypot(at.x - slot.x, at.y - slot.y) > ARENA.height / 2);
  });

  it("pushes a bot away from teammates that are too close, and not from far ones", () => {
    const push = separation({ x: 100, y: 100 }, [{ x: 110, y: 100 }]);
    assert.ok(push.x < 0 && Math.abs(push.y) < 1e-9, "away from the mate");
    assert.deepEqual(separation({ x: 100, y: 100 }, [{ x: 400, y: 100 }]), { x: 0, y: 0 });
    const stacked = separation({ x: 100, y: 100 }, [{ x: 100, y: 100 }]);
    assert.ok(Math.hypot(stacked.x, stacked.y) > 0, "two bots on one spot still split");
  });

  it("a room of bots starts spread out and stays apart while they fight", () => {
    const state = new ArenaState();
    const sim = new ArenaSimulation(state, 2);
    for (let i = 0; i < 5; i++) sim.addBot(`b0-${i}`, 0);
    for (let i = 0; i < 5; i++) sim.addBot(`b1-${i}`, 1);
    const at = (team: number) => [...state.players.values()].filter((p) => p.team === team && p.respawnInMs === 0).map((p) => ({ x: p.x, y: p.y }));
    for (const team of [0, 1]) assert.ok(minGap(at(team)) > 4 * ARENA.playerRadius, `team ${team} spawned ${minGap(at(team))} apart`);
    // Two seconds of bots chasing the same enemies: teammates never end up on one spot.
    for (let i = 0; i < 2 * ARENA.tickRate; i++) sim.step(DT);
    for (const team of [0, 1]) assert.ok(minGap(at(team)) > ARENA.playerRadius, `team ${team} bots ${minGap(at(team))} apart after 2 s`);
  });
});
