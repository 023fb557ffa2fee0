/**
 * One matcher pass: pure function of (waiting tickets, now, rules).
 *
 * Oldest ticket first becomes the anchor. In each region it may play in (home first, then
 * by its latency), take the nearest-rated tickets inside the anchor's skill window, keep
 * parties whole and premades facing premades, split into teams, and accept the lobby only
 * if the team gap fits the anchor's gap window; otherwise swap in other candidates of the
 * same party size. A ticket is taken by at most one match per pass.
 */
import { NearestWalk, PoolIndex } from "./pool-index.ts";
import { windowAt, type ModeRules } from "./rules.ts";
import { splitTeams, type ParityRule, type TeamItem, type TeamSplit } from "./teams.ts";
import type { Ticket } from "./ticket.ts";

export interface MatchTeam {
  readonly tickets: Ticket[];
  /** bot slots filling this team up to teamSize */
  readonly bots: number;
  /** mean search rating of the team (bots count at the lobby's human mean) */
  readonly meanRating: number;
}

export interface Match {
  readonly matchId: string;
  readonly mode: string;
  /** region to host the match in */
  readonly region: string;
  readonly teams: MatchTeam[];
  /** favoured team's predicted win probability */
  readonly predictedWinProb: number;
  /** largest minus smallest team mean rating */
  readonly ratingGap: number;
  /** players from more than one home region */
  readonly crossRegion: boolean;
  readonly anchorTicketId: string;
  readonly formedAt: number;
}

export interface PassOptions {
  /** folded into match ids so two shards never mint the same id */
  readonly seed?: number;
  /** favoured team's win probability from team mean ratings; default: Elo logistic on the gap */
  readonly predictWin?: (teamMeans: readonly number[]) => number;
}

export interface PassResult {
  readonly matches: Match[];
  /** tickets of this mode still waiting after the pass */
  readonly waiting: number;
  readonly anchorsTried: number;
}

/** Nearest candidates considered per anchor, as a multiple of the match size. */
const CANDIDATES_PER_SLOT = 2;
/** A lobby this close is not worth swapping for: stop searching. */
const GOOD_ENOUGH_GAP = 4;
const SWAP_ROUNDS = 4;
/** How far past the candidate list an anchor looks for small tickets to complete a lobby. */
const FILLER_SCAN = 64;
/** How far a premade anchor looks for its opposite stack. */
const PARTNER_SCAN = 512;
/** Team gaps below this are noise next to rating uncertainty: the split search may stop. */
const NEGLIGIBLE_GAP = 0.5;

export function eloWinProb(teamMeans: readonly number[]): number {
  let hi = -Infinity, lo = Infinity;
  for (const m of teamMeans) { if (m > hi) hi = m; if (m < lo) lo = m; }
  const gap = hi - lo;
  return 1 / (1 + 10 ** (-gap / 400));
}

export function runPass(pool: readonly Ticket[], nowMs: number, rules: ModeRules, options: PassOptions = {}): PassResult {
  const tickets = pool.every((t) => t.mode === rules.name) ? pool : pool.filter((t) => t.mode === rules.name);
  const ix = new PoolIndex(tickets, nowMs, rules);
  const ctx: PassContext = {
    ix, rules, nowMs, options, picked: [], cand: new NearestWalk(), partner: new NearestWalk(), filler: new NearestWalk(), mark: new Uint8Array(ix.n),
    load: new Array<number>(rules.teams).fill(0), sizes: [],
    twoTeamBits: rules.teams === 2 && rules.teamSize <= 15, reach: 1, total: 0,
    items: [], itemPool: [], idPrefix: `${rules.name}-${(options.seed ?? 0).toString(36)}-${nowMs.toString(36)}-`,
  };
  const matches: Match[] = [];
  const anchorsTried = matchAnchors(ctx, matches);
  return { matches, waiting: countWaiting(ix), anchorsTried };
}

// The pass loops live in small functions of their own: a long loop gets optimised on the
// fly, and code after it that has never run would throw that optimisation away each pass.
function matchAnchors(ctx: PassContext, matches: Match[]): number {
  const { ix, rules } = ctx;
  let anchorsTried = 0;
  for (let p = 0; p < ix.n; p++) {
    const a = ix.byAge[p];
    if (ix.taken[a] || ix.size[a] > rules.party.maxSize) continue;
    anchorsTried++;
    const regions = regionsToTry(ix, a, ix.tickets[a]);
    for (let k = 0; k < regions.length; k++) {
      const m = tryMatch(ctx, a, regions[k], matches.length);
      if (m) { matches.push(m); break; }
    }
  }
  return anchorsTried;
}

function countWaiting(ix: PoolIndex): number {
  let waiting = 0;
  for (let i = 0; i < ix.n; i++) waiting += 1 - ix.taken[i];
  return waiting;
}

interface PassContext {
  readonly ix: PoolIndex;
  readonly rules: ModeRules;
  readonly nowMs: number;
  readonly options: PassOptions;
  /** scratch, reused across anchors so a pass allocates little */
  readonly picked: number[];
  readonly cand: NearestWalk;
  readonly partner: NearestWalk;
  readonly filler: NearestWalk;
  readonly mark: Uint8Array;
  readonly load: number[];
  readonly sizes: number[];
  readonly items: { size: number; ratingSum: number }[];
  readonly itemPool: { size: number; ratingSum: number }[];
  readonly idPrefix: string;
  /** two teams of <= 15: packability is a subset-sum bitmask kept as tickets are picked */
  readonly twoTeamBits: boolean;
  /** bit k set: some subset of picked sizes sums to k */
  reach: number;
  total: number;
}

const HOME_ONLY: readonly number[][] = Array.from({ length: 32 }, (_, r) => [r]);

/** Home region first, then other allowed regions by this ticket's latency. */
function regionsToTry(ix: PoolIndex, a: number, t: Ticket): readonly number[] {
  const home = ix.home[a];
  const mask = ix.mask[a];
  if (mask === 1 << home) return HOME_ONLY[home];
  const out = [home];
  const others: number[] = [];
  for (let r = 0; r < ix.regions; r++) if (r !== home && mask & (1 << r)) others.push(r);
  others.sort((x, y) => (t.latencies[ix.regionNames[x]] ?? Infinity) - (t.latencies[ix.regionNames[y]] ?? Infinity) || x - y);
  return out.concat(others);
}

function pick(ctx: PassContext, i: number): void {
  ctx.picked.push(i);
  const size = ctx.ix.size[i];
  ctx.reach = (ctx.reach | (ctx.reach << size)) >>> 0;
  ctx.total += size;
  ctx.mark[i] = 1;
}

function clearPicks(ctx: PassContext): void {
  for (const i of ctx.picked) ctx.mark[i] = 0;
  ctx.picked.length = 0;
  ctx.reach = 1;
  ctx.total = 0;
}

function tryMatch(ctx: PassContext, a: number, r: number, seq: number): Match | null {
  const { ix, rules, picked, cand, mark } = ctx;
  const wait = ix.waitS[a];
  const center = ix.rating[a];
  const w = ix.window[a];
  const maxSize = rules.party.maxSize;
  const pr = rules.party.premadeParity;
  const parity: ParityRule | null = pr && wait < pr.relaxAfterS ? pr : null;

  const limit = rules.matchSize * CANDIDATES_PER_SLOT;
  cand.reset(ix, r, center, center - w, center + w, a, 1, maxSize);
  clearPicks(ctx);
  pick(ctx, a);
  let need = rules.matchSize - ix.size[a];

  // a premade anchor needs its opposite stack first, searched wider than the candidate list
  if (parity && ix.size[a] >= parity.minSize) {
    const s = ix.size[a];
    const lo = s - parity.maxDiff, hi = Math.min(maxSize, s + parity.maxDiff, need);
    // usually among the nearest candidates; walk further (skipping other sizes) only if not
    let mate = -1;
    for (let k = 0; k < limit && mate < 0; k++) {
      const c = cand.at(k);
      if (c < 0) break;
      if (ix.size[c] >= lo && ix.size[c] <= hi) mate = c;
    }
    if (mate < 0 && cand.found.length >= limit) {
      ctx.partner.reset(ix, r, center, center - w, center + w, a, lo, hi, PARTNER_SCAN);
      mate = ctx.partner.at(0);
    }
    if (mate < 0) return null;
    pick(ctx, mate);
    need -= ix.size[mate];
  }

  for (let k = 0; k < limit && need > 0; k++) {
    const c = cand.at(k);
    if (c < 0) break;
    const s = ix.size[c];
    if (mark[c] || s > need) continue;
    if (parity && s >= parity.minSize && openStackNeed(ix, picked, parity) === 0) {
      // a new stack comes only with its opposite stack, and both must fit
      let mate = -1;
      for (let j = k + 1; j < limit; j++) {
        const m = cand.at(j);
        if (m < 0) break;
        const ms = ix.size[m];
        if (!mark[m] && Math.abs(ms - s) <= parity.maxDiff && s + ms <= need && packable(ctx, c, m)) { mate = m; break; }
      }
      if (mate < 0) continue;
      pick(ctx, c); pick(ctx, mate);
      need -= s + ix.size[mate];
      continue;
    }
    if (!packable(ctx, c, -1)) continue;
    pick(ctx, c);
    need -= s;
  }

  // nearest-first left a gap: look further out for tickets small enough to close it
  // (in premade-heavy pools the solos go first and big parties pile up near the anchor)
  if (need > 0) {
    const filler = ctx.filler;
    filler.reset(ix, r, center, center - w, center + w, a, 1, need, FILLER_SCAN * 4);
    for (let k = 0; k < FILLER_SCAN && need > 0; k++) {
      const f = filler.at(k);
      if (f < 0) break;
      const s = ix.size[f];
      if (mark[f] || s > need) continue;
      if (parity && s >= parity.minSize && openStackNeed(ix, picked, parity) === 0) continue;
      if (!packable(ctx, f, -1)) continue;
      pick(ctx, f);
      need -= s;
    }
  }

  let bots = 0;
  if (need > 0) {
    const b = rules.bots;
    const humans = rules.matchSize - need;
    if (b === false || wait < b.afterS || humans < rules.minPlayers) return null;
    bots = need;
  }

  const maxGap = windowAt(rules.teamGap, wait);
  let split = evaluate(ctx, bots, parity);
  if (!split) return null;
  if (split.gap > GOOD_ENOUGH_GAP) split = improveBySwaps(ctx, bots, parity, split);
  if (split.gap > maxGap) return null;

  for (const i of picked) ix.take(i);
  return buildMatch(ctx, a, r, picked, bots, split, seq);
}

/** Size still needed by the largest stack's opposite number (0 if parity holds so far). */
function openStackNeed(ix: PoolIndex, picked: readonly number[], parity: ParityRule): number {
  let top = 0, second = 0;
  for (const i of picked) {
    const s = ix.size[i];
    if (s > top) { second = top; top = s; } else if (s > second) second = s;
  }
  if (top < parity.minSize) return 0;
  return second >= top - parity.maxDiff ? 0 : top - parity.maxDiff;
}

/** Can picked + x (+ y) still be packed whole into teams of teamSize? Empty slots fill later. */
function packable(ctx: PassContext, x: number, y: number): boolean {
  const { ix, rules, picked, sizes, load } = ctx;
  if (ctx.twoTeamBits) {
    // two teams: some subset (team A) must sum into [total - teamSize, teamSize]
    let reach = (ctx.reach | (ctx.reach << ix.size[x])) >>> 0;
    let total = ctx.total + ix.size[x];
    if (y >= 0) { reach = (reach | (reach << ix.size[y])) >>> 0; total += ix.size[y]; }
    const t = rules.teamSize;
    if (total > 2 * t) return false;
    const range = ((1 << (t + 1)) - 1) & ~((1 << Math.max(0, total - t)) - 1);
    return (reach & range) !== 0;
  }
  let total = ix.size[x] + (y >= 0 ? ix.size[y] : 0), top = Math.max(ix.size[x], y >= 0 ? ix.size[y] : 0);
  for (const i of picked) { total += ix.size[i]; if (ix.size[i] > top) top = ix.size[i]; }
  if (total > rules.matchSize) return false;
  if (top === 1) return true;
  // largest first without a comparator sort: sizes are small integers
  sizes.length = 0;
  for (let s = top; s >= 1; s--) {
    for (const i of picked) if (ix.size[i] === s) sizes.push(s);
    if (ix.size[x] === s) sizes.push(s);
    if (y >= 0 && ix.size[y] === s) sizes.push(s);
  }
  for (let t = 0; t < rules.teams; t++) load[t] = 0;
  return place(sizes, load, 0, rules.teams, rules.teamSize);
}

function place(sizes: number[], load: number[], k: number, teams: number, teamSize: number): boolean {
  if (k === sizes.length) return true;
  for (let t = 0; t < teams; t++) {
    if (load[t] + sizes[k] > teamSize) continue;
    const wasEmpty = load[t] === 0;
    load[t] += sizes[k];
    if (place(sizes, load, k + 1, teams, teamSize)) return true;
    load[t] -= sizes[k];
    if (wasEmpty) break; // empty teams are interchangeable
  }
  return false;
}

function evaluate(ctx: PassContext, bots: number, parity: ParityRule | null): TeamSplit | null {
  const { ix, rules, picked, items, itemPool } = ctx;
  items.length = 0;
  let sum = 0, players = 0;
  // ratingSum starts as a double so the field never changes representation
  while (itemPool.length < picked.length + bots) itemPool.push({ size: 0, ratingSum: 0.5 });
  for (const i of picked) {
    const it = itemPool[items.length];
    items.push(it);
    it.size = ix.size[i];
    it.ratingSum = ix.rating[i] * ix.size[i];
    sum += it.ratingSum;
    players += it.size;
  }
  // bots play at the lobby's mean so they neither help nor hurt the balance
  for (let b = 0; b < bots; b++) { const it = itemPool[items.length]; items.push(it); it.size = 1; it.ratingSum = sum / players; }
  return splitTeams(items, rules.teams, rules.teamSize, parity, NEGLIGIBLE_GAP);
}

/** Swap picked (non-anchor) tickets for same-size candidates while the team gap shrinks. */
function improveBySwaps(ctx: PassContext, bots: number, parity: ParityRule | null, split: TeamSplit): TeamSplit {
  const { ix, rules, cand, picked, mark } = ctx;
  cand.at(rules.matchSize * CANDIDATES_PER_SLOT - 1); // pull the full candidate list
  let best = split;
  for (let round = 0; round < SWAP_ROUNDS && best.gap > GOOD_ENOUGH_GAP; round++) {
    let bestK = -1, bestC = -1, bestSplit: TeamSplit | null = null;
    for (let k = 1; k < picked.length; k++) {
      const old = picked[k];
      for (const c of cand.found) {
        if (mark[c] || ix.size[c] !== ix.size[old]) continue;
        picked[k] = c;
        const s = evaluate(ctx, bots, parity);
        picked[k] = old;
        if (s && s.gap < (bestSplit?.gap ?? best.gap)) { bestSplit = s; bestK = k; bestC = c; }
      }
    }
    if (!bestSplit) break;
    mark[picked[bestK]] = 0;
    picked[bestK] = bestC;
    mark[bestC] = 1;
    best = bestSplit;
  }
  return best;
}

function buildMatch(ctx: PassContext, a: number, r: number, picked: readonly number[], bots: number, split: TeamSplit, seq: number): Match {
  const { ix, rules, nowMs, options } = ctx;
  const teams: MatchTeam[] = [];
  let crossRegion = false;
  for (let t = 0; t < rules.teams; t++) {
    const tickets: Ticket[] = [];
    for (let k = 0; k < picked.length; k++) {
      if (split.teamOf[k] !== t) continue;
      tickets.push(ix.tickets[picked[k]]);
      if (ix.home[picked[k]] !== ix.home[a]) crossRegion = true;
    }
    let teamBots = 0;
    for (let b = 0; b < bots; b++) if (split.teamOf[picked.length + b] === t) teamBots++;
    teams.push({ tickets, bots: teamBots, meanRating: split.teamMeans[t] });
  }
  return {
    matchId: ctx.idPrefix + seq,
    mode: rules.name,
    region: ix.regionNames[r],
    teams,
    predictedWinProb: options.predictWin ? options.predictWin(split.teamMeans) : eloWinProb(split.teamMeans),
    ratingGap: split.gap,
    crossRegion,
    anchorTicketId: ix.tickets[a].id,
    formedAt: nowMs,
  };
}
