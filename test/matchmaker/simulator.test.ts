import assert from "node:assert/strict";
import { measure, measureBackfill } from "../../matchmaker/sim-metrics.ts";
import { generateArrivals, parseScenario, scenarioRules, simulateRally, simulateRallyRun, type Scenario } from "../../matchmaker/simulator.ts";
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

describe("simulator: leavers and backfill", () => {
  // matches shorter than backfill's untilS, so every freed seat is offered to backfill
  const leavers: Scenario = parseScenario({
    ...scenario, name: "leavers", seed: 11, durationS: 300, warmupS: 20, cooldownS: 40, arrivalsPerS: 20,
    mode: { teams: 2, teamSize: 5, rules: { backfill: { untilS: 150 } } },
    matchDurationS: 120, leaverRate: 0.1, reconnectWindowS: 10,
  });
  const win = { fromS: 20, toS: 260, endS: 300 };
  const rules = scenarioRules(leavers);
  const arrivals = generateArrivals(leavers);

  it("replays deterministically for a seed", () => {
    const a = simulateRallyRun(leavers, arrivals, rules);
    assert.deepEqual(a, simulateRallyRun(leavers, arrivals, rules));
    assert.ok(a.seats.length > 0 && a.fills.length > 0);
  });

  it("opens no seat without leavers, and forms the same matches as before", () => {
    const calm = parseScenario({ ...leavers, leaverRate: 0 });
    const run = simulateRallyRun(calm, arrivals, rules);
    assert.equal(run.seats.length, 0);
    assert.equal(run.fills.length, 0);
    assert.ok(run.matches.every((m) => m.backfills === undefined));
    // leavers without backfill leave the matcher's figures alone
    const off = simulateRallyRun(leavers, arrivals, { ...rules, backfill: false });
    assert.deepEqual(run.matches, off.matches);
    assert.deepEqual(measure(arrivals, run.matches, win, 0), measure(arrivals, off.matches, win, 0));
  });

  it("with backfill off, seats open and none is backfilled", () => {
    const run = simulateRallyRun(leavers, arrivals, { ...rules, backfill: false });
    const f = measureBackfill(arrivals, run, win);
    assert.ok(f.seatsOpened > 20, `opened ${f.seatsOpened}`);
    assert.equal(f.seatsBackfilled, 0);
    assert.equal(f.seatsOffered, 0);
    assert.equal(f.seatsUnfilled, f.seatsOpened);
    assert.equal(run.fills.length, 0);
    // a seat opens after the leave plus the reconnection window, before the match's end
    for (const seat of run.seats) {
      const m = run.matches[seat.match]!;
      assert.ok(Math.abs(seat.openS - seat.leftS - 10) < 1e-9);
      assert.ok(seat.leftS >= m.atS && seat.openS < m.atS + 120);
    }
  });

  it("with backfill on, fills most seats in a busy queue: no ticket seated twice, no party split, picks only on open teams", () => {
    const run = simulateRallyRun(leavers, arrivals, rules);
    const f = measureBackfill(arrivals, run, win);
    assert.equal(f.seatsOffered, f.seatsOpened);
    assert.ok(f.seatsOpened > 20, `opened ${f.seatsOpened}`);
    assert.ok(f.backfillRate > 0.8, `backfill rate ${f.backfillRate}`);
    assert.equal(f.seatsBackfilled + f.seatsUnfilled, f.seatsOpened);
    assert.equal(f.seatsBackfilled, f.backfilledPlayers);

    const seated = new Set<string>();
    const seat = (id: string) => { assert.ok(!seated.has(id), `ticket ${id} seated twice`); seated.add(id); };
    for (const m of run.matches) {
      for (const team of m.teams) for (const id of new Set(team.players.map((p) => p.ticketId))) seat(id);
      for (const j of m.backfills ?? []) {
        seat(j.ticketId);
        assert.ok(j.atS > m.atS && j.atS < m.atS + 120);
        // the whole ticket joins, on one team
        assert.deepEqual(j.players.map((p) => p.playerId), arrivals.find((a) => a.ticket.id === j.ticketId)!.ticket.playerIds);
      }
    }
    assert.equal(measure(arrivals, run.matches, win, 0).splitParties, 0);

    for (const fill of run.fills) {
      const perTeam = fill.openBefore.map(() => 0);
      for (const pick of fill.picks) {
        assert.ok(fill.openBefore[pick.team]! > 0, "pick on a team with no open seat");
        perTeam[pick.team]! += arrivals.find((a) => a.ticket.id === pick.ticketId)!.ticket.playerIds.length;
      }
      perTeam.forEach((n, t) => assert.ok(n <= fill.openBefore[t]!, `team ${t}: ${n} players for ${fill.openBefore[t]} seats`));
    }
    for (const s of run.seats) if (s.filledS !== null) assert.ok(s.filledS >= s.openS && s.closedS === null);
  });
});
