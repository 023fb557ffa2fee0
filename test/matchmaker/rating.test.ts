import assert from "node:assert/strict";
import { ELO_PER_MU, OpenSkillModel } from "../../matchmaker/rating.ts";
import { eloWinProb } from "../../matchmaker/matcher.ts";

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
