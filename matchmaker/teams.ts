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
/** two teams: exhaustive over parties up to this many (2^15 steps, ~0.1 ms for 8v8 solos) */
export const EXACT_TWO_TEAM_ITEMS = 16;

/**
 * Best split, or null when no split puts every party whole on a team of exactly teamSize
 * (or when parity is asked for and cannot hold). Items must total teams * teamSize players.
 */
export function splitTeams(items: readonly TeamItem[], teams: number, teamSize: number, parity: ParityRule | null = null,
  /** stop searching once the gap is at most this (0 = exact optimum) */
  goodEnoughGap = 0): TeamSplit | null {
  let players = 0;
  for (const it of items) {
    if (it.size > teamSize || it.size < 1) return null;
    players += it.size;
  }
  if (players !== teams * teamSize) return null;
  if (teams === 1) return finish(items, new Array<number>(items.length).fill(0), 1, teamSize);
  const teamOf = teams === 2 && items.length <= EXACT_TWO_TEAM_ITEMS ? exactTwoTeams(items, teamSize, parity, goodEnoughGap * teamSize)
    : players <= EXACT_MAX_PLAYERS ? exactSplit(items, teams, teamSize, parity)
    : heuristicSplit(items, teams, teamSize);
  if (!teamOf) return null;
  if (parity && !parityHolds(items, teamOf, teams, parity)) return null;
  return finish(items, teamOf, teams, teamSize);
}

function finish(items: readonly TeamItem[], teamOf: number[], teams: number, teamSize: number): TeamSplit {
  const teamMeans = new Array<number>(teams).fill(0);
  for (let i = 0; i < items.length; i++) teamMeans[teamOf[i]] += items[i].ratingSum / teamSize;
  let hi = -Infinity, lo = Infinity;
  for (const m of teamMeans) { if (m > hi) hi = m; if (m < lo) lo = m; }
  return { teamOf, teamMeans, gap: hi - lo };
}

/**
 * Two teams: walk every subset holding item 0 in Gray-code order (one item flips per
 * step), so 5v5 solos cost 512 cheap steps and no recursion.
 */
function exactTwoTeams(items: readonly TeamItem[], teamSize: number, parity: ParityRule | null, goodEnoughSpread: number): number[] | null {
  const n = items.length;
  const size = twoTeamSizes.length >= n ? twoTeamSizes : (twoTeamSizes = new Int32Array(n));
  const sum = twoTeamSums.length >= n ? twoTeamSums : (twoTeamSums = new Float64Array(n));
  for (let i = 0; i < n; i++) { size[i] = items[i].size; sum[i] = items[i].ratingSum; }
  const best = bestTwoTeamMask(n, size, sum, teamSize, parity, goodEnoughSpread);
  if (best < 0) return null;
  const teamOf = new Array<number>(n);
  for (let i = 0; i < n; i++) teamOf[i] = best & (1 << i) ? 0 : 1;
  return teamOf;
}

let twoTeamSizes = new Int32Array(EXACT_TWO_TEAM_ITEMS);
let twoTeamSums = new Float64Array(EXACT_TWO_TEAM_ITEMS);

/**
 * The exact two-team search over parallel arrays (item i: `size[i]` players, rating sum
 * `sum[i]`), allocation-free for the matcher's hot loop. Returns the best team-A bit mask
 * (item i on team A iff bit i is set; item 0 always is), or -1 when no split has exactly
 * `teamSize` players per team (and parity, if asked for). Stops at the first split whose
 * |sum A - sum B| is at most `goodEnoughSpread`. At most EXACT_TWO_TEAM_ITEMS items.
 */
export function bestTwoTeamMask(n: number, size: ArrayLike<number>, sum: ArrayLike<number>, teamSize: number,
  parity: ParityRule | null, goodEnoughSpread: number): number {
  let total = 0, top = 0;
  for (let i = 0; i < n; i++) { total += sum[i]; if (size[i] > top) top = size[i]; }
  const checkParity = parity !== null && top >= parity.minSize;
  // team A always holds item 0 (the split and its mirror are the same)
  let players = size[0], s = sum[0], mask = 1;
  let best = -1, bestSpread = Infinity;
  const steps = 1 << (n - 1);
  for (let g = 0; g < steps; g++) {
    if (g > 0) {
      const bit = 31 - Math.clz32(g & -g) + 1; // items 1..n-1 flip in Gray order
      if (mask & (1 << bit)) { mask &= ~(1 << bit); players -= size[bit]; s -= sum[bit]; }
      else { mask |= 1 << bit; players += size[bit]; s += sum[bit]; }
    }
    if (players !== teamSize) continue;
    const spread = Math.abs(2 * s - total);
    if (spread >= bestSpread) continue;
    if (checkParity && !twoTeamParity(n, size, mask, parity!)) continue;
    bestSpread = spread; best = mask;
    if (spread <= goodEnoughSpread) break;
  }
  return best;
}

function twoTeamParity(n: number, size: ArrayLike<number>, mask: number, parity: ParityRule): boolean {
  let a = 0, b = 0;
  for (let i = 0; i < n; i++) {
    if (mask & (1 << i)) { if (size[i] > a) a = size[i]; } else if (size[i] > b) b = size[i];
  }
  const top = a > b ? a : b;
  return top < parity.minSize || (a >= top - parity.maxDiff && b >= top - parity.maxDiff);
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

/** Search state for exactSplit, kept in one object so the recursion allocates nothing. */
interface ExactState {
  n: number; teams: number; teamSize: number;
  size: number[]; sum: number[];
  parity: ParityRule | null;
  load: number[]; tsum: number[]; largest: number[];
  cur: number[]; best: number[]; bestSpread: number;
}

const scratch: ExactState = {
  n: 0, teams: 0, teamSize: 0, size: [], sum: [], parity: null,
  load: [], tsum: [], largest: [], cur: [], best: [], bestSpread: Infinity,
};

function exactSplit(items: readonly TeamItem[], teams: number, teamSize: number, parity: ParityRule | null): number[] | null {
  const n = items.length;
  const st = scratch; // the search never re-enters, so one scratch state serves every call
  st.n = n; st.teams = teams; st.teamSize = teamSize; st.bestSpread = Infinity;
  // biggest parties first: they constrain most, so dead branches die early
  let top = 0;
  for (const it of items) if (it.size > top) top = it.size;
  const order: number[] = [];
  st.size.length = 0; st.sum.length = 0;
  for (let s = top; s >= 1; s--) {
    for (let i = 0; i < n; i++) {
      if (items[i].size !== s) continue;
      order.push(i); st.size.push(s); st.sum.push(items[i].ratingSum);
    }
  }
  st.parity = parity !== null && top >= parity.minSize ? parity : null;
  for (let t = 0; t < teams; t++) { st.load[t] = 0; st.tsum[t] = 0; st.largest[t] = 0; }
  st.load.length = st.tsum.length = st.largest.length = teams;
  visit(st, 0);
  if (st.bestSpread === Infinity) return null;
  const teamOf = new Array<number>(n);
  for (let k = 0; k < n; k++) teamOf[order[k]] = st.best[k];
  return teamOf;
}

function visit(st: ExactState, k: number): void {
  const { teams, load, tsum, largest } = st;
  if (k === st.n) {
    let hi = -Infinity, lo = Infinity, top = 0, low = Infinity;
    for (let t = 0; t < teams; t++) {
      if (tsum[t] > hi) hi = tsum[t];
      if (tsum[t] < lo) lo = tsum[t];
      if (largest[t] > top) top = largest[t];
      if (largest[t] < low) low = largest[t];
    }
    const spread = hi - lo;
    if (spread >= st.bestSpread) return;
    if (st.parity && low < top - st.parity.maxDiff) return;
    st.bestSpread = spread;
    for (let i = 0; i < st.n; i++) st.best[i] = st.cur[i];
    return;
  }
  const s = st.size[k];
  for (let t = 0; t < teams; t++) {
    if (load[t] + s > st.teamSize) continue;
    const wasEmpty = load[t] === 0;
    const prevLargest = largest[t];
    load[t] += s; tsum[t] += st.sum[k]; st.cur[k] = t;
    if (s > prevLargest) largest[t] = s;
    visit(st, k + 1);
    load[t] -= s; tsum[t] -= st.sum[k]; largest[t] = prevLargest;
    // teams are interchangeable: trying a second empty team repeats the same split
    if (wasEmpty) break;
  }
}

// ---- heuristic: Karmarkar-Karp + repair + swaps ---------------------------------------------

interface Partial { sums: number[]; members: number[][] }

/** Karmarkar-Karp + repair + swaps, regardless of size (exported for tests). */
export function splitTeamsHeuristic(items: readonly TeamItem[], teams: number, teamSize: number): TeamSplit | null {
  const teamOf = heuristicSplit(items, teams, teamSize);
  return teamOf && finish(items, teamOf, teams, teamSize);
}

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
    const packed = packBySize(items, teams, teamSize);
    if (!packed) return null;
    teamOf.splice(0, teamOf.length, ...packed);
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

/**
 * Any exact packing of parties into teams (ratings ignored; swaps balance afterwards).
 * Largest first; teams with equal load are interchangeable, so only one is tried.
 */
function packBySize(items: readonly TeamItem[], teams: number, teamSize: number): number[] | null {
  const order = items.map((_, i) => i).sort((a, b) => items[b].size - items[a].size || a - b);
  const load = new Array<number>(teams).fill(0);
  const teamOf = new Array<number>(items.length).fill(0);
  let budget = 200_000; // pathological inputs give up instead of hanging the matcher
  const place = (k: number): boolean => {
    if (k === order.length) return true;
    if (--budget < 0) return false;
    const i = order[k], size = items[i].size;
    for (let t = 0; t < teams; t++) {
      if (load[t] + size > teamSize) continue;
      let seen = false;
      for (let u = 0; u < t; u++) if (load[u] === load[t]) { seen = true; break; }
      if (seen) continue;
      load[t] += size; teamOf[i] = t;
      if (place(k + 1)) return true;
      load[t] -= size;
    }
    return false;
  };
  return place(0) ? teamOf : null;
}

/**
 * Hill-climb between two teams at a time: swap one party for one of the same size, or one
 * party for two whose sizes add up, whenever that pair's gap shrinks (the overall spread
 * can then only shrink too).
 */
function improveBySwaps(items: readonly TeamItem[], teamOf: number[], teams: number): void {
  const n = items.length;
  const sums = new Array<number>(teams).fill(0);
  for (let i = 0; i < n; i++) sums[teamOf[i]] += items[i].ratingSum;
  const pairTriples = n <= 120;
  for (let round = 0; round < 40; round++) {
    let bestGain = 1e-9, bx = -1, by = -1, bz = -1;
    for (let x = 0; x < n; x++) {
      const a = teamOf[x];
      for (let y = 0; y < n; y++) {
        const b = teamOf[y];
        if (a === b) continue;
        const diff = sums[a] - sums[b];
        if (y > x && items[x].size === items[y].size) {
          const d = items[x].ratingSum - items[y].ratingSum;
          const gain = Math.abs(diff) - Math.abs(diff - 2 * d);
          if (gain > bestGain) { bestGain = gain; bx = x; by = y; bz = -1; }
        }
        if (!pairTriples || items[y].size >= items[x].size) continue;
        for (let z = y + 1; z < n; z++) {
          if (teamOf[z] !== b || items[y].size + items[z].size !== items[x].size) continue;
          const d = items[x].ratingSum - items[y].ratingSum - items[z].ratingSum;
          const gain = Math.abs(diff) - Math.abs(diff - 2 * d);
          if (gain > bestGain) { bestGain = gain; bx = x; by = y; bz = z; }
        }
      }
    }
    if (bx < 0) return;
    const a = teamOf[bx], b = teamOf[by];
    const d = items[bx].ratingSum - items[by].ratingSum - (bz >= 0 ? items[bz].ratingSum : 0);
    sums[a] -= d; sums[b] += d;
    teamOf[bx] = b; teamOf[by] = a;
    if (bz >= 0) teamOf[bz] = a;
  }
}
