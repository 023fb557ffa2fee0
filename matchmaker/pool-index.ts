/**
 * A pass-local index over waiting tickets: struct-of-arrays hot fields, one rating-sorted
 * array per home region, and skip links so taken tickets cost O(α) to step over.
 * Built once per pass (one radix sort of 100k keys, ~2 ms). The typed arrays live in
 * `IndexBuffers`, which a `Matcher` (matcher.ts) owns and lends to its passes, so a long-running matcher allocates
 * (and garbage-collects) no per-pass arrays; they also keep the last pool's per-ticket fields
 * (`TicketFieldCache`, keyed by ticket identity) so unchanged tickets are not read again.
 */
import { latencyBudgetAt, mayRoam, type ModeRules } from "./rules.ts";
import type { Ticket } from "./ticket.ts";

const IDX_BITS = 2 ** 21; // up to 2M tickets per pass in a packed sort key
const RATING_Q = 16; // rating resolution in the sort key (1/16 point)
const RATING_OFFSET = 100_000;
export const MAX_REGIONS = 31;
/** buffers sized past this many tickets are not kept between passes */
const KEEP_BUFFERS_UP_TO = 1 << 20;

/**
 * Scratch typed arrays for one index, grown as needed and reused pass after pass. Arrays
 * suffixed `P` are in pool order; the others in rating order (see `PoolIndex`).
 */
export class IndexBuffers {
  cap = -1;
  laneCap = -1;
  ratingP = new Float64Array(0); keyP = new Uint32Array(0); sizeP = new Uint8Array(0); homeP = new Uint8Array(0);
  maskP = new Uint32Array(0); enqP = new Float64Array(0); roamP = new Int32Array(0);
  sortA = new Int32Array(0); sortB = new Int32Array(0); internal = new Int32Array(0);
  rating = new Float64Array(0); size = new Uint8Array(0); home = new Uint8Array(0); mask = new Uint32Array(0);
  taken = new Uint8Array(0); homePos = new Int32Array(0); markBuf = new Uint8Array(0);
  byAge = new Int32Array(0); ageKeys = new Float64Array(0);
  laneIdx = new Int32Array(0); laneRating = new Float64Array(0); right = new Int32Array(0); left = new Int32Array(0);
  readonly count = new Int32Array(65536);
  /** the last pass's ticket fields (see `readHotFields`), and the spare set the next pass fills */
  cache = new TicketFieldCache();
  spareCache = new TicketFieldCache();
  /** region names seen by recent passes (ids in the caches), and this pass's number for each */
  regionTable: string[] = [];
  regionIds = new Map<string, number>();
  readonly passRegion = new Int32Array(256);
  /** tickets of the last pass whose fields came from the pass before (found by identity) */
  cacheHits = 0;

  /** Too many names seen: start over (the caches hold ids into the table, so forget them too). */
  resetRegions(): void {
    this.regionTable = []; this.regionIds = new Map(); this.cache.release(); this.spareCache.release();
  }

  ensure(n: number): void {
    if (n <= this.cap) return;
    const c = n;
    this.cap = c;
    this.ratingP = new Float64Array(c); this.keyP = new Uint32Array(c); this.sizeP = new Uint8Array(c); this.homeP = new Uint8Array(c);
    this.maskP = new Uint32Array(c); this.enqP = new Float64Array(c); this.roamP = new Int32Array(c);
    this.sortA = new Int32Array(c); this.sortB = new Int32Array(c); this.internal = new Int32Array(c);
    this.rating = new Float64Array(c); this.size = new Uint8Array(c); this.home = new Uint8Array(c); this.mask = new Uint32Array(c);
    this.taken = new Uint8Array(c); this.homePos = new Int32Array(c); this.markBuf = new Uint8Array(c);
    this.byAge = new Int32Array(0); this.ageKeys = new Float64Array(0); // only needed for pools out of age order
  }

  /** A zeroed per-ticket flag array for the matcher (call after `ensure`). */
  mark(n: number): Uint8Array {
    const m = this.markBuf.subarray(0, n);
    m.fill(0);
    return m;
  }

  ensureLanes(total: number, lanes: number): void {
    if (total <= this.laneCap && this.right.length >= total + 2 * lanes) return;
    this.laneCap = total;
    this.laneIdx = new Int32Array(total); this.laneRating = new Float64Array(total);
    this.right = new Int32Array(total + 2 * MAX_REGIONS * 2); this.left = new Int32Array(total + 2 * MAX_REGIONS * 2);
  }
}

/**
 * Fields of the tickets of one pass, in its pool order, so the next pass over (mostly) the
 * same ticket objects reads them from here instead of from scattered objects. Keyed by
 * object identity: a ticket is immutable, a changed ticket is a new object.
 */
export class TicketFieldCache {
  mode = "";
  n = 0;
  tickets: (Ticket | undefined)[] = [];
  /** home region: an id into `IndexBuffers.regionTable` */
  region = new Uint8Array(0);
  rating = new Float64Array(0); size = new Uint8Array(0); enq = new Float64Array(0);

  ensure(n: number): void {
    if (this.rating.length >= n) return;
    this.rating = new Float64Array(n); this.size = new Uint8Array(n); this.enq = new Float64Array(n); this.region = new Uint8Array(n);
  }

  /** Forget the pool (and let its tickets be collected). */
  release(): void {
    // capacity is kept: the next pass overwrites in place
    this.tickets.fill(undefined, 0, this.n); this.n = 0; this.mode = "";
  }
}

/** Buffers sized up to this many tickets are worth keeping for the next pass (`Matcher`). */
export function keepBuffers(b: IndexBuffers): boolean {
  return b.cap <= KEEP_BUFFERS_UP_TO;
}

export class PoolIndex {
  readonly n: number;
  readonly rating: Float64Array;
  readonly size: Uint8Array;
  readonly home: Uint8Array;
  /** regions (bit per region index) this ticket may be matched in right now */
  readonly mask: Uint32Array;
  readonly taken: Uint8Array;
  readonly regionNames: string[];
  /** enqueue time per ticket, in POOL order (see `poolIndexOf`) */
  readonly enqueuedAtByPool: Float64Array;
  /**
   * Rating-sorted ticket indices. Lane r < R: tickets living in region r; lane R + r:
   * tickets from elsewhere currently allowed to play in region r (long waiters only).
   */
  readonly lanes: Int32Array[];
  /** ratings in lane order, so walks and binary searches read memory sequentially */
  readonly laneRating: Float64Array[];
  /** position of each ticket in its home lane */
  readonly homePos: Int32Array;
  /** oldest first (ties: pool order) */
  readonly byAge: Int32Array;
  /** pool index of each (rating-ordered) ticket */
  readonly poolIndexOf: Int32Array;
  // skip links, offset by one so 0 and len+1 are sentinels
  readonly right: Int32Array[];
  readonly left: Int32Array[];
  private readonly pool: readonly Ticket[];

  constructor(pool: readonly Ticket[], nowMs: number, rules: ModeRules, buffers: IndexBuffers = new IndexBuffers()) {
    const b = buffers;
    b.ensure(pool.length);
    // the sweep stops at a ticket of another mode: then leave those out and sweep again
    let sweep = pool.length < IDX_BITS ? readHotFields(pool, nowMs, rules, b) : null;
    if (sweep === null) {
      pool = pool.filter((t) => t.mode === rules.name);
      sweep = pool.length < IDX_BITS ? readHotFields(pool, nowMs, rules, b) : null;
    }
    const n = pool.length;
    if (sweep === null) throw new RangeError(`pool too large for one pass: ${n}`);
    this.n = n;
    this.pool = pool;
    // Each phase is its own function: a long loop is optimised mid-run, and untried code
    // after it in the same function would deoptimise it again on every pass.
    // Fields are read from the tickets in pool order, in ONE sweep (objects sit in memory in
    // that order; every sweep over 100k objects is a few ms of cache misses), then
    // renumbered by rating: an anchor's neighbours in its lane become neighbours in every
    // per-ticket array, which keeps a 100k pass out of cache misses.
    this.regionNames = sweep.regionNames;
    const regions = this.regionNames.length;
    const laneLen = new Int32Array(2 * regions);
    finishRegions(pool, n, nowMs, rules, sweep, b, laneLen);
    const order = radixOrder(b.keyP, n, b);
    this.poolIndexOf = order;
    this.rating = b.rating.subarray(0, n);
    this.size = b.size.subarray(0, n);
    this.home = b.home.subarray(0, n);
    this.mask = b.mask.subarray(0, n);
    this.enqueuedAtByPool = b.enqP.subarray(0, n);
    renumber(order, n, b);
    this.taken = b.taken.subarray(0, n);
    this.taken.fill(0);
    this.homePos = b.homePos.subarray(0, n);
    let total = 0;
    for (let l = 0; l < 2 * regions; l++) total += laneLen[l];
    b.ensureLanes(total, 2 * regions);
    this.lanes = [];
    this.laneRating = [];
    this.right = [];
    this.left = [];
    let off = 0, linkOff = 0;
    for (let l = 0; l < 2 * regions; l++) {
      const len = laneLen[l];
      this.lanes.push(b.laneIdx.subarray(off, off + len));
      this.laneRating.push(b.laneRating.subarray(off, off + len));
      this.right.push(identityLinks(b.right.subarray(linkOff, linkOff + len + 2)));
      this.left.push(identityLinks(b.left.subarray(linkOff, linkOff + len + 2)));
      off += len;
      linkOff += len + 2;
    }
    dealIntoLanes(this);
    this.byAge = sweep.ordered ? b.internal.subarray(0, n) : ageOrder(n, sweep.minEnq, b);
  }

  /** This pass's tickets in pool order (`poolIndexOf` maps an index to its position here). */
  get poolTickets(): readonly Ticket[] {
    return this.pool;
  }

  /** The ticket renumbered as `i`. */
  ticket(i: number): Ticket {
    return this.pool[this.poolIndexOf[i]];
  }

  /** Seconds ticket `i` has waited at `nowMs`. */
  waitS(i: number, nowMs: number): number {
    return Math.max(0, (nowMs - this.enqueuedAtByPool[this.poolIndexOf[i]]) / 1000);
  }

  regionIndex(name: string): number {
    return this.regionNames.indexOf(name);
  }

  get regions(): number {
    return this.regionNames.length;
  }

  /** Home lanes unlink eagerly (position known); roamer lanes unlink lazily on walks. */
  take(i: number): void {
    this.taken[i] = 1;
    const h = this.home[i], q = this.homePos[i] + 1;
    this.right[h][q] = q + 1;
    this.left[h][q] = q - 1;
  }

  /** Nearest untaken position at or right of p in a lane (lane length if none). */
  nextFree(lane: number, p: number): number {
    if (lane < this.regionNames.length) return find(this.right[lane], p + 1) - 1;
    return nextFreeLazy(this.right[lane], this.left[lane], this.lanes[lane], this.taken, p);
  }

  /** Nearest untaken position at or left of p in a lane (-1 if none). */
  prevFree(lane: number, p: number): number {
    if (lane < this.regionNames.length) return find(this.left[lane], p + 1) - 1;
    return prevFreeLazy(this.right[lane], this.left[lane], this.lanes[lane], this.taken, p);
  }

  /** First position in a lane whose rating is >= x. */
  lowerBound(lane: number, x: number): number {
    return lowerBound(this.laneRating[lane], x);
  }
}

function lowerBound(lr: Float64Array, x: number): number {
  let lo = 0, hi = lr.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (lr[mid] < x) lo = mid + 1; else hi = mid;
  }
  return lo;
}

/** Roamer lanes: skip (and unlink) tickets taken through their home lane. */
function nextFreeLazy(right: Int32Array, left: Int32Array, arr: Int32Array, taken: Uint8Array, p: number): number {
  for (;;) {
    const q = find(right, p + 1);
    p = q - 1;
    if (p >= arr.length || !taken[arr[p]]) return p;
    right[q] = q + 1; left[q] = q - 1;
  }
}

function prevFreeLazy(right: Int32Array, left: Int32Array, arr: Int32Array, taken: Uint8Array, p: number): number {
  for (;;) {
    const q = find(left, p + 1);
    p = q - 1;
    if (p < 0 || !taken[arr[p]]) return p;
    right[q] = q + 1; left[q] = q - 1;
  }
}

const EMPTY_I32 = new Int32Array(0);
const EMPTY_F64 = new Float64Array(0);

/**
 * Untaken tickets hostable in region r, rating in [lo, hi], party size in [minSize, maxSize],
 * nearest to `center` first, pulled one at a time so an anchor walks only as far as it
 * needs. Walks the region's own lane and its lane of roamers, closer side first.
 */
export class NearestWalk {
  private ix!: PoolIndex;
  private center = 0; private lo = 0; private hi = 0;
  private exclude = -1; private minSize = 1; private maxSize = 1; private visits = 0;
  // frontiers: own lane (home lane of region r, unlinked eagerly) and roamer lane (lazily)
  private left0 = 0; private right0 = 0; private left1 = 0; private right1 = 0;
  private arr0: Int32Array = EMPTY_I32; private lr0: Float64Array = EMPTY_F64;
  private arr1: Int32Array = EMPTY_I32; private lr1: Float64Array = EMPTY_F64;
  private rl0: Int32Array = EMPTY_I32; private ll0: Int32Array = EMPTY_I32;
  private rl1: Int32Array = EMPTY_I32; private ll1: Int32Array = EMPTY_I32;
  /** tickets pulled so far, nearest first */
  readonly found: number[] = [];

  /** `maxVisits` bounds tickets stepped over (a size filter can otherwise skip thousands). */
  reset(ix: PoolIndex, r: number, center: number, lo: number, hi: number, exclude: number, minSize: number, maxSize: number,
    maxVisits = Infinity): void {
    this.ix = ix; this.center = center; this.lo = lo; this.hi = hi;
    this.exclude = exclude; this.minSize = minSize; this.maxSize = maxSize; this.visits = maxVisits;
    this.found.length = 0;
    const own = r, roam = r + ix.regions;
    this.arr0 = ix.lanes[own]; this.lr0 = ix.laneRating[own]; this.rl0 = ix.right[own]; this.ll0 = ix.left[own];
    this.arr1 = ix.lanes[roam]; this.lr1 = ix.laneRating[roam]; this.rl1 = ix.right[roam]; this.ll1 = ix.left[roam];
    // the anchor's own lane needs no search: start right at its position
    const start0 = exclude >= 0 && own === ix.home[exclude] ? ix.homePos[exclude] : lowerBound(this.lr0, center);
    const p0 = find(this.rl0, start0 + 1) - 1;
    this.right0 = p0;
    this.left0 = find(this.ll0, p0) - 1;
    if (this.arr1.length === 0) { this.right1 = 0; this.left1 = -1; return; }
    const start1 = exclude >= 0 && roam === ix.home[exclude] ? ix.homePos[exclude] : lowerBound(this.lr1, center);
    const p1 = nextFreeLazy(this.rl1, this.ll1, this.arr1, ix.taken, start1);
    this.right1 = p1;
    this.left1 = prevFreeLazy(this.rl1, this.ll1, this.arr1, ix.taken, p1 - 1);
  }

  /** The k-th nearest ticket, pulling as needed; -1 once the window is exhausted. */
  at(k: number): number {
    const found = this.found;
    while (found.length <= k) {
      const i = this.step();
      if (i < 0) return -1;
      found.push(i);
    }
    return found[k];
  }

  private step(): number {
    // frontiers and the visit budget live in locals while stepping; written back on return
    const { ix, center, lo, hi, lr0, lr1, arr0, rl0, ll0, exclude, minSize, maxSize } = this;
    const taken = ix.taken, size = ix.size;
    const len0 = lr0.length, len1 = lr1.length;
    let l0 = this.left0, r0 = this.right0, visits = this.visits, i = -1;
    for (;;) {
      if (visits-- <= 0) { i = -1; break; }
      // four frontier tickets (own lane / roamers, left / right): step on the closest
      let bestD = Infinity, bestK = -1, bestRight = false, x = 0;
      if (l0 >= 0 && (x = lr0[l0]) >= lo) { bestD = center - x; bestK = 0; }
      if (r0 < len0 && (x = lr0[r0]) <= hi && x - center < bestD) { bestD = x - center; bestK = 0; bestRight = true; }
      if (len1 > 0) {
        const l1 = this.left1, r1 = this.right1;
        if (l1 >= 0 && (x = lr1[l1]) >= lo && center - x < bestD) { bestD = center - x; bestK = 1; bestRight = false; }
        if (r1 < len1 && (x = lr1[r1]) <= hi && x - center < bestD) { bestD = x - center; bestK = 1; bestRight = true; }
      }
      if (bestK < 0) { i = -1; break; }
      if (bestK === 0) {
        if (bestRight) { i = arr0[r0]; r0 = find(rl0, r0 + 2) - 1; }
        else { i = arr0[l0]; l0 = find(ll0, l0) - 1; }
      } else if (bestRight) {
        i = this.arr1[this.right1]; this.right1 = nextFreeLazy(this.rl1, this.ll1, this.arr1, taken, this.right1 + 1);
      } else {
        i = this.arr1[this.left1]; this.left1 = prevFreeLazy(this.rl1, this.ll1, this.arr1, taken, this.left1 - 1);
      }
      // a ticket taken after this walk started is skipped here
      const s = size[i];
      if (i !== exclude && !taken[i] && s >= minSize && s <= maxSize) break;
    }
    this.left0 = l0; this.right0 = r0; this.visits = visits;
    return i;
  }
}

interface Sweep {
  /** sorted, de-duplicated home regions: region indices do not depend on ticket order */
  regionNames: string[];
  /** homeP holds first-seen region numbers; this maps them to sorted ones */
  remap: Int32Array;
  /** pool indices of tickets that waited long enough to roam (their masks are set later) */
  roamers: number;
  ordered: boolean;
  minEnq: number;
}

/** Tickets after the last miss a hit may skip (tickets matched or gone since the last pass). */
const CACHE_LOOKAHEAD = 64;

/**
 * One sweep over the ticket objects: rating, size, first-seen home, enqueue time. A ticket
 * that was in the last pass's pool (same object: tickets are immutable) is not read again:
 * its fields come from `TicketFieldCache`, found by pointer comparison alone.
 * Returns null if a ticket is not of `mode` (the caller filters the pool and builds again).
 */
function readHotFields(tickets: readonly Ticket[], nowMs: number, rules: ModeRules, b: IndexBuffers): Sweep | null {
  const n = tickets.length;
  const names: string[] = [];
  let minAfter = Infinity;
  for (const s of rules.regions.steps) if (s.afterS < minAfter) minAfter = s.afterS;
  const { ratingP, keyP, sizeP, homeP, enqP, roamP } = b;
  const mode = rules.name;
  // region names get small ids kept across passes (`regionTable`); `passRegion` maps them to
  // this pass's first-seen numbers
  if (b.regionTable.length > 200) b.resetRegions();
  const table = b.regionTable, tableIds = b.regionIds, passRegion = b.passRegion;
  passRegion.fill(-1);
  const prev = b.cache, next = b.spareCache;
  next.ensure(n);
  next.mode = mode;
  const pn = prev.mode === mode ? prev.n : 0;
  const prevT = prev.tickets, prevRating = prev.rating, prevSize = prev.size, prevEnq = prev.enq, prevRegion = prev.region;
  const nextT = next.tickets, nextRegion = next.region;
  let lastName = "", lastId = 0, roamers = 0, ordered = true, minEnq = Infinity, prevE = -Infinity, j = 0, hits = 0;
  for (let i = 0; i < n; i++) {
    const t = tickets[i];
    let hit = -1;
    if (j < pn) {
      if (prevT[j] === t) hit = j;
      else for (let k = j + 1, e = Math.min(pn, j + CACHE_LOOKAHEAD); k < e; k++) if (prevT[k] === t) { hit = k; break; }
    }
    let id: number, rating: number, size: number, enq: number;
    if (hit >= 0) {
      hits++;
      j = hit + 1;
      id = prevRegion[hit]; rating = prevRating[hit]; size = prevSize[hit]; enq = prevEnq[hit];
    } else {
      if (t.mode !== mode) { next.n = 0; return null; }
      const name = t.region;
      if (name !== lastName) {
        let known = tableIds.get(name);
        if (known === undefined) { known = table.length; table.push(name); tableIds.set(name, known); }
        lastName = name; lastId = known;
      }
      id = lastId; rating = t.rating; size = t.playerIds.length; enq = t.enqueuedAt;
    }
    nextT[i] = t; nextRegion[i] = id;
    let h = passRegion[id];
    if (h < 0) {
      if (names.length === MAX_REGIONS) throw new RangeError(`more than ${MAX_REGIONS} regions in one pool`);
      h = passRegion[id] = names.length; names.push(table[id]);
    }
    homeP[i] = h;
    ratingP[i] = rating;
    keyP[i] = ratingKey(rating);
    sizeP[i] = size;
    enqP[i] = enq;
    if (enq < prevE) ordered = false;
    prevE = enq;
    if (enq < minEnq) minEnq = enq;
    // regions open only after some wait: only these tickets need their latencies read
    if (Math.max(0, (nowMs - enq) / 1000) >= minAfter) roamP[roamers++] = i;
  }
  // this pass's fields become the cache
  next.rating.set(ratingP.subarray(0, n)); next.size.set(sizeP.subarray(0, n)); next.enq.set(enqP.subarray(0, n));
  next.n = n;
  b.cacheHits = hits;
  prev.release(); // the older pool's tickets may be collected
  b.cache = next; b.spareCache = prev;
  const regionNames = [...names].sort();
  const remap = new Int32Array(names.length);
  for (let p = 0; p < names.length; p++) remap[p] = regionNames.indexOf(names[p]);
  return { regionNames, remap, roamers, ordered, minEnq };
}

/** Sorted home regions, lane lengths, and allowed-region masks (latencies of roamers only). */
function finishRegions(tickets: readonly Ticket[], n: number, nowMs: number, rules: ModeRules, sw: Sweep, b: IndexBuffers, laneLen: Int32Array): void {
  const { homeP, maskP, enqP, roamP } = b;
  const remap = sw.remap;
  for (let i = 0; i < n; i++) {
    const h = remap[homeP[i]];
    homeP[i] = h;
    maskP[i] = 1 << h;
    laneLen[h]++;
  }
  const regionNames = sw.regionNames;
  const regions = regionNames.length;
  for (let k = 0; k < sw.roamers; k++) {
    const i = roamP[k];
    const t = tickets[i];
    const h = homeP[i];
    const w = Math.max(0, (nowMs - enqP[i]) / 1000);
    const budget = latencyBudgetAt(rules.regions.steps, w);
    if (budget < 0) continue;
    let m = 1 << h;
    // only regions that host tickets can host a match in this pass; which of them the ticket may
    // roam to is the rules' answer (`mayRoam`: neighbours, same shard), the one `status` gives too
    for (let ri = 0; ri < regions; ri++) {
      if (ri === h) continue;
      const name = regionNames[ri];
      const ms = t.latencies[name];
      if (ms === undefined || ms > budget) continue;
      if (!mayRoam(rules, t.region, name)) continue;
      m |= 1 << ri;
      laneLen[regions + ri]++;
    }
    maskP[i] = m >>> 0;
  }
}

/** Copy fields into rating order; `internal[poolIndex]` = new index. */
function renumber(order: Int32Array, n: number, b: IndexBuffers): void {
  const { internal, rating, size, home, mask, ratingP, sizeP, homeP, maskP } = b;
  for (let j = 0; j < n; j++) {
    const i = order[j];
    internal[i] = j;
    rating[j] = ratingP[i];
    size[j] = sizeP[i];
    home[j] = homeP[i];
    mask[j] = maskP[i];
  }
}

function identityLinks(links: Int32Array): Int32Array {
  for (let q = 0; q < links.length; q++) links[q] = q;
  return links;
}

/** Deal tickets (already in rating order) into their home lane and roamer lanes: all stay sorted. */
function dealIntoLanes(ix: PoolIndex): void {
  const regions = ix.regions;
  const fill = new Int32Array(2 * regions);
  const { home, mask, rating, homePos, lanes, laneRating } = ix;
  for (let i = 0; i < ix.n; i++) {
    const h = home[i];
    homePos[i] = fill[h];
    lanes[h][fill[h]] = i;
    laneRating[h][fill[h]++] = rating[i];
    const m = mask[i];
    if (m === 1 << h) continue;
    for (let r = 0; r < regions; r++) {
      if (r === h || !(m & (1 << r))) continue;
      const l = regions + r;
      lanes[l][fill[l]] = i;
      laneRating[l][fill[l]++] = rating[i];
    }
  }
}

/** Oldest first (ties: pool order), as renumbered indices, for pools not handed over oldest first. */
function ageOrder(n: number, minEnq: number, b: IndexBuffers): Int32Array {
  if (b.byAge.length < n) { b.byAge = new Int32Array(b.cap); b.ageKeys = new Float64Array(b.cap); }
  const byAge = b.byAge.subarray(0, n), ageKeys = b.ageKeys.subarray(0, n);
  const { enqP, internal } = b;
  for (let i = 0; i < n; i++) ageKeys[i] = Math.floor(enqP[i] - minEnq) * IDX_BITS + i;
  ageKeys.sort();
  for (let p = 0; p < n; p++) byAge[p] = internal[lowBits(ageKeys[p])];
  return byAge;
}

/** Ticket indices ordered by key: LSD radix sort, two 16-bit passes, stable. */
function radixOrder(keys: Uint32Array, n: number, b: IndexBuffers): Int32Array {
  let src = b.sortA, dst = b.sortB;
  for (let i = 0; i < n; i++) src[i] = i;
  const count = b.count;
  for (let shift = 0; shift < 32; shift += 16) {
    count.fill(0);
    for (let i = 0; i < n; i++) count[(keys[i] >>> shift) & 0xffff]++;
    let sum = 0;
    for (let k = 0; k < 65536; k++) { const c = count[k]; count[k] = sum; sum += c; }
    for (let p = 0; p < n; p++) { const i = src[p]; dst[count[(keys[i] >>> shift) & 0xffff]++] = i; }
    const t = src; src = dst; dst = t;
  }
  return src.subarray(0, n);
}

/** Ticket index packed in the low bits of a sort key (float `%` is a slow libc call). */
function lowBits(key: number): number {
  return key - Math.floor(key / IDX_BITS) * IDX_BITS;
}

function ratingKey(rating: number): number {
  return Math.min(0xffffffff, Math.max(0, Math.round((rating + RATING_OFFSET) * RATING_Q)));
}

/** Union-find style find with path halving; sentinels point to themselves. */
function find(link: Int32Array, q: number): number {
  while (link[q] !== q) {
    const next = link[link[q]];
    link[q] = next;
    q = next;
  }
  return q;
}
