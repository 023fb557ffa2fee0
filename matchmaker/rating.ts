/**
 * Ratings: a `RatingModel` seam and its openskill (Weng-Lin, Plackett-Luce) implementation.
 *
 * Scale. openskill works in mu/sigma (defaults 25 / 25/3). The matcher and players see an
 * Elo-like number instead:
 *   searchRating  = 1500 + ELO_PER_MU * (mu - 25)           (matching, balancing)
 *   displayRating = 1500 + ELO_PER_MU * (mu - 3*sigma)      (leaderboards; 1500 for a new
 *                                                            player, rises as sigma shrinks)
 * ELO_PER_MU makes a 1v1 search-rating gap predict a win the way Elo does: openskill
 * predicts Φ((mu1 - mu2) / (beta * sqrt 2)) for settled players, Elo 1/(1 + 10^(-gap/400));
 * with Φ(x) ≈ logistic(1.702 x) they agree at 400 * 1.702 / (ln 10 * beta * sqrt 2) ≈ 50
 * rating points per mu. (For teams openskill sums mus, so its team odds are sharper than
 * Elo on team means; the matcher balances on means, the bench reports Elo on means.)
 */
import { ordinal, predictWin, rate, rating } from "openskill";

export interface Skill {
  readonly mu: number;
  readonly sigma: number;
}

export interface RatingModel {
  /** a new player's skill */
  initial(): Skill;
  /**
   * New skills after one match. `teams[t][p]` is player p of team t; `ranks[t]` is the
   * team's finishing place (1 = winner; equal ranks = draw). `weights[t][p]` in [0, 1] (default 1):
   * the share of the match player p played (a backfilled late joiner); its update is scaled by it.
   */
  rate(teams: readonly (readonly Skill[])[], ranks: readonly number[], weights?: readonly (readonly number[])[]): Skill[][];
  /** win probability per team, summing to 1 */
  predictWin(teams: readonly (readonly Skill[])[]): number[];
  /** the number the matcher searches and balances on */
  searchRating(skill: Skill): number;
  /** the conservative number shown to players */
  displayRating(skill: Skill): number;
  /** inverse of searchRating at a given sigma (seeding, admin rating overrides) */
  fromSearchRating(searchRating: number, sigma?: number): Skill;
}

const MU = 25;
const SIGMA = 25 / 3;
const BETA = 25 / 6;
export const ELO_PER_MU = (400 * 1.702) / (Math.LN10 * BETA * Math.SQRT2);

export class OpenSkillModel implements RatingModel {
  initial(): Skill {
    return rating({ mu: MU, sigma: SIGMA });
  }

  rate(teams: readonly (readonly Skill[])[], ranks: readonly number[], weights?: readonly (readonly number[])[]): Skill[][] {
    if (teams.length !== ranks.length) throw new RangeError("one rank per team");
    const input = teams.map((team) => team.map((s) => rating({ mu: s.mu, sigma: s.sigma })));
    const next = rate(input, { rank: [...ranks] });
    // openskill 5 declares a `weight` option but ignores it: partial play scales each update here
    return next.map((team, t) => team.map((r, p) => {
      const w = Math.min(1, Math.max(0, weights?.[t]?.[p] ?? 1));
      const b = teams[t]![p]!;
      return { mu: b.mu + w * (r.mu - b.mu), sigma: b.sigma + w * (r.sigma - b.sigma) };
    }));
  }

  predictWin(teams: readonly (readonly Skill[])[]): number[] {
    return predictWin(teams.map((team) => team.map((s) => ({ mu: s.mu, sigma: s.sigma }))));
  }

  searchRating(skill: Skill): number {
    return 1500 + ELO_PER_MU * (skill.mu - MU);
  }

  displayRating(skill: Skill): number {
    return 1500 + ELO_PER_MU * ordinal({ mu: skill.mu, sigma: skill.sigma });
  }

  fromSearchRating(searchRating: number, sigma = SIGMA): Skill {
    return { mu: MU + (searchRating - 1500) / ELO_PER_MU, sigma };
  }
}
