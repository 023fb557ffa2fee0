import assert from "node:assert/strict";
import { runPass } from "../../matchmaker/matcher.ts";
import { parseModeRules } from "../../matchmaker/rules.ts";
import { makeTicket, type Ticket } from "../../matchmaker/ticket.ts";

// runPass reuses the index's typed arrays between passes: no pass may see another's data.
function pool(n: number, regions: string[], salt: number): Ticket[] {
  return Array.from({ length: n }, (_, k) => {
    const size = 1 + ((k * 7 + salt) % 4 === 0 ? (k % 3) + 1 : 0);
    const region = regions[(k * 13 + salt) % regions.length];
    const id = `b${salt}-${k}`;
    return makeTicket({
      id, mode: "5v5",
      playerIds: Array.from({ length: size }, (_, j) => `${id}.${j}`),
      playerRatings: Array.from({ length: size }, (_, j) => 1200 + ((k * 7919 + j * 31 + salt) % 700)),
      region,
      latencies: Object.fromEntries(regions.map((r, i) => [r, r === region ? 20 : 40 + 30 * i])),
      // out of age order on purpose for one of the pools
      enqueuedAt: salt % 2 ? ((k * 37) % 90_000) : k * 50,
    });
  });
}

describe("matcher pass buffers", () => {
  const rules = parseModeRules({ name: "5v5", teams: 2, teamSize: 5 });

  it("passes over different pools, interleaved, give the same results as alone", () => {
    const big = pool(3000, ["eu", "us", "ap"], 1);
    const small = pool(250, ["us", "eu"], 2);
    const bigAlone = runPass(big, 100_000, rules, { seed: 1 });
    const smallAlone = runPass(small, 100_000, rules, { seed: 2 });
    assert.ok(bigAlone.matches.length > 50 && smallAlone.matches.length > 5);
    for (let round = 0; round < 3; round++) {
      assert.deepEqual(runPass(small, 100_000, rules, { seed: 2 }), smallAlone);
      assert.deepEqual(runPass(big, 100_000, rules, { seed: 1 }), bigAlone);
    }
  });

  it("a pass started inside another pass (from predictWin) does not disturb it", () => {
    const a = pool(1200, ["eu", "us"], 3);
    const b = pool(600, ["ap", "eu", "us"], 4);
    const expected = runPass(a, 100_000, rules, { seed: 5 });
    const nested = runPass(b, 100_000, rules, { seed: 6 });
    let calls = 0;
    const got = runPass(a, 100_000, rules, {
      seed: 5,
      predictWin: (means) => {
        if (calls++ < 3) assert.deepEqual(runPass(b, 100_000, rules, { seed: 6 }), nested);
        const gap = Math.max(...means) - Math.min(...means);
        return 1 / (1 + 10 ** (-gap / 400));
      },
    });
    assert.ok(calls > 3);
    assert.deepEqual(got, expected);
  });
  // runPass keeps the last pool's ticket fields, keyed by ticket identity, for the next pass
  describe("ticket field cache", () => {
    const fresh = (tickets: Ticket[]) => tickets.map((t) => ({ ...t })); // same content, new objects

    it("tickets leaving and joining between passes give the same result as an uncached pass", () => {
      const all = pool(2000, ["eu", "us", "ap"], 7);
      const a = all.slice(0, 1500);
      runPass(a, 100_000, rules, { seed: 3 });
      // drop runs of tickets (longer than the lookahead too), keep order, add new ones at the end and in between
      const next = a.filter((_, k) => k % 5 !== 0 && !(k >= 300 && k < 500)).concat(all.slice(1500));
      next.splice(700, 0, ...all.slice(1900).map((t) => ({ ...t, id: `${t.id}x` })));
      const cached = runPass(next, 101_000, rules, { seed: 3 });
      runPass(pool(10, ["eu"], 9), 0, rules); // the cache now holds another pool
      assert.deepEqual(cached, runPass(fresh(next), 101_000, rules, { seed: 3 }));
    });

    it("a ticket replaced by a new object with other fields is read again", () => {
      const a = pool(1000, ["eu", "us"], 3);
      runPass(a, 100_000, rules, { seed: 4 });
      const changed = a.map((t, k) => k % 3 === 0
        ? { ...t, rating: t.rating + 300, region: t.region === "eu" ? "us" : "eu", enqueuedAt: t.enqueuedAt - 5000 } : t);
      const got = runPass(changed, 100_000, rules, { seed: 4 });
      assert.deepEqual(got, runPass(fresh(changed), 100_000, rules, { seed: 4 }));
      assert.notDeepEqual(got, runPass(a, 100_000, rules, { seed: 4 }));
    });

    it("pools of two modes and two region sets interleave, and other modes' tickets are left out", () => {
      const other = parseModeRules({ name: "arena", teams: 2, teamSize: 2 });
      const big = pool(1500, ["eu", "us", "ap"], 5);
      const arena = pool(400, ["sa", "eu"], 6).map((t) => ({ ...t, mode: "arena" }));
      const mixed = [...big.slice(0, 700), ...arena, ...big.slice(700)];
      const expectBig = runPass(fresh(big), 100_000, rules, { seed: 1 });
      const expectArena = runPass(fresh(arena), 100_000, other, { seed: 2 });
      for (let round = 0; round < 3; round++) {
        assert.deepEqual(runPass(mixed, 100_000, rules, { seed: 1 }), expectBig);
        assert.deepEqual(runPass(mixed, 100_000, other, { seed: 2 }), expectArena);
        assert.deepEqual(runPass(big, 100_000, rules, { seed: 1 }), expectBig);
        assert.deepEqual(runPass(arena, 100_000, other, { seed: 2 }), expectArena);
      }
    });

    it("many region names over time do not break the region ids", () => {
      for (let k = 0; k < 80; k++) {
        const regions = [`r${3 * k}`, `r${3 * k + 1}`, `r${3 * k + 2}`];
        const p = pool(60, regions, k);
        const again = runPass(p, 100_000, rules, { seed: k });
        assert.deepEqual(runPass(p, 100_000, rules, { seed: k }), again);
        assert.deepEqual(again, runPass(fresh(p), 100_000, rules, { seed: k }));
        for (const m of again.matches) assert.ok(regions.includes(m.region));
      }
    });
  });
});
