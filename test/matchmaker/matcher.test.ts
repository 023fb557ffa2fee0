import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import fc from "fast-check";
import { runPass, type Match } from "../../matchmaker/matcher.ts";
import { parseModeRules, type ModeRulesInput } from "../../matchmaker/rules.ts";
import { makeTicket, type Ticket } from "../../matchmaker/ticket.ts";

const S = 1000;
let seq = 0;
function t(rating: number, opts: { size?: number; region?: string; at?: number; latencies?: Record<string, number>; id?: string } = {}): Ticket {
  const id = opts.id ?? `t${seq++}`;
  const size = opts.size ?? 1;
  const region = opts.region ?? "eu";
  return makeTicket({
    id, mode: "5v5",
    playerIds: Array.from({ length: size }, (_, k) => `${id}.${k}`),
    partyId: size > 1 ? id : undefined,
    playerRatings: new Array<number>(size).fill(rating),
    region, latencies: opts.latencies ?? { [region]: 20 },
    enqueuedAt: opts.at ?? 0,
  });
}
const rules5v5 = (extra: Partial<ModeRulesInput> = {}) => parseModeRules({ name: "5v5", teams: 2, teamSize: 5, ...extra });
const playersOf = (m: Match) => m.teams.flatMap((team) => team.tickets.flatMap((x) => x.playerIds));

describe("matcher pass", () => {
  it("forms a balanced 5v5 from ten close solos, teams of exactly five", () => {
    const pool = [1500, 1510, 1490, 1520, 1480, 1505, 1495, 1515, 1485, 1500].map((r) => t(r));
    const { matches, waiting } = runPass(pool, 0, rules5v5());
    assert.equal(matches.length, 1);
    assert.equal(waiting, 0);
    const [m] = matches;
    assert.deepEqual(m.teams.map((team) => team.tickets.length), [5, 5]);
    assert.ok(m.ratingGap <= 2, `gap ${m.ratingGap}`);
    assert.ok(m.predictedWinProb >= 0.5 && m.predictedWinProb < 0.51);
    assert.equal(m.region, "eu");
    assert.equal(m.crossRegion, false);
  });

  it("gives the oldest ticket priority", () => {
    const oldest = t(1500, { at: 0, id: "oldest" });
    const others = Array.from({ length: 12 }, (_, k) => t(1500 + (k % 2 ? 1 : -1) * k, { at: 5 * S }));
    const { matches } = runPass([...others, oldest], 6 * S, rules5v5());
    assert.equal(matches.length, 1);
    assert.ok(playersOf(matches[0]).includes("oldest.0"));
    assert.equal(matches[0].anchorTicketId, "oldest");
  });

  it("the skill window widens with wait: an outlier is matched only later", () => {
    // the team-gap window is opened wide so only the skill window decides here
    const rules = rules5v5({ skillWindow: { start: 100, widenPerS: 20, max: 800 }, teamGap: { start: 500, max: 500 } });
    const pool = [t(1500, { id: "low" }), ...Array.from({ length: 9 }, () => t(1700))];
    assert.equal(runPass(pool, 0, rules).matches.length, 0, "200 apart is outside the 100 start window");
    assert.equal(runPass(pool, 4 * S, rules).matches.length, 0, "180 at 4 s");
    assert.equal(runPass(pool, 6 * S, rules).matches.length, 1, "220 at 6 s");
  });

  it("the team-gap window holds a lopsided lobby back until it widens", () => {
    const rules = rules5v5({ skillWindow: { start: 1000, max: 1000 }, teamGap: { start: 12, widenPerS: 3, max: 150 } });
    // best split: 1500 + 4x1700 vs 5x1700 -> 40 apart
    const pool = [t(1500), ...Array.from({ length: 9 }, () => t(1700))];
    assert.equal(runPass(pool, 9 * S, rules).matches.length, 0, "39 < 40");
    const [m] = runPass(pool, 10 * S, rules).matches;
    assert.ok(m && Math.abs(m.ratingGap - 40) < 1e-9);
  });

  it("opens other regions only after the delay, bounded by the ticket's latency", () => {
    const rules = rules5v5({ regions: { steps: [{ afterS: 30, maxLatencyMs: 90 }, { afterS: 60, maxLatencyMs: 150 }] } });
    const mk = (lat: number) => [
      ...Array.from({ length: 5 }, () => t(1500, { region: "eu", latencies: { eu: 20, us: lat } })),
      ...Array.from({ length: 5 }, () => t(1500, { region: "us", latencies: { us: 20, eu: lat } })),
    ];
    const near = mk(80), far = mk(120), never = mk(400);
    assert.equal(runPass(near, 29 * S, rules).matches.length, 0, "home region only before 30 s");
    const m = runPass(near, 31 * S, rules).matches;
    assert.equal(m.length, 1);
    assert.equal(m[0].crossRegion, true);
    assert.equal(runPass(far, 45 * S, rules).matches.length, 0, "120 ms is over the 90 ms budget");
    assert.equal(runPass(far, 61 * S, rules).matches.length, 1);
    assert.equal(runPass(never, 3600 * S, rules).matches.length, 0, "never past the largest budget");
  });

  it("respects the neighbour allow-list even when latency is fine", () => {
    const rules = rules5v5({ regions: { steps: [{ afterS: 0, maxLatencyMs: 200 }], neighbours: { eu: ["me"], us: ["sa"] } } });
    const pool = [
      ...Array.from({ length: 5 }, () => t(1500, { region: "eu", latencies: { eu: 20, us: 80 } })),
      ...Array.from({ length: 5 }, () => t(1500, { region: "us", latencies: { us: 20, eu: 80 } })),
    ];
    assert.equal(runPass(pool, 100 * S, rules).matches.length, 0);
  });

  it("keeps premades facing premades until parity relaxes", () => {
    const rules = rules5v5({ party: { premadeParity: { minSize: 3, maxDiff: 1, relaxAfterS: 20 } } });
    const stackVsSolos = [t(1500, { size: 5, id: "stack" }), ...Array.from({ length: 5 }, () => t(1500))];
    assert.equal(runPass(stackVsSolos, 5 * S, rules).matches.length, 0);
    assert.equal(runPass(stackVsSolos, 21 * S, rules).matches.length, 1);
    const twoStacks = [t(1500, { size: 5 }), t(1510, { size: 4 }), ...Array.from({ length: 3 }, () => t(1500))];
    const [m] = runPass(twoStacks, 0, rules).matches;
    assert.ok(m);
    const biggest = m.teams.map((team) => Math.max(...team.tickets.map((x) => x.playerIds.length)));
    assert.deepEqual([...biggest].sort(), [4, 5]);
  });

  it("fills with bots only after the deadline, only where the mode allows", () => {
    const withBots = rules5v5({ bots: { afterS: 30 }, minPlayers: 3 });
    const three = [t(1500), t(1500), t(1500)];
    assert.equal(runPass(three, 29 * S, withBots).matches.length, 0);
    const [m] = runPass(three, 31 * S, withBots).matches;
    assert.ok(m);
    assert.equal(m.teams.reduce((s, team) => s + team.bots, 0), 7);
    m.teams.forEach((team) => assert.equal(team.tickets.length + team.bots, 5));
    assert.equal(runPass([t(1500), t(1500)], 31 * S, withBots).matches.length, 0, "below minPlayers");
    assert.equal(runPass(three, 3600 * S, rules5v5()).matches.length, 0, "mode without bots never fills");
  });

  it("never puts a ticket in two matches, never splits a party, fills teams exactly (property)", () => {
    const ticketArb = fc.record({
      rating: fc.integer({ min: 900, max: 2100 }),
      size: fc.constantFrom(1, 1, 1, 2, 3, 4, 5),
      region: fc.constantFrom("eu", "us", "ap"),
      at: fc.integer({ min: 0, max: 120_000 }),
    });
    fc.assert(fc.property(fc.array(ticketArb, { minLength: 0, maxLength: 300 }), fc.boolean(), (specs, bots) => {
      const pool = specs.map((s, k) => t(s.rating, { ...s, id: `p${k}`, latencies: { eu: 40, us: 60, ap: 90, [s.region]: 15 } }));
      const rules = rules5v5(bots ? { bots: { afterS: 60 }, minPlayers: 4 } : {});
      const { matches, waiting } = runPass(pool, 130_000, rules);
      const seen = new Set<string>();
      for (const m of matches) {
        for (const team of m.teams) {
          assert.equal(team.tickets.reduce((s, x) => s + x.playerIds.length, 0) + team.bots, 5);
          for (const x of team.tickets) {
            assert.ok(!seen.has(x.id), `ticket ${x.id} in two matches`);
            seen.add(x.id);
          }
        }
        if (!bots) assert.ok(m.teams.every((team) => team.bots === 0));
      }
      assert.equal(seen.size + waiting, pool.length);
    }), { numRuns: 60 });
  });

  it("is deterministic given the same inputs", () => {
    const pool = Array.from({ length: 400 }, (_, k) => t(1200 + ((k * 7919) % 600), { size: 1 + (k % 3), at: (k * 37) % 20_000, id: `d${k}` }));
    const a = runPass(pool, 30_000, rules5v5(), { seed: 3 });
    const b = runPass(pool, 30_000, rules5v5(), { seed: 3 });
    assert.deepEqual(a, b);
  });

  it("keeps clocks and environment out of the core", () => {
    for (const f of ["matcher.ts", "pool-index.ts", "teams.ts", "rules.ts", "ticket.ts"]) {
      const src = readFileSync(new URL(`../../matchmaker/${f}`, import.meta.url), "utf8");
      assert.ok(!/Date\.now|performance\.now|process\.env|setTimeout|setInterval/.test(src), f);
    }
  });
});
