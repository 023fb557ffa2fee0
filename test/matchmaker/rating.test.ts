import assert from "node:assert/strict";
import { ELO_PER_MU, OpenSkillModel } from "../../matchmaker/rating.ts";
import { eloWinProb } from "../../matchmaker/matcher.ts";
import { rate as openskillRate, rating as openskillRating } from "openskill";

describe("OpenSkillModel", () => {
  const model = new OpenSkillModel();

  it("puts a new player at 1500 on both scales", () => {
    const s = model.initial();
    assert.equal(model.searchRating(s), 1500);
    assert.equal(model.displayRating(s), 1500);
  });

  it("winners go up, losers go down, uncertainty shrinks", () => {
    const a = [model.initial(), model.initial()], b = [model.initial(), model.initial()];
    const [na, nb] = model.rate([a, b], [1, 2]);
    assert.ok(na.every((s) => s.mu > 25 && s.sigma < 25 / 3));
    assert.ok(nb.every((s) => s.mu < 25 && s.sigma < 25 / 3));
  });

  it("search-rating gaps predict wins like Elo", () => {
    const strong = model.fromSearchRating(1600, 0.5), weak = model.fromSearchRating(1500, 0.5);
    const [pStrong] = model.predictWin([[strong], [weak]]);
    const elo = eloWinProb([1600, 1500]);
    assert.ok(Math.abs(pStrong - elo) < 0.02, `${pStrong} vs ${elo}`);
    assert.ok(Math.abs(model.searchRating(strong) - 1600) < 1e-9);
    assert.ok(ELO_PER_MU > 49 && ELO_PER_MU < 51);
  });
});

describe("OpenSkillModel weights (a backfilled player's share of the match)", () => {
  const model = new OpenSkillModel();
  const a = [{ mu: 27, sigma: 6 }, { mu: 24, sigma: 7.5 }], b = [{ mu: 25, sigma: 25 / 3 }, { mu: 22, sigma: 5 }];
  const close = (x: number, y: number, what: string) => assert.ok(Math.abs(x - y) < 1e-12, `${what}: ${x} vs ${y}`);

  it("weight 1 everywhere is the unweighted update (openskill's own)", () => {
    const own = openskillRate([a, b].map((team) => team.map((s) => openskillRating(s))), { rank: [1, 2] });
    model.rate([a, b], [1, 2], [[1, 1], [1, 1]]).forEach((team, t) => team.forEach((s, p) => {
      close(s.mu, own[t]![p]!.mu, `mu ${t}.${p}`);
      close(s.sigma, own[t]![p]!.sigma, `sigma ${t}.${p}`);
    }));
    assert.deepEqual(model.rate([a, b], [1, 2], [[1, 1], [1, 1]]), model.rate([a, b], [1, 2]));
    assert.deepEqual(model.rate([a, b], [2, 1], [[1, 1], [1, 1]]), model.rate([a, b], [2, 1]));
  });

  it("weight 0 leaves mu and sigma unchanged; others are updated as without weights", () => {
    const full = model.rate([a, b], [1, 2]);
    const [na, nb] = model.rate([a, b], [1, 2], [[0, 1], [1, 0]]);
    assert.deepEqual(na![0], a[0]);
    assert.deepEqual(nb![1], b[1]);
    assert.deepEqual(na![1], full[0]![1]);
    assert.deepEqual(nb![0], full[1]![0]);
  });

  it("weight 0.5 moves mu and sigma halfway to the full update", () => {
    const full = model.rate([a, b], [1, 2]);
    const half = model.rate([a, b], [1, 2], [[0.5, 0.5], [0.5, 0.5]]);
    [a, b].forEach((team, t) => team.forEach((s, p) => {
      close(half[t]![p]!.mu, s.mu + (full[t]![p]!.mu - s.mu) / 2, `mu ${t}.${p}`);
      close(half[t]![p]!.sigma, s.sigma + (full[t]![p]!.sigma - s.sigma) / 2, `sigma ${t}.${p}`);
    }));
    // a winner's gain grows with the share played
    const gain = (w: number) => model.rate([a, b], [1, 2], [[w, 1], [1, 1]])[0]![0]!.mu - a[0]!.mu;
    assert.ok(gain(0) === 0 && gain(0.25) < gain(0.5) && gain(0.5) < gain(1));
  });

  it("weights outside [0, 1] are clamped; missing ones count as 1", () => {
    assert.deepEqual(model.rate([a, b], [1, 2], [[2, 1], [1, 1]]), model.rate([a, b], [1, 2]));
    assert.deepEqual(model.rate([a, b], [1, 2], [[-1, 1], [1, 1]])[0]![0], a[0]);
    assert.deepEqual(model.rate([a, b], [1, 2], [[1]]), model.rate([a, b], [1, 2]));
  });
});
