/** The arena rules, driven step by step without a room or a network: deterministic. */
import assert from "node:assert/strict";
import { ARENA, ArenaSimulation, ArenaState, type ArenaInput } from "../../../examples/arena/index.ts";

const DT = 1000 / ARENA.tickRate;

function setup() {
  const state = new ArenaState();
  const sim = new ArenaSimulation(state, 2);
  const a = sim.addPlayer("a", { playerId: "pa", name: "A", team: 0 });
  const b = sim.addPlayer("b", { playerId: "pb", name: "B", team: 1 });
  return { state, sim, a, b };
}

function input(partial: Partial<ArenaInput>): ArenaInput {
  return { seq: 1, x: 0, y: 0, aim: 0, fire: false, ...partial };
}

/** Steps until `until()` holds (or `max` steps); returns the steps taken and the first end reason. */
function run(sim: ArenaSimulation, steps: number, until?: () => boolean): { steps: number; ended: string | null } {
  for (let i = 1; i <= steps; i++) {
    const ended = sim.step(DT);
    if (ended) return { steps: i, ended };
    if (until?.()) return { steps: i, ended: null };
  }
  return { steps, ended: null };
}

describe("ArenaSimulation", () => {
  it("starts players with full hp and ammo, teams on opposite sides", () => {
    const { state, a, b } = setup();
    assert.equal(a.hp, ARENA.maxHp);
    assert.equal(a.ammo, ARENA.maxAmmo);
    assert.ok(a.x < ARENA.width / 2 && b.x > ARENA.width / 2);
    assert.deepEqual([...state.teamScores], [0, 0]);
    assert.equal(state.scoreLimit, ARENA.scoreLimit);
    assert.equal(state.timeLimitMs, ARENA.timeLimitMs);
  });

  it("moves a player at exactly `speed` at full stick", () => {
    const { sim, a } = setup();
    const x0 = a.x;
    sim.setInput("a", input({ x: 1 }));
    run(sim, 30);
    assert.ok(Math.abs(a.x - x0 - ARENA.speed * (30 * DT) / 1000) < 1e-6, `moved ${a.x - x0}`);
  });

  it("clamps the stick so a diagonal or an oversized input never exceeds `speed`", () => {
    for (const stick of [{ x: 1, y: 1 }, { x: 50, y: 0 }, { x: -1e9, y: 1e9 }]) {
      const { sim, a } = setup();
      a.x = 500; a.y = 300;
      sim.setInput("a", input(stick));
      run(sim, 10);
      const moved = Math.hypot(a.x - 500, a.y - 300);
      assert.ok(moved <= ARENA.speed * (10 * DT) / 1000 + 1e-6, `${JSON.stringify(stick)} moved ${moved}`);
      assert.ok(moved > 0);
    }
  });

  it("keeps players inside the arena", () => {
    const { sim, a } = setup();
    sim.setInput("a", input({ x: -1, y: -1 }));
    run(sim, 300);
    assert.equal(a.x, ARENA.playerRadius);
    assert.equal(a.y, ARENA.playerRadius);
    sim.setInput("a", input({ x: 1, y: 1 }));
    run(sim, 300);
    assert.equal(a.x, ARENA.width - ARENA.playerRadius);
    assert.equal(a.y, ARENA.height - ARENA.playerRadius);
  });

  it("records the last applied input sequence; idle() stops a player", () => {
    const { sim, a } = setup();
    sim.setInput("a", input({ seq: 42, x: 1 }));
    assert.equal(a.lastSeq, 42);
    run(sim, 3);
    sim.idle("a");
    const x = a.x;
    run(sim, 10);
    assert.equal(a.x, x);
  });

  it("ignores input for an unknown session", () => {
    const { sim, state } = setup();
    const before = JSON.stringify(state.toJSON());
    sim.setInput("nobody", input({ x: 1 }));
    assert.equal(JSON.stringify(state.toJSON()), before);
  });

  it("fires at most once per cooldown and never without ammo; ammo regenerates", () => {
    const { sim, state, a } = setup();
    const ids = new Set<string>();
    sim.setInput("a", input({ fire: true, aim: Math.PI / 2 }));
    const steps = Math.round(1000 / DT); // one second of holding the trigger
    for (let i = 0; i < steps; i++) {
      sim.step(DT);
      for (const id of state.bullets.keys()) ids.add(id);
    }
    const maxShots = Math.floor(1000 / ARENA.fireCooldownMs) + 1;
    assert.ok(ids.size <= maxShots && ids.size >= maxShots - 1, `${ids.size} shots in 1 s`);
    // Keep firing until empty: never negative, no shot at zero ammo.
    const more = Math.round((ARENA.maxAmmo * ARENA.fireCooldownMs) / DT);
    let sawEmpty = false;
    for (let i = 0; i < more; i++) {
      const before = state.bullets.size;
      const ammoBefore = a.ammo;
      sim.step(DT);
      if (ammoBefore === 0) assert.ok(state.bullets.size <= before, "fired with no ammo");
      if (a.ammo === 0) sawEmpty = true;
    }
    assert.ok(sawEmpty, "ran out of ammo");
    sim.setInput("a", input({ fire: false }));
    run(sim, Math.ceil((ARENA.ammoRegenMs * 2) / DT) + 1);
    assert.ok(a.ammo >= 2, `ammo regenerated to ${a.ammo}`);
    run(sim, Math.ceil((ARENA.ammoRegenMs * ARENA.maxAmmo) / DT) + 1);
    assert.equal(a.ammo, ARENA.maxAmmo);
  });

  it("a bullet hits an enemy; enough hits kill, score for the shooter and their team, then respawn", () => {
    const { sim, state, a, b } = setup();
    a.x = 100; a.y = 300; b.x = 400; b.y = 300;
    sim.setInput("a", input({ fire: true, aim: 0 }));
    run(sim, 200, () => b.hp === ARENA.maxHp - 1);
    assert.equal(b.hp, ARENA.maxHp - 1);
    run(sim, 200, () => b.respawnInMs > 0);
    assert.equal(b.hp, 0);
    assert.equal(b.respawnInMs, ARENA.respawnMs);
    assert.equal(a.score, 1);
    assert.deepEqual([...state.teamScores], [1, 0]);
    sim.setInput("a", input({ fire: false }));
    // Dead: does not move while waiting.
    sim.setInput("b", input({ x: 1 }));
    const deadX = b.x;
    run(sim, 2);
    assert.equal(b.x, deadX);
    const { steps } = run(sim, 200, () => b.respawnInMs === 0);
    assert.ok(steps * DT >= ARENA.respawnMs - 2 * DT, `respawned after ${steps * DT} ms`);
    assert.equal(b.hp, ARENA.maxHp);
    assert.ok(b.x > ARENA.width / 2, "respawned on its own side");
  });

  it("no friendly fire", () => {
    const state = new ArenaState();
    const sim = new ArenaSimulation(state, 2);
    const a = sim.addPlayer("a", { playerId: "pa", name: "A", team: 0 });
    const mate = sim.addPlayer("m", { playerId: "pm", name: "M", team: 0 });
    a.x = 100; a.y = 300; mate.x = 250; mate.y = 300;
    sim.setInput("a", input({ fire: true, aim: 0 }));
    run(sim, 60);
    assert.equal(mate.hp, ARENA.maxHp);
  });

  it("ends with score-limit when a team reaches the score limit", () => {
    const { sim, state, a, b } = setup();
    state.teamScores[0] = ARENA.scoreLimit - 1;
    a.x = 100; a.y = 300; b.x = 300; b.y = 300;
    sim.setInput("a", input({ fire: true, aim: 0 }));
    const { ended } = run(sim, 300);
    assert.equal(ended, "score-limit");
    assert.equal(state.teamScores[0], ARENA.scoreLimit);
  });

  it("ends with time-limit exactly when the time limit is reached", () => {
    const { sim, state } = setup();
    const steps = Math.ceil(ARENA.timeLimitMs / DT);
    const { steps: taken, ended } = run(sim, steps + 10);
    assert.equal(ended, "time-limit");
    assert.equal(taken, steps);
    assert.ok(state.elapsedMs >= ARENA.timeLimitMs);
  });

  it("is deterministic: the same inputs give the same state", () => {
    const play = () => {
      const { sim, state, a, b } = setup();
      a.x = 100; a.y = 300; b.x = 500; b.y = 320;
      for (let i = 0; i < 400; i++) {
        if (i % 50 === 0) sim.setInput("a", input({ seq: i, x: Math.sin(i), y: Math.cos(i), aim: 0.05 * (i % 7), fire: i % 3 === 0 }));
        if (i % 40 === 0) sim.setInput("b", input({ seq: i, x: -1, y: Math.sin(i), aim: Math.PI, fire: true }));
        sim.step(DT);
      }
      return JSON.stringify(state.toJSON());
    };
    assert.equal(play(), play());
  });

  it("removePlayer drops the player and their controls", () => {
    const { sim, state } = setup();
    sim.removePlayer("b");
    assert.equal(state.players.has("b"), false);
    sim.setInput("b", input({ x: 1 }));
    sim.step(DT);
  });
});
