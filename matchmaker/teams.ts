/**
 * Team balancing: split whole parties into `teams` teams of exactly `teamSize` players,
 * minimising the gap between team mean ratings.
 *
 * - up to EXACT_MAX_PLAYERS players: exhaustive search (5v5 is 126 splits, ~10 µs);
 * - beyond: multi-way Karmarkar-Karp (largest differencing) on `size * BIG + ratingSum`
 *   (the FAForever trick to force equal head counts), a size repair, then pairwise swaps.
 * Parties are items, so they can never be split.
 */

export interface TeamItem {
  /** players in this party (bots are items of size 1) */
  readonly size: number;
  /** sum of the players' ratings */
  readonly ratingSum: number;
}

/** A party of `minSize`+ players must face a party at most `maxDiff` smaller. */
export interface ParityRule {
  readonly minSize: number;
  readonly maxDiff: number;
}

export interface TeamSplit {
  /** team index for each item, in input order */
  readonly teamOf: number[];
  readonly teamMeans: number[];
  /** largest minus smallest team mean rating */
  readonly gap: number;
}

export const EXACT_MAX_PLAYERS = 12;

/**
 * Best split, or null when no split puts every party whole on a team of exactly teamSize
 * (or when parity is asked for and cannot hold). Items must total teams * teamSize players.
 */
export function splitTeams(items: readonly TeamItem[], teams: number, teamSize: number, parity: ParityRule | null = null): TeamSplit | null {
  let players = 0;
  for (const it of items) {
    if (it.size > teamSize || it.size < 1) return null;
    players += it.size;
  }
  if (players !== teams * teamSize) return null;
  if (teams === 1) return finish(items, new Array<number>(items.length).fill(0), 1, teamSize);
  const teamOf = players <= EXACT_MAX_PLAYERS
    ? exactSplit(items, teams, teamSize, parity)
    : heuristicSplit(items, teams, teamSize);
  if (!teamOf) return null;
  if (parity && players > EXACT_MAX_PLAYERS && !parityHolds(items, teamOf, teams, parity)) return null;
  return finish(items, teamOf, teams, teamSize);
}

function finish(items: readonly TeamItem[], teamOf: number[], teams: number, teamSize: number): TeamSplit {
  const sums = new Array<number>(teams).fill(0);
  for (let i = 0; i < items.length; i++) sums[teamOf[i]] += items[i].ratingSum;
  const teamMeans = sums.map((s) => s / teamSize);
  return { teamOf, teamMeans, gap: Math.max(...teamMeans) - Math.min(...teamMeans) };
}

export function parityHolds(items: readonly TeamItem[], teamOf: readonly number[], teams: number, parity: ParityRule): boolean {
  const largest = new Array<number>(teams).fill(0);
  for (let i = 0; i < items.length; i++) largest[teamOf[i]] = Math.max(largest[teamOf[i]], items[i].size);
  const top = Math.max(...largest);
  if (top < parity.minSize) return true;
  for (const l of largest) if (l < top - parity.maxDiff) return false;
  return true;
}

// ---- exact search ------------------------------------------------------------------------

function exactSplit(items: readonly TeamItem[], teams: number, teamSize: number, parity: ParityRule | null): number[] | null {
  const n = items.length;
  // biggest parties first: they constrain most, so dead branches die early
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => items[b].size - items[a].size || a - b);
  const size = order.map((i) => items[i].size);
  const sum = order.map((i) => items[i].ratingSum);
  const checkParity = parity !== null && size[0] >= parity.minSize;
  const load = new Array<number>(teams).fill(0);
  const tsum = new Array<number>(teams).fill(0);
  const largest = new Array<number>(teams).fill(0);
  const cur = new Array<number>(n).fill(0);
  let best: number[] | null = null;
  let bestSpread = Infinity;

  const visit = (k: number): void => {
    if (k === n) {
      let hi = -Infinity, lo = Infinity;
      for (let t = 0; t < teams; t++) { if (tsum[t] > hi) hi = tsum[t]; if (tsum[t] < lo) lo = tsum[t]; }
      const spread = hi - lo;
      if (spread >= bestSpread) return;
      if (checkParity) {
        let top = 0;
        for (let t = 0; t < teams; t++) if (largest[t] > top) top = largest[t];
        for (let t = 0; t < teams; t++) if (largest[t] < top - parity!.maxDiff) return;
      }
      bestSpread = spread;
      best = cur.slice();
      return;
    }
    for (let t = 0; t < teams; t++) {
      if (load[t] + size[k] > teamSize) continue;
      const wasEmpty = load[t] === 0;
      const prevLargest = largest[t];
      load[t] += size[k]; tsum[t] += sum[k]; cur[k] = t;
      if (size[k] > largest[t]) largest[t] = size[k];
      visit(k + 1);
      load[t] -= size[k]; tsum[t] -= sum[k]; largest[t] = prevLargest;
      // teams are interchangeable: trying a second empty team repeats the same split
      if (wasEmpty) break;
    }
  };
  visit(0);
  if (!best) return null;
  const found: number[] = best;
  const teamOf = new Array<number>(n);
  for (let k = 0; k < n; k++) teamOf[order[k]] = found[k];
  return teamOf;
}

// ---- heuristic: Karmarkar-Karp + repair + swaps ---------------------------------------------

interface Partial { sums: number[]; members: number[][] }

function heuristicSplit(items: readonly TeamItem[], teams: number, teamSize: number): number[] | null {
  let total = 0;
  for (const it of items) total += Math.abs(it.ratingSum);
  const big = total * 4 + 1; // one player outweighs any rating difference
  const weight = (i: number) => items[i].size * big + items[i].ratingSum;
  let partials: Partial[] = items.map((_, i) => {
    const sums = new Array<number>(teams).fill(0);
    const members = Array.from({ length: teams }, () => [] as number[]);
    sums[0] = weight(i); members[0].push(i);
    return { sums, members };
  });
  const spread = (p: Partial) => p.sums[0] - p.sums[teams - 1];
  while (partials.length > 1) {
    partials.sort((a, b) => spread(b) - spread(a));
    const a = partials[0], b = partials[1];
    // largest subset of one with the smallest of the other: differencing
    const sums: number[] = [], members: number[][] = [];
    for (let t = 0; t < teams; t++) {
      sums.push(a.sums[t] + b.sums[teams - 1 - t]);
      members.push(a.members[t].concat(b.members[teams - 1 - t]));
    }
    const idx = sums.map((_, t) => t).sort((x, y) => sums[y] - sums[x]);
    partials = partials.slice(2);
    partials.push({ sums: idx.map((t) => sums[t]), members: idx.map((t) => members[t]) });
  }
  const teamOf = new Array<number>(items.length).fill(0);
  partials[0].members.forEach((m, t) => { for (const i of m) teamOf[i] = t; });
  if (!repairSizes(items, teamOf, teams, teamSize)) {
    const ffd = firstFitDecreasing(items, teams, teamSize);
    if (!ffd) return null;
    teamOf.splice(0, teamOf.length, ...ffd);
  }
  improveBySwaps(items, teamOf, teams);
  return teamOf;
}

function loads(items: readonly TeamItem[], teamOf: readonly number[], teams: number): number[] {
  const load = new Array<number>(teams).fill(0);
  for (let i = 0; i < items.length; i++) load[teamOf[i]] += items[i].size;
  return load;
}

/** Move small parties from over-full to under-full teams; false if that cannot fix it. */
function repairSizes(items: readonly TeamItem[], teamOf: number[], teams: number, teamSize: number): boolean {
  for (let guard = 0; guard < items.length * teams; guard++) {
    const load = loads(items, teamOf, teams);
    const over = load.findIndex((l) => l > teamSize);
    if (over < 0) return load.every((l) => l === teamSize);
    let moved = false;
    for (let t = 0; t < teams && !moved; t++) {
      const room = teamSize - load[t];
      if (room <= 0) continue;
      let pick = -1;
      for (let i = 0; i < items.length; i++) {
        if (teamOf[i] === over && items[i].size <= room && items[i].size <= load[over] - teamSize &&
          (pick < 0 || items[i].size > items[pick].size)) pick = i;
      }
      if (pick >= 0) { teamOf[pick] = t; moved = true; }
    }
    if (!moved) return false;
  }
  return false;
}

function firstFitDecreasing(items: readonly TeamItem[], teams: number, teamSize: number): number[] | null {
  const order = items.map((_, i) => i).sort((a, b) => items[b].size - items[a].size || items[b].ratingSum - items[a].ratingSum);
  const load = new Array<number>(teams).fill(0);
  const teamOf = new Array<number>(items.length).fill(0);
  for (const i of order) {
    let t = -1;
    for (let c = 0; c < teams; c++) if (load[c] + items[i].size <= teamSize && (t < 0 || load[c] < load[t])) t = c;
    if (t < 0) return null;
    teamOf[i] = t; load[t] += items[i].size;
  }
  return teamOf;
}

/** Hill-climb: swap same-size parties between two teams while the pair's gap shrinks. */
function improveBySwaps(items: readonly TeamItem[], teamOf: number[], teams: number): void {
  const sums = new Array<number>(teams).fill(0);
  for (let i = 0; i < items.length; i++) sums[teamOf[i]] += items[i].ratingSum;
  for (let round = 0; round < 50; round++) {
    let bestGain = 1e-9, bx = -1, by = -1;
    for (let x = 0; x < items.length; x++) {
      for (let y = x + 1; y < items.length; y++) {
        const a = teamOf[x], b = teamOf[y];
        if (a === b || items[x].size !== items[y].size) continue;
        const d = items[x].ratingSum - items[y].ratingSum;
        const gain = Math.abs(sums[a] - sums[b]) - Math.abs(sums[a] - sums[b] - 2 * d);
        if (gain > bestGain) { bestGain = gain; bx = x; by = y; }
      }
    }
    if (bx < 0) return;
    const a = teamOf[bx], b = teamOf[by];
    const d = items[bx].ratingSum - items[by].ratingSum;
    sums[a] -= d; sums[b] += d;
    teamOf[bx] = b; teamOf[by] = a;
  }
}
