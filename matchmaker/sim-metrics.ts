/**
 * Quality and wait figures for simulated matches, identical for every matcher compared.
 * Ratings here are the TRUE simulated ratings; waits are per player, enqueue to match formed.
 */
import type { SimArrival, SimMatch } from "./simulator.ts";

export interface MatcherFigures {
  /** players matched among those measured (enqueued in [warmupS, durationS - cooldownS)) */
  matched: number;
  /** measured players never matched by the end of the run (their wait counts as end - enqueue) */
  unmatched: number;
  waitP50S: number;
  waitP90S: number;
  waitP99S: number;
  /** mean |difference of team mean ratings| (largest minus smallest for 3+ teams) */
  meanTeamGap: number;
  /** p90 over matches of the favoured team's win probability 1/(1+10^(-gap/400)) */
  winProbP90: number;
  /** parties whose members landed on different teams or matches (or were left behind) */
  splitParties: number;
  /** % of matches with players from more than one home region */
  crossRegionPct: number;
  /** wall-clock ms of one pass over 100k waiting tickets */
  passMsAt100k: number;
}

export interface MeasureWindow {
  readonly fromS: number;
  readonly toS: number;
  readonly endS: number;
}

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  const k = Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1));
  return sorted[k];
}

const round = (x: number, d = 2) => Math.round(x * 10 ** d) / 10 ** d;

export function measure(arrivals: readonly SimArrival[], matches: readonly SimMatch[], win: MeasureWindow, passMsAt100k: number): MatcherFigures {
  const matchedAt = new Map<string, number>();
  const placeOf = new Map<string, string>();
  const gaps: number[] = [];
  const favoured: number[] = [];
  let cross = 0, counted = 0;
  matches.forEach((m, mi) => {
    const all = m.teams.flatMap((t) => t.players);
    if (all.length === 0) return;
    const lobbyMean = all.reduce((s, p) => s + p.trueRating, 0) / all.length;
    const means = m.teams.map((t) => {
      const sum = t.players.reduce((s, p) => s + p.trueRating, 0) + t.bots * lobbyMean;
      return sum / (t.players.length + t.bots);
    });
    m.teams.forEach((t, ti) => t.players.forEach((p) => { matchedAt.set(p.playerId, m.atS); placeOf.set(p.playerId, `${mi}/${ti}`); }));
    if (m.atS < win.fromS) return;
    counted++;
    const gap = Math.max(...means) - Math.min(...means);
    gaps.push(gap);
    favoured.push(1 / (1 + 10 ** (-gap / 400)));
    if (new Set(all.map((p) => p.home)).size > 1) cross++;
  });

  const waits: number[] = [];
  let matched = 0, unmatched = 0, splitParties = 0;
  for (const a of arrivals) {
    const ids = a.ticket.playerIds;
    if (ids.length > 1) {
      const places = new Set(ids.map((id) => placeOf.get(id) ?? "none"));
      if (places.size > 1) splitParties++;
    }
    if (a.arrivalS < win.fromS || a.arrivalS >= win.toS) continue;
    for (const id of ids) {
      const at = matchedAt.get(id);
      if (at === undefined) { unmatched++; waits.push(win.endS - a.arrivalS); } else { matched++; waits.push(at - a.arrivalS); }
    }
  }
  waits.sort((x, y) => x - y);
  favoured.sort((x, y) => x - y);
  return {
    matched,
    unmatched,
    waitP50S: round(percentile(waits, 0.5)),
    waitP90S: round(percentile(waits, 0.9)),
    waitP99S: round(percentile(waits, 0.99)),
    meanTeamGap: round(gaps.reduce((s, g) => s + g, 0) / Math.max(1, gaps.length)),
    winProbP90: round(percentile(favoured, 0.9), 4),
    splitParties,
    crossRegionPct: round((100 * cross) / Math.max(1, counted)),
    passMsAt100k: round(passMsAt100k, 1),
  };
}

/** rally / queueroom per column (lower is better everywhere except `matched`). */
export function ratios(a: MatcherFigures, b: MatcherFigures): Record<keyof MatcherFigures, number | null> {
  const out = {} as Record<keyof MatcherFigures, number | null>;
  for (const k of Object.keys(a) as (keyof MatcherFigures)[]) out[k] = b[k] === 0 ? (a[k] === 0 ? 1 : null) : round(a[k] / b[k], 3);
  return out;
}
