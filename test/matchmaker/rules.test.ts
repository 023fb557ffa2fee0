import assert from "node:assert/strict";
import fc from "fast-check";
import { defineModes, latencyBudgetAt, parseModeRules, RulesError, windowAt } from "../../matchmaker/rules.ts";

describe("rules", () => {
  it("fills defaults: minPlayers is a full match, party max is the team size", () => {
    const r = parseModeRules({ name: "x", teams: 2, teamSize: 5 });
    assert.equal(r.minPlayers, 10);
    assert.equal(r.matchSize, 10);
    assert.equal(r.party.maxSize, 5);
    assert.equal(r.skillWindow.start, 100);
    assert.equal(r.bots, false);
  });

  it("rejects nonsense with a named field", () => {
    assert.throws(() => parseModeRules({ name: "x", teams: 2, teamSize: 5, party: { maxSize: 6 } }), RulesError);
    assert.throws(() => parseModeRules({ name: "x", teams: 2, teamSize: 5, minPlayers: 4 }), /bots/);
    assert.throws(() => parseModeRules({ name: "x", teams: 0, teamSize: 5 }), /teams/);
    assert.throws(() => parseModeRules({ name: "x", teams: 2, teamSize: 5, skillWindow: { start: 300, max: 200 } }), /max/);
  });

  it("defineModes names each mode by its key", () => {
    const modes = defineModes({ duel: { teams: 2, teamSize: 1 } });
    assert.equal(modes.duel.name, "duel");
    assert.equal(modes.duel.matchSize, 2);
  });

  for (const curve of ["linear", "quadratic", "step"] as const) {
    it(`${curve} window starts at start, never shrinks, and caps at max`, () => {
      fc.assert(fc.property(
        fc.integer({ min: 0, max: 300 }), fc.integer({ min: 0, max: 50 }), fc.integer({ min: 0, max: 1000 }),
        fc.double({ min: 0, max: 500, noNaN: true }), fc.double({ min: 0, max: 500, noNaN: true }),
        (start, widenPerS, extra, a, b) => {
          const w = { start, widenPerS, max: start + extra, curve, stepS: 5 };
          const [lo, hi] = a <= b ? [a, b] : [b, a];
          assert.equal(windowAt(w, 0), start);
          assert.ok(windowAt(w, lo) <= windowAt(w, hi));
          assert.ok(windowAt(w, hi) <= w.max);
        }));
    });
  }

  it("widens as specified per curve", () => {
    const base = { start: 100, widenPerS: 10, max: 1000, stepS: 5 };
    assert.equal(windowAt({ ...base, curve: "linear" }, 7), 170);
    assert.equal(windowAt({ ...base, curve: "step" }, 7), 150);
    assert.equal(windowAt({ ...base, curve: "quadratic" }, 10), 150);
    assert.equal(windowAt({ ...base, curve: "linear" }, 1000), 1000);
  });

  it("opens latency budgets step by step with wait", () => {
    const steps = [{ afterS: 20, maxLatencyMs: 80 }, { afterS: 60, maxLatencyMs: 150 }];
    assert.equal(latencyBudgetAt(steps, 19.9), -1);
    assert.equal(latencyBudgetAt(steps, 20), 80);
    assert.equal(latencyBudgetAt(steps, 59), 80);
    assert.equal(latencyBudgetAt(steps, 61), 150);
  });
});
