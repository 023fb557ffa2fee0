/**
 * Quality and wait figures for simulated matches, identical for every matcher compared.
 * Ratings here are the TRUE simulated ratings; waits are per player, enqueue to match formed.
 */
import type { SimArrival, SimMatch, SimRun } from "./simulator.ts";

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
    // a backfilled player is matched when it takes the seat; the gap columns stay those at formation
    for (const j of m.backfills ?? []) for (const p of j.players) { matchedAt.set(p.playerId, j.atS); placeOf.set(p.playerId, `${mi}/${j.team}`); }
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

/** Backfill figures of one run (all seats of the run; waits over the measured arrivals, as in `measure`). */
export interface BackfillFigures {
  /** seats freed for good (leave + reconnection window) before their match ended */
  seatsOpened: number;
  /** of those, opened while the match still took backfill (before start + untilS; 0 with backfill off) */
  seatsOffered: number;
  seatsBackfilled: number;
  /** opened and never filled: expired at untilS, opened past it, match ended, or still open when the run ended */
  seatsUnfilled: number;
  /** of the unfilled, still open when the run ended (censored) */
  seatsOpenAtEnd: number;
  /** seatsBackfilled / seatsOpened */
  backfillRate: number;
  /** seatsBackfilled / seatsOffered (the seats a room would have offered) */
  offeredFillRate: number;
  /** seat open -> backfilled, s */
  fillP50S: number;
  fillP90S: number;
  /** backfill fills (one per match and pass) and the players they seated */
  fills: number;
  backfilledPlayers: number;
  /** mean over fills of the match's team gap (true ratings) when formed, just before the fill, and after it */
  gapAtFormation: number;
  gapBeforeFill: number;
  gapAfterFill: number;
  /** waits of measured players who did not join by backfill (new matches, or unmatched at end - enqueue) */
  regularWaitP50S: number;
  regularWaitP90S: number;
  /** waits of measured players who joined by backfill (enqueue -> seat taken) */
  backfilledWaitP50S: number;
  backfilledWaitP90S: number;
}

export function measureBackfill(arrivals: readonly SimArrival[], run: SimRun, win: MeasureWindow): BackfillFigures {
  const filled = run.seats.filter((s) => s.filledS !== null);
  const toFill = filled.map((s) => s.filledS! - s.openS).sort((a, b) => a - b);
  const opened = run.seats.length;
  const offered = run.seats.filter((s) => s.offered).length;
  const joinedAt = new Map<string, number>();
  for (const m of run.matches) for (const j of m.backfills ?? []) for (const p of j.players) joinedAt.set(p.playerId, j.atS);
  const formedAt = new Map<string, number>();
  for (const m of run.matches) for (const t of m.teams) for (const p of t.players) formedAt.set(p.playerId, m.atS);
  const regular: number[] = [], backfilled: number[] = [];
  for (const a of arrivals) {
    if (a.arrivalS < win.fromS || a.arrivalS >= win.toS) continue;
    for (const id of a.ticket.playerIds) {
      const j = joinedAt.get(id);
      if (j !== undefined) { backfilled.push(j - a.arrivalS); continue; }
      regular.push((formedAt.get(id) ?? win.endS) - a.arrivalS);
    }
  }
  regular.sort((x, y) => x - y);
  backfilled.sort((x, y) => x - y);
  const meanOf = (xs: readonly number[]) => round(xs.reduce((x, y) => x + y, 0) / Math.max(1, xs.length));
  return {
    seatsOpened: opened,
    seatsOffered: offered,
    seatsBackfilled: filled.length,
    seatsUnfilled: opened - filled.length,
    seatsOpenAtEnd: run.seats.filter((s) => s.filledS === null && s.closedS === null).length,
    backfillRate: round(filled.length / Math.max(1, opened), 4),
    offeredFillRate: round(filled.length / Math.max(1, offered), 4),
    fillP50S: round(percentile(toFill, 0.5)),
    fillP90S: round(percentile(toFill, 0.9)),
    fills: run.fills.length,
    backfilledPlayers: joinedAt.size,
    gapAtFormation: meanOf(run.fills.map((f) => f.gapAtFormation)),
    gapBeforeFill: meanOf(run.fills.map((f) => f.gapBeforeFill)),
    gapAfterFill: meanOf(run.fills.map((f) => f.gapAfterFill)),
    regularWaitP50S: round(percentile(regular, 0.5)),
    regularWaitP90S: round(percentile(regular, 0.9)),
    backfilledWaitP50S: round(percentile(backfilled, 0.5)),
    backfilledWaitP90S: round(percentile(backfilled, 0.9)),
  };
}

/** a / b per column of two numeric records (null where b is 0 and a is not). */
export function ratioOf<K extends string>(a: Readonly<Record<K, number>>, b: Readonly<Record<K, number>>): Record<K, number | null> {
  const out = {} as Record<K, number | null>;
  for (const k of Object.keys(a) as K[]) out[k] = b[k] === 0 ? (a[k] === 0 ? 1 : null) : round(a[k] / b[k], 3);
  return out;
}
