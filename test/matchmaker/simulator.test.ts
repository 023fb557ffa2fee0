import assert from "node:assert/strict";
import { measure } from "../../matchmaker/sim-metrics.ts";
import { generateArrivals, parseScenario, scenarioRules, simulateRally, type Scenario } from "../../matchmaker/simulator.ts";
import { simulateQueueRoom } from "../../bench/lib/queueroom-baseline.ts";

const scenario: Scenario = parseScenario({
  name: "tiny", seed: 9, durationS: 180, warmupS: 20, cooldownS: 40, arrivalsPerS: [[0, 10], [90, 30], [180, 10]],
  mode: { teams: 2, teamSize: 5 },
  regions: [{ name: "eu", weight: 2 }, { name: "us", weight: 1 }],
  latencyMs: { eu: { eu: 20, us: 80 }, us: { us: 20, eu: 80 } },
  rating: { mean: 1500, sd: 300 },
  partySizes: [55, 20, 12, 7, 6],
});

describe("simulator", () => {
  it("generates the same seeded population every time", () => {
    const a = generateArrivals(scenario), b = generateArrivals(scenario);
    assert.deepEqual(a, b);
    assert.ok(a.length > 2000 && a.length < 5000);
    assert.ok(a.every((x, k) => k === 0 || x.arrivalS >= a[k - 1].arrivalS));
  });

  it("replays through the matcher deterministically; nobody matched twice, no party split", () => {
    const rules = scenarioRules(scenario);
    const arrivals = generateArrivals(scenario);
    const m1 = simulateRally(scenario, arrivals, rules);
    assert.deepEqual(m1, simulateRally(scenario, arrivals, rules));
    const seen = new Set<string>();
    for (const m of m1) for (const team of m.teams) for (const p of team.players) {
      assert.ok(!seen.has(p.playerId));
      seen.add(p.playerId);
    }
    const figures = measure(arrivals, m1, { fromS: 20, toS: 140, endS: 180 }, 0);
    assert.equal(figures.splitParties, 0);
    assert.ok(figures.matched > 0);
  });

  it("drives the real Colyseus QueueRoom on the same arrivals", () => {
    const rules = scenarioRules(scenario);
    const arrivals = generateArrivals(scenario);
    const matches = simulateQueueRoom(arrivals, rules, scenario.durationS);
    assert.ok(matches.length > 50);
    for (const m of matches) assert.equal(m.teams.reduce((s, team) => s + team.players.length, 0), 10);
  });
});
