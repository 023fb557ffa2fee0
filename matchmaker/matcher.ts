/**
 * One matcher pass: pure function of (waiting tickets, now, rules).
 *
 * Oldest ticket first becomes the anchor. In each region it may play in (home first, then
 * by its latency), take the nearest-rated tickets inside the anchor's skill window, keep
 * parties whole and premades facing premades, split into teams, and accept the lobby only
 * if the team gap fits the anchor's gap window; otherwise swap in other candidates of the
 * same party size. A ticket is taken by at most one match per pass.
 */
import { AttributeColumns, attributeRulesOf, bucketKeyOf, LobbyAttributes, type AttributeValue, type MatchCandidate } from "./attributes.ts";
import { IndexBuffers, keepBuffers, NearestWalk, PoolIndex } from "./pool-index.ts";
import { DEFAULT_SHARD, windowAt, type ModeRules } from "./rules.ts";
import { bestTwoTeamMask, EXACT_TWO_TEAM_ITEMS, splitTeams, type ParityRule, type TeamSplit } from "./teams.ts";
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
  /** what the mode's attribute rules make common (equal values, overlap common sets); absent without rules */
  readonly attributes?: Readonly<Record<string, AttributeValue>>;
}

export interface PassOptions {
  /** folded into match ids so two shards never mint the same id */
  readonly seed?: number;
  /** favoured team's win probability from team mean ratings; default: Elo logistic on the gap */
  readonly predictWin?: (teamMeans: readonly number[]) => number;
  /** the region shard this pool is (told to the mode's hook; default `default`) */
  readonly shard?: string;
}

export interface PassResult {
  readonly matches: Match[];
  /** tickets of this mode still waiting after the pass */
  readonly waiting: number;
  readonly anchorsTried: number;
  /** calls of the mode's hook in this pass (0 without a hook) */
  readonly hookCalls?: number;
  /** hook calls that threw (each counted as a rejection) */
  readonly hookErrors?: number;
}

/** Hook calls a pass may still make (shared by the buckets of one pass). */
interface HookBudget { left: number; calls: number; errors: number }

/** Buckets (of equal attributes) at least this large keep a matcher (buffers, field cache) of their own. */
const OWN_MATCHER_MIN = 256;
const MAX_BUCKET_MATCHERS = 32;

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

/**
 * A matcher with its own pass buffers: the index's typed arrays and the last pool's ticket fields
 * (found again by ticket identity), reused pass after pass. The leader keeps one per (mode, shard)
 * it leads (service.ts), so two active modes or shards never evict each other's field cache. A pass
 * started while another runs on the same matcher (from `predictWin`) gets fresh buffers.
 */
export class Matcher {
  private idle: IndexBuffers | null = null;
  /** passes run, and of them those that found the previous pass's buffers (and field cache) */
  passes = 0;
  reused = 0;
  /** tickets of the last pass whose fields came from the pass before it */
  lastCacheHits = 0;

  /** bucket key -> matcher of that bucket of equal attributes (modes with `equal` rules) */
  private buckets: Map<string, Matcher> | null = null;
  private smallBuckets: Matcher | null = null;

  pass(pool: readonly Ticket[], nowMs: number, rules: ModeRules, options: PassOptions = {}): PassResult {
    const budget: HookBudget | null = rules.hook ? { left: rules.hook.maxCallsPerPass, calls: 0, errors: 0 } : null;
    const equal = attributeRulesOf(rules).equal;
    if (equal.length === 0) return this.passPool(pool, nowMs, rules, options, 0, budget);
    return this.passBuckets(pool, nowMs, rules, options, equal, budget);
  }

  /**
   * `equal` rules: tickets of different values can never share a match, so the pass runs once per
   * bucket of equal values (oldest first within each; buckets are independent, so the result is what
   * one pass checking equality per candidate would form). Big buckets keep a matcher of their own.
   */
  private passBuckets(pool: readonly Ticket[], nowMs: number, rules: ModeRules, options: PassOptions, equal: readonly string[], budget: HookBudget | null): PassResult {
    const groups = new Map<string, Ticket[]>();
    for (const t of pool) {
      if (t.mode !== rules.name) continue;
      const k = bucketKeyOf(t, equal);
      let g = groups.get(k);
      if (!g) groups.set(k, g = []);
      g.push(t);
    }
    const kept = new Map<string, Matcher>();
    const matches: Match[] = [];
    let waiting = 0, anchorsTried = 0, hits = 0;
    for (const [k, tickets] of groups) {
      let m: Matcher;
      if (tickets.length >= OWN_MATCHER_MIN && kept.size < MAX_BUCKET_MATCHERS) kept.set(k, m = this.buckets?.get(k) ?? new Matcher());
      else m = this.smallBuckets ??= new Matcher();
      const r = m.passPool(tickets, nowMs, rules, options, matches.length, budget);
      for (const match of r.matches) matches.push(match);
      waiting += r.waiting; anchorsTried += r.anchorsTried; hits += m.lastCacheHits;
    }
    // buckets gone from this pool let their matchers go
    this.buckets = kept;
    this.passes++;
    this.lastCacheHits = hits;
    return { matches, waiting, anchorsTried, hookCalls: budget?.calls ?? 0, hookErrors: budget?.errors ?? 0 };
  }

  private passPool(pool: readonly Ticket[], nowMs: number, rules: ModeRules, options: PassOptions, seqBase: number, budget: HookBudget | null): PassResult {
    // An idle queue runs a pass every second on every node: no index (its radix sort clears 64k slots).
    if (pool.length === 0) return { matches: [], waiting: 0, anchorsTried: 0, hookCalls: budget?.calls ?? 0 };
    this.passes++;
    const buffers = this.idle ?? new IndexBuffers();
    if (this.idle) this.reused++;
    this.idle = null;
    try {
      // tickets of other modes are left out by the index
      const ix = new PoolIndex(pool, nowMs, rules, buffers);
      this.lastCacheHits = buffers.cacheHits;
      const ctx = passContext(ix, nowMs, rules, options, buffers.mark(ix.n), seqBase, budget);
      const matches: Match[] = [];
      const anchorsTried = matchAnchors(ctx, matches);
      return { matches, waiting: countWaiting(ix), anchorsTried, hookCalls: budget?.calls ?? 0, hookErrors: budget?.errors ?? 0 };
    } finally {
      // the outermost pass hands its buffers back last, so they (and its field cache) are kept
      if (keepBuffers(buffers)) this.idle = buffers;
    }
  }
}

/** For callers that keep no matcher of their own (tests, the simulator, benches): one shared by them. */
const shared = new Matcher();

/** One pass over `pool` (see `Matcher.pass`), with `matcher`'s buffers, else the shared matcher's. */
export function runPass(pool: readonly Ticket[], nowMs: number, rules: ModeRules, options: PassOptions & { readonly matcher?: Matcher } = {}): PassResult {
  return (options.matcher ?? shared).pass(pool, nowMs, rules, options);
}

function passContext(ix: PoolIndex, nowMs: number, rules: ModeRules, options: PassOptions, mark: Uint8Array, seqBase: number, budget: HookBudget | null): PassContext {
  const maxItems = rules.matchSize + 1;
  const c = attributeRulesOf(rules);
  // overlap / distance: columns for this pool (equal rules were settled by bucketing)
  const cols = c.overlap.length || c.distance.length ? new AttributeColumns(ix.poolTickets, inverse(ix.poolIndexOf), c) : null;
  return {
    cols, equalRules: c.equal,
    attrs: cols ? new LobbyAttributes(cols) : null, swapAttrs: cols ? new LobbyAttributes(cols) : null, swapFor: -1,
    hasCommon: c.equal.length + c.overlap.length > 0, budget, seqBase,
    ix, rules, nowMs, options, picked: [], cand: new NearestWalk(), partner: new NearestWalk(), filler: new NearestWalk(), mark,
    load: new Array<number>(rules.teams).fill(0), sizes: [],
    twoTeamBits: rules.teams === 2 && rules.teamSize <= 15, reach: 1, total: 0,
    fastSplit: rules.teams === 2, itemSize: new Int32Array(maxItems), itemSum: new Float64Array(maxItems),
    items: [], itemPool: [], ev: new SplitResult(), best: new SplitResult(), roundBest: new SplitResult(),
    regionOrder: [], otherRegions: [],
    idPrefix: `${rules.name}-${(options.seed ?? 0).toString(36)}-${nowMs.toString(36)}-`,
  };
}

/** pool position -> index, from index -> pool position */
function inverse(poolIndexOf: Int32Array): Int32Array {
  const out = new Int32Array(poolIndexOf.length);
  for (let j = 0; j < poolIndexOf.length; j++) out[poolIndexOf[j]] = j;
  return out;
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
    // hook calls spent: the remaining anchors wait for the next pass (a candidate the hook has not seen is never formed)
    if (ctx.budget && ctx.budget.left <= 0) break;
    const regions = regionsToTry(ctx, a);
    for (let k = 0; k < regions.length; k++) {
      const m = tryMatch(ctx, a, regions[k], ctx.seqBase + matches.length);
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
  /** two teams: the exact split runs allocation-free over these (item k: picked[k], then bots) */
  readonly fastSplit: boolean;
  readonly itemSize: Int32Array;
  readonly itemSum: Float64Array;
  /** other team counts: items for `splitTeams` */
  readonly items: { size: number; ratingSum: number }[];
  readonly itemPool: { size: number; ratingSum: number }[];
  /** last evaluated split, best so far, best of a swap round */
  readonly ev: SplitResult;
  readonly best: SplitResult;
  readonly roundBest: SplitResult;
  readonly regionOrder: number[];
  readonly otherRegions: number[];
  readonly idPrefix: string;
  /** two teams of <= 15: packability is a subset-sum bitmask kept as tickets are picked */
  readonly twoTeamBits: boolean;
  /** bit k set: some subset of picked sizes sums to k */
  reach: number;
  total: number;
  /** overlap / distance rules: the lobby's running intersection and range (null: the mode has none) */
  readonly attrs: LobbyAttributes | null;
  /** scratch for swaps: the lobby without the ticket being swapped out (picked[swapFor]; -1: stale) */
  readonly swapAttrs: LobbyAttributes | null;
  swapFor: number;
  /** the mode has equal / overlap rules: matches carry their common attributes */
  readonly hasCommon: boolean;
  readonly cols: AttributeColumns | null;
  readonly equalRules: readonly string[];
  readonly budget: HookBudget | null;
  /** match ids of this pool start here (buckets of one pass share the sequence) */
  readonly seqBase: number;
}

/**
 * A team split as the matcher keeps it: for two teams (`split` null) a team-A bit mask over
 * the items and both team means; otherwise the `splitTeams` result.
 */
class SplitResult {
  gap = 0.5; mask = 0; mean0 = 0.5; mean1 = 0.5;
  split: TeamSplit | null = null;
  copyFrom(o: SplitResult): void {
    this.gap = o.gap; this.mask = o.mask; this.mean0 = o.mean0; this.mean1 = o.mean1; this.split = o.split;
  }
}

const HOME_ONLY: readonly number[][] = Array.from({ length: 32 }, (_, r) => [r]);

/** Home region first, then other allowed regions by this ticket's latency. */
function regionsToTry(ctx: PassContext, a: number): readonly number[] {
  const ix = ctx.ix;
  const home = ix.home[a];
  const mask = ix.mask[a];
  if (mask === 1 << home) return HOME_ONLY[home];
  const t = ix.ticket(a);
  const out = ctx.regionOrder, others = ctx.otherRegions;
  out.length = 0; others.length = 0;
  out.push(home);
  for (let r = 0; r < ix.regions; r++) if (r !== home && mask & (1 << r)) others.push(r);
  others.sort((x, y) => (t.latencies[ix.regionNames[x]] ?? Infinity) - (t.latencies[ix.regionNames[y]] ?? Infinity) || x - y);
  for (let k = 0; k < others.length; k++) out.push(others[k]);
  return out;
}

function pick(ctx: PassContext, i: number): void {
  ctx.picked.push(i);
  const size = ctx.ix.size[i];
  ctx.reach = (ctx.reach | (ctx.reach << size)) >>> 0;
  ctx.total += size;
  ctx.mark[i] = 1;
  if (ctx.attrs) { ctx.attrs.add(i); ctx.swapFor = -1; }
}

/** Attribute rules hold with `x` (and `y`) added to the picks (always, for a mode without such rules). */
function attrsFit(ctx: PassContext, x: number, y = -1): boolean {
  return ctx.attrs === null || ctx.attrs.fits(x, y);
}

function clearPicks(ctx: PassContext): void {
  for (const i of ctx.picked) ctx.mark[i] = 0;
  ctx.picked.length = 0;
  ctx.reach = 1;
  ctx.total = 0;
  ctx.attrs?.clear();
  ctx.swapFor = -1;
}

function tryMatch(ctx: PassContext, a: number, r: number, seq: number): Match | null {
  const { ix, rules, picked, cand, mark } = ctx;
  const wait = ix.waitS(a, ctx.nowMs);
  const center = ix.rating[a];
  const w = windowAt(rules.skillWindow, wait);
  const maxSize = rules.party.maxSize;
  const pr = rules.party.premadeParity;
  const parity: ParityRule | null = pr && wait < pr.relaxAfterS ? pr : null;

  const limit = rules.matchSize * CANDIDATES_PER_SLOT;
  cand.reset(ix, r, center, center - w, center + w, a, 1, maxSize);
  clearPicks(ctx);
  if (ctx.attrs) setSpreads(ctx, wait);
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
      if (ix.size[c] >= lo && ix.size[c] <= hi && attrsFit(ctx, c)) mate = c;
    }
    if (mate < 0 && cand.found.length >= limit) {
      ctx.partner.reset(ix, r, center, center - w, center + w, a, lo, hi, PARTNER_SCAN);
      mate = ctx.partner.at(0);
      // attribute rules: the nearest opposite stack that fits them (the walk's visit budget bounds this)
      for (let k = 1; mate >= 0 && !attrsFit(ctx, mate); k++) mate = ctx.partner.at(k);
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
        if (!mark[m] && Math.abs(ms - s) <= parity.maxDiff && s + ms <= need && packable(ctx, c, m) && attrsFit(ctx, c, m)) { mate = m; break; }
      }
      if (mate < 0) continue;
      pick(ctx, c); pick(ctx, mate);
      need -= s + ix.size[mate];
      continue;
    }
    if (!packable(ctx, c, -1) || !attrsFit(ctx, c)) continue;
    pick(ctx, c);
    need -= s;
  }

  // nearest-first left a gap: look further out for tickets small enough to close it
  // (in premade-heavy pools the solos go first and big parties pile up near the anchor)
  // Whether a ticket can close the gap depends only on its size (given what is picked), so
  // once no size fits, the rest of the walk could only be skipped over: stop (or never start).
  let fits = need > 0 ? sizesThatFit(ctx, need, parity) : 0;
  if (fits !== 0) {
    const filler = ctx.filler;
    filler.reset(ix, r, center, center - w, center + w, a, 1, need, FILLER_SCAN * 4);
    for (let k = 0; k < FILLER_SCAN && need > 0 && fits !== 0; k++) {
      const f = filler.at(k);
      if (f < 0) break;
      const s = ix.size[f];
      if (mark[f] || s > need) continue;
      if (parity && s >= parity.minSize && openStackNeed(ix, picked, parity) === 0) continue;
      if (!packable(ctx, f, -1) || !attrsFit(ctx, f)) continue;
      pick(ctx, f);
      need -= s;
      fits = need > 0 ? sizesThatFit(ctx, need, parity) : 0;
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
  if (!evaluate(ctx, bots, parity)) return null;
  const best = ctx.best;
  best.copyFrom(ctx.ev);
  if (best.gap > GOOD_ENOUGH_GAP) improveBySwaps(ctx, bots, parity);
  if (best.gap > maxGap) return null;

  if (ctx.budget) return consultHook(ctx, a, r, bots, parity, maxGap, wait, seq);
  for (let k = 0; k < picked.length; k++) ix.take(picked[k]);
  return buildMatch(ctx, a, r, picked, bots, best, seq);
}

/** Each distance rule's window for this anchor's wait. */
function setSpreads(ctx: PassContext, wait: number): void {
  const attrs = ctx.attrs!;
  const rules = attributeRulesOf(ctx.rules).distance;
  for (let k = 0; k < rules.length; k++) attrs.maxSpread[k] = windowAt(rules[k].window, wait);
}

/**
 * Would picks with picked[skip] replaced by `c` satisfy the attribute rules? The lobby without
 * picked[skip] is built once per `skip` (swap loops try many `c` per slot), until the picks change.
 */
function fitsReplacing(ctx: PassContext, skip: number, c: number): boolean {
  const scratch = ctx.swapAttrs;
  if (scratch === null) return true;
  if (ctx.swapFor !== skip) {
    scratch.clear();
    scratch.maxSpread.set(ctx.attrs!.maxSpread);
    for (let k = 0; k < ctx.picked.length; k++) if (k !== skip) scratch.add(ctx.picked[k]);
    ctx.swapFor = skip;
  }
  return scratch.fits(c, -1);
}

/**
 * The mode's hook decides among this anchor's candidates: the matcher's lobby, then up to
 * `candidatesPerAnchor - 1` variants with one picked ticket swapped for another candidate (nearest
 * first, same size, rules kept, gap within the window). A rejected candidate is never formed. Among
 * the rest, those whose gap is within `tieGap` of the best gap tie, and the highest score wins
 * (then the lower gap, then the matcher's order). Every call counts against `maxCallsPerPass`.
 */
function consultHook(ctx: PassContext, a: number, r: number, bots: number, parity: ParityRule | null, maxGap: number, wait: number, seq: number): Match | null {
  const { ix, rules, picked, cand, mark, best, ev } = ctx;
  const hook = rules.hook!;
  const budget = ctx.budget!;
  const lobbies: { picks: number[]; split: SplitResult }[] = [{ picks: picked.slice(), split: copySplit(best) }];
  if (hook.candidatesPerAnchor > 1) cand.at(rules.matchSize * CANDIDATES_PER_SLOT - 1); // pull the full candidate list
  const found = cand.found;
  for (let k = picked.length - 1; k >= 1 && lobbies.length < hook.candidatesPerAnchor; k--) {
    const old = picked[k];
    for (let f = 0; f < found.length && lobbies.length < hook.candidatesPerAnchor; f++) {
      const c = found[f];
      if (mark[c] || ix.size[c] !== ix.size[old] || !fitsReplacing(ctx, k, c)) continue;
      picked[k] = c;
      const ok = evaluate(ctx, bots, parity) && ev.gap <= maxGap;
      if (ok) lobbies.push({ picks: picked.slice(), split: copySplit(ev) });
      picked[k] = old;
      if (ok) break; // one variant per swapped slot: variants differ in which ticket leaves
    }
  }
  let chosen = -1, chosenScore = -Infinity, chosenGap = Infinity, bestGap = Infinity;
  const matches: (Match | null)[] = [];
  const scores: number[] = [];
  for (let k = 0; k < lobbies.length; k++) {
    if (budget.left <= 0) break;
    budget.left--; budget.calls++;
    const m = buildMatch(ctx, a, r, lobbies[k].picks, bots, lobbies[k].split, seq);
    let verdict: number | "reject";
    try {
      verdict = hook.score(candidateOf(m, ctx.options.shard ?? DEFAULT_SHARD, wait));
    } catch {
      // a hook that throws has not accepted the candidate: it is not formed (the pass goes on)
      verdict = "reject";
      budget.errors++;
    }
    const score = typeof verdict === "number" && Number.isFinite(verdict) ? verdict : 0;
    matches.push(verdict === "reject" ? null : m);
    scores.push(score);
    if (verdict !== "reject" && m.ratingGap < bestGap) bestGap = m.ratingGap;
  }
  for (let k = 0; k < matches.length; k++) {
    const m = matches[k];
    if (!m || m.ratingGap > bestGap + hook.tieGap) continue;
    if (scores[k] > chosenScore || (scores[k] === chosenScore && m.ratingGap < chosenGap)) { chosen = k; chosenScore = scores[k]; chosenGap = m.ratingGap; }
  }
  if (chosen < 0) return null;
  // the chosen lobby's picks become the lobby (marks follow, so the anchor's next region starts clean)
  for (const i of picked) mark[i] = 0;
  picked.length = 0;
  for (const i of lobbies[chosen].picks) { picked.push(i); mark[i] = 1; }
  for (let k = 0; k < picked.length; k++) ix.take(picked[k]);
  return matches[chosen];
}

function copySplit(s: SplitResult): SplitResult {
  const out = new SplitResult();
  out.copyFrom(s);
  return out;
}

/** The read-only view a hook gets. */
function candidateOf(m: Match, shard: string, anchorWaitS: number): MatchCandidate {
  return Object.freeze({
    mode: m.mode, shard, region: m.region, ratingGap: m.ratingGap, anchorWaitS,
    teams: Object.freeze(m.teams.map((t) => Object.freeze({ tickets: Object.freeze(t.tickets.slice()), bots: t.bots, meanRating: t.meanRating }))),
    attributes: Object.freeze({ ...(m.attributes ?? {}) }),
  });
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

/**
 * Bit s set: one more ticket of size s (<= need) would be taken by the filler loop in
 * `tryMatch` given the current picks (parity and packability depend on sizes alone).
 */
function sizesThatFit(ctx: PassContext, need: number, parity: ParityRule | null): number {
  // only with the cheap subset-sum bitmask; otherwise report "maybe" and let the loop check
  if (!ctx.twoTeamBits) return 1;
  const stackBlocked = parity !== null && openStackNeed(ctx.ix, ctx.picked, parity) === 0;
  let fits = 0;
  for (let s = 1; s <= need && s < 31; s++) {
    if (stackBlocked && s >= parity!.minSize) continue;
    if (packableSizes(ctx, s, 0)) fits |= 1 << s;
  }
  return fits; // (two teams of <= 15: need <= 30, every size has its bit)
}

/** Can picked + x (+ y) still be packed whole into teams of teamSize? Empty slots fill later. */
function packable(ctx: PassContext, x: number, y: number): boolean {
  return packableSizes(ctx, ctx.ix.size[x], y >= 0 ? ctx.ix.size[y] : 0);
}

/** `packable` by party sizes: sy = 0 when only one ticket is added. */
function packableSizes(ctx: PassContext, sx: number, sy: number): boolean {
  const { ix, rules, picked, sizes, load } = ctx;
  if (ctx.twoTeamBits) {
    // two teams: some subset (team A) must sum into [total - teamSize, teamSize]
    let reach = (ctx.reach | (ctx.reach << sx)) >>> 0;
    let total = ctx.total + sx;
    if (sy > 0) { reach = (reach | (reach << sy)) >>> 0; total += sy; }
    const t = rules.teamSize;
    if (total > 2 * t) return false;
    const range = ((1 << (t + 1)) - 1) & ~((1 << Math.max(0, total - t)) - 1);
    return (reach & range) !== 0;
  }
  let total = sx + sy, top = Math.max(sx, sy);
  for (const i of picked) { total += ix.size[i]; if (ix.size[i] > top) top = ix.size[i]; }
  if (total > rules.matchSize) return false;
  if (top === 1) return true;
  // largest first without a comparator sort: sizes are small integers
  sizes.length = 0;
  for (let s = top; s >= 1; s--) {
    for (const i of picked) if (ix.size[i] === s) sizes.push(s);
    if (sx === s) sizes.push(s);
    if (sy === s) sizes.push(s);
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

/** Split picked tickets (+ bots) into teams; the result lands in `ctx.ev`. False: no valid split. */
function evaluate(ctx: PassContext, bots: number, parity: ParityRule | null): boolean {
  const { ix, rules, picked } = ctx;
  const n = picked.length + bots;
  if (ctx.fastSplit && n <= EXACT_TWO_TEAM_ITEMS) return evaluateTwoTeams(ctx, bots, parity);
  const { items, itemPool } = ctx;
  items.length = 0;
  let sum = 0, players = 0;
  // ratingSum starts as a double so the field never changes representation
  while (itemPool.length < n) itemPool.push({ size: 0, ratingSum: 0.5 });
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
  const split = splitTeams(items, rules.teams, rules.teamSize, parity, NEGLIGIBLE_GAP);
  if (!split) return false;
  const ev = ctx.ev;
  ev.split = split; ev.gap = split.gap; ev.mask = 0; ev.mean0 = 0; ev.mean1 = 0;
  return true;
}

/**
 * `splitTeams` for two teams of <= EXACT_TWO_TEAM_ITEMS items, without allocating: the same
 * checks, the same exact search (`bestTwoTeamMask`), the same arithmetic for means and gap.
 */
function evaluateTwoTeams(ctx: PassContext, bots: number, parity: ParityRule | null): boolean {
  const { ix, rules, picked, itemSize, itemSum } = ctx;
  const teamSize = rules.teamSize;
  const m = picked.length;
  let sum = 0, players = 0;
  for (let k = 0; k < m; k++) {
    const i = picked[k];
    const size = ix.size[i];
    const rs = ix.rating[i] * size;
    itemSize[k] = size; itemSum[k] = rs;
    sum += rs;
    players += size;
  }
  // bots play at the lobby's mean so they neither help nor hurt the balance
  const botSum = sum / players;
  for (let b = 0; b < bots; b++) { itemSize[m + b] = 1; itemSum[m + b] = botSum; }
  const n = m + bots;
  let total = 0;
  for (let k = 0; k < n; k++) {
    if (itemSize[k] > teamSize || itemSize[k] < 1) return false;
    total += itemSize[k];
  }
  if (total !== 2 * teamSize) return false;
  const mask = bestTwoTeamMask(n, itemSize, itemSum, teamSize, parity, NEGLIGIBLE_GAP * teamSize);
  if (mask < 0) return false;
  let mean0 = 0, mean1 = 0;
  for (let k = 0; k < n; k++) {
    if (mask & (1 << k)) mean0 += itemSum[k] / teamSize; else mean1 += itemSum[k] / teamSize;
  }
  let hi = -Infinity, lo = Infinity;
  if (mean0 > hi) hi = mean0;
  if (mean0 < lo) lo = mean0;
  if (mean1 > hi) hi = mean1;
  if (mean1 < lo) lo = mean1;
  const ev = ctx.ev;
  ev.split = null; ev.mask = mask; ev.mean0 = mean0; ev.mean1 = mean1; ev.gap = hi - lo;
  return true;
}

/** Swap picked (non-anchor) tickets for same-size candidates while the team gap shrinks (updates `ctx.best`). */
function improveBySwaps(ctx: PassContext, bots: number, parity: ParityRule | null): void {
  const { ix, rules, cand, picked, mark, best, roundBest, ev } = ctx;
  cand.at(rules.matchSize * CANDIDATES_PER_SLOT - 1); // pull the full candidate list
  const found = cand.found;
  for (let round = 0; round < SWAP_ROUNDS && best.gap > GOOD_ENOUGH_GAP; round++) {
    let bestK = -1, bestC = -1;
    for (let k = 1; k < picked.length; k++) {
      const old = picked[k];
      for (let f = 0; f < found.length; f++) {
        const c = found[f];
        if (mark[c] || ix.size[c] !== ix.size[old] || !fitsReplacing(ctx, k, c)) continue;
        picked[k] = c;
        const ok = evaluate(ctx, bots, parity);
        picked[k] = old;
        if (ok && ev.gap < (bestK >= 0 ? roundBest.gap : best.gap)) { roundBest.copyFrom(ev); bestK = k; bestC = c; }
      }
    }
    if (bestK < 0) break;
    mark[picked[bestK]] = 0;
    picked[bestK] = bestC;
    mark[bestC] = 1;
    best.copyFrom(roundBest);
    if (ctx.attrs) {
      // the lobby's running attribute state follows the swap (windows stay the anchor's)
      ctx.attrs.clear();
      for (const i of picked) ctx.attrs.add(i);
      ctx.swapFor = -1;
    }
  }
}

function buildMatch(ctx: PassContext, a: number, r: number, picked: readonly number[], bots: number, split: SplitResult, seq: number): Match {
  const { ix, rules, nowMs, options } = ctx;
  const homeA = ix.home[a];
  let crossRegion = false;
  for (let k = 0; k < picked.length; k++) if (ix.home[picked[k]] !== homeA) crossRegion = true;
  let teams: MatchTeam[], teamMeans: number[] | null = null;
  if (split.split === null) {
    // two teams: item k is on team 0 iff bit k of the mask is set
    const mask = split.mask, m = picked.length;
    let n0 = 0, bots0 = 0;
    for (let k = 0; k < m; k++) if (mask & (1 << k)) n0++;
    for (let b = 0; b < bots; b++) if (mask & (1 << (m + b))) bots0++;
    const t0 = new Array<Ticket>(n0), t1 = new Array<Ticket>(m - n0);
    let p0 = 0, p1 = 0;
    for (let k = 0; k < m; k++) {
      const ticket = ix.ticket(picked[k]);
      if (mask & (1 << k)) t0[p0++] = ticket; else t1[p1++] = ticket;
    }
    teams = [
      { tickets: t0, bots: bots0, meanRating: split.mean0 },
      { tickets: t1, bots: bots - bots0, meanRating: split.mean1 },
    ];
    if (options.predictWin) teamMeans = [split.mean0, split.mean1];
  } else {
    const { teamOf } = split.split;
    teamMeans = split.split.teamMeans;
    teams = [];
    for (let t = 0; t < rules.teams; t++) {
      const tickets: Ticket[] = [];
      for (let k = 0; k < picked.length; k++) if (teamOf[k] === t) tickets.push(ix.ticket(picked[k]));
      let teamBots = 0;
      for (let b = 0; b < bots; b++) if (teamOf[picked.length + b] === t) teamBots++;
      teams.push({ tickets, bots: teamBots, meanRating: teamMeans[t] });
    }
  }
  const match: { -readonly [K in keyof Match]: Match[K] } = {
    matchId: ctx.idPrefix + seq,
    mode: rules.name,
    region: ix.regionNames[r],
    teams,
    // eloWinProb of the team means is a function of their gap alone
    predictedWinProb: options.predictWin ? options.predictWin(teamMeans!) : 1 / (1 + 10 ** (-split.gap / 400)),
    ratingGap: split.gap,
    crossRegion,
    anchorTicketId: ix.ticket(a).id,
    formedAt: nowMs,
  };
  if (ctx.hasCommon) match.attributes = commonOf(ctx, a, picked);
  return match;
}

/** What the lobby has in common (`commonAttributes` of its tickets, anchor first), read from the pass's columns. */
function commonOf(ctx: PassContext, a: number, picked: readonly number[]): Record<string, AttributeValue> {
  const out: Record<string, AttributeValue> = {};
  const anchor = ctx.ix.ticket(a).attributes;
  // a bucket shares its equal values: the anchor's are the match's
  for (const name of ctx.equalRules) { const v = anchor?.[name]; if (v !== undefined) out[name] = v; }
  ctx.cols?.commonInto(picked, (i) => ctx.ix.ticket(i), out);
  return out;
}
