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
});
