/**
 * A pass-local index over waiting tickets: struct-of-arrays hot fields, one rating-sorted
 * array per home region, and skip links so taken tickets cost O(α) to step over.
 * Built once per pass (sorting 100k Float64 keys is ~10 ms); never mutated across passes.
 */
import { latencyBudgetAt, windowAt, type ModeRules } from "./rules.ts";
import type { Ticket } from "./ticket.ts";

const IDX_BITS = 2 ** 21; // up to 2M tickets per pass in a packed sort key
const RATING_Q = 16; // rating resolution in the sort key (1/16 point)
const RATING_OFFSET = 100_000;
export const MAX_REGIONS = 31;

export class PoolIndex {
  readonly n: number;
  readonly rating: Float64Array;
  readonly size: Uint8Array;
  readonly home: Uint8Array;
  /** regions (bit per region index) this ticket may be matched in right now */
  readonly mask: Uint32Array;
  readonly window: Float64Array;
  readonly waitS: Float64Array;
  readonly taken: Uint8Array;
  readonly regionNames: string[];
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
  // skip links, offset by one so 0 and len+1 are sentinels
  private readonly right: Int32Array[];
  private readonly left: Int32Array[];

  /** the pool renumbered by rating: ticket i here is the i-th lowest rated */
  readonly tickets: readonly Ticket[];

  constructor(pool: readonly Ticket[], nowMs: number, rules: ModeRules) {
    const n = pool.length;
    if (n >= IDX_BITS) throw new RangeError(`pool too large for one pass: ${n}`);
    this.n = n;
    this.regionNames = homeRegions(pool);
    // Each phase is its own function: a long loop is optimised mid-run, and untried code
    // after it in the same function would deoptimise it again on every pass.
    // Fields are read from the tickets in pool order (objects sit in memory in that
    // order), then renumbered by rating: an anchor's neighbours in its lane become
    // neighbours in every per-ticket array, which keeps a 100k pass out of cache misses.
    const hot = readHotFields(pool, this.regionNames, nowMs, rules);
    const order = radixOrder(hot.ratingKeys);
    const tickets = new Array<Ticket>(n);
    this.rating = new Float64Array(n);
    this.size = new Uint8Array(n);
    this.home = new Uint8Array(n);
    this.mask = new Uint32Array(n);
    this.window = new Float64Array(n);
    this.waitS = new Float64Array(n);
    const internal = new Int32Array(n);
    renumber(order, hot, this, tickets, pool, internal);
    this.tickets = tickets;
    this.taken = new Uint8Array(n);
    this.homePos = new Int32Array(n);
    const regions = this.regionNames.length;
    this.lanes = [];
    this.laneRating = [];
    this.right = [];
    this.left = [];
    for (let l = 0; l < 2 * regions; l++) {
      const len = hot.laneLen[l];
      this.lanes.push(new Int32Array(len));
      this.laneRating.push(new Float64Array(len));
      this.right.push(identityLinks(len + 2));
      this.left.push(identityLinks(len + 2));
    }
    dealIntoLanes(this);
    this.byAge = ageOrder(pool, internal);
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
    const arr = this.lanes[lane], right = this.right[lane];
    if (lane < this.regionNames.length) return find(right, p + 1) - 1;
    for (;;) {
      const q = find(right, p + 1);
      p = q - 1;
      if (p >= arr.length || !this.taken[arr[p]]) return p;
      right[q] = q + 1; this.left[lane][q] = q - 1;
    }
  }

  /** Nearest untaken position at or left of p in a lane (-1 if none). */
  prevFree(lane: number, p: number): number {
    const arr = this.lanes[lane], left = this.left[lane];
    if (lane < this.regionNames.length) return find(left, p + 1) - 1;
    for (;;) {
      const q = find(left, p + 1);
      p = q - 1;
      if (p < 0 || !this.taken[arr[p]]) return p;
      this.right[lane][q] = q + 1; left[q] = q - 1;
    }
  }

  /** First position in a lane whose rating is >= x. */
  lowerBound(lane: number, x: number): number {
    const lr = this.laneRating[lane];
    let lo = 0, hi = lr.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (lr[mid] < x) lo = mid + 1; else hi = mid;
    }
    return lo;
  }
}

/**
 * Untaken tickets hostable in region r, rating in [lo, hi], party size in [minSize, maxSize],
 * nearest to `center` first, pulled one at a time so an anchor walks only as far as it
 * needs. Walks the region's own lane and its lane of roamers, closer side first.
 */
export class NearestWalk {
  private ix!: PoolIndex;
  private r = 0; private center = 0; private lo = 0; private hi = 0;
  private exclude = -1; private minSize = 1; private maxSize = 1; private visits = 0;
  private readonly left = [0, 0];
  private readonly right = [0, 0];
  /** tickets pulled so far, nearest first */
  readonly found: number[] = [];

  /** `maxVisits` bounds tickets stepped over (a size filter can otherwise skip thousands). */
  reset(ix: PoolIndex, r: number, center: number, lo: number, hi: number, exclude: number, minSize: number, maxSize: number,
    maxVisits = Infinity): void {
    this.ix = ix; this.r = r; this.center = center; this.lo = lo; this.hi = hi;
    this.exclude = exclude; this.minSize = minSize; this.maxSize = maxSize; this.visits = maxVisits;
    this.found.length = 0;
    for (let k = 0; k < 2; k++) {
      const l = r + k * ix.regions;
      // the anchor's own lane needs no search: start right at its position
      const start = exclude >= 0 && l === ix.home[exclude] ? ix.homePos[exclude] : ix.lowerBound(l, center);
      const p = ix.nextFree(l, start);
      this.right[k] = p;
      this.left[k] = ix.prevFree(l, p - 1);
    }
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
    const { ix, left, right, center, lo, hi } = this;
    const regions = ix.regions;
    const own = this.r, roam = this.r + regions;
    const lr0 = ix.laneRating[own], lr1 = ix.laneRating[roam];
    for (;;) {
      if (this.visits-- <= 0) return -1;
      // four frontier tickets (own lane / roamers, left / right): step on the closest
      let bestD = Infinity, bestK = -1, bestRight = false, x = 0;
      if (left[0] >= 0 && (x = lr0[left[0]]) >= lo) { bestD = center - x; bestK = 0; }
      if (right[0] < lr0.length && (x = lr0[right[0]]) <= hi && x - center < bestD) { bestD = x - center; bestK = 0; bestRight = true; }
      if (lr1.length > 0) {
        if (left[1] >= 0 && (x = lr1[left[1]]) >= lo && center - x < bestD) { bestD = center - x; bestK = 1; bestRight = false; }
        if (right[1] < lr1.length && (x = lr1[right[1]]) <= hi && x - center < bestD) { bestD = x - center; bestK = 1; bestRight = true; }
      }
      if (bestK < 0) return -1;
      const lane = bestK === 0 ? own : roam;
      let i: number;
      if (bestRight) { i = ix.lanes[lane][right[bestK]]; right[bestK] = ix.nextFree(lane, right[bestK] + 1); }
      else { i = ix.lanes[lane][left[bestK]]; left[bestK] = ix.prevFree(lane, left[bestK] - 1); }
      // a ticket taken after this walk started is skipped here
      const size = ix.size[i];
      if (i !== this.exclude && !ix.taken[i] && size >= this.minSize && size <= this.maxSize) return i;
    }
  }
}

/** Sorted, de-duplicated home regions: region indices do not depend on ticket order. */
function homeRegions(tickets: readonly Ticket[]): string[] {
  const homes = new Set<string>();
  let last = "";
  for (let i = 0; i < tickets.length; i++) {
    const name = tickets[i].region;
    if (name !== last) { homes.add(name); last = name; }
  }
  if (homes.size > MAX_REGIONS) throw new RangeError(`more than ${MAX_REGIONS} regions in one pool`);
  return [...homes].sort();
}

interface HotFields {
  rating: Float64Array; size: Uint8Array; home: Uint8Array; mask: Uint32Array;
  window: Float64Array; waitS: Float64Array; ratingKeys: Uint32Array; laneLen: Int32Array;
}

/** Per-ticket hot fields (rating, size, home, wait, window, allowed regions), pool order. */
function readHotFields(tickets: readonly Ticket[], regionNames: readonly string[], nowMs: number, rules: ModeRules): HotFields {
  const n = tickets.length;
  const regions = regionNames.length;
  const regionIdx = new Map(regionNames.map((name, r) => [name, r]));
  const neighbours = rules.regions.neighbours;
  const f: HotFields = {
    rating: new Float64Array(n), size: new Uint8Array(n), home: new Uint8Array(n), mask: new Uint32Array(n),
    window: new Float64Array(n), waitS: new Float64Array(n), ratingKeys: new Uint32Array(n), laneLen: new Int32Array(2 * regions),
  };
  let lastName = "", lastH = 0;
  for (let i = 0; i < n; i++) {
    const t = tickets[i];
    if (t.region !== lastName) { lastName = t.region; lastH = regionIdx.get(lastName)!; }
    const h = lastH;
    const w = Math.max(0, (nowMs - t.enqueuedAt) / 1000);
    f.rating[i] = t.rating;
    f.ratingKeys[i] = ratingKey(t.rating);
    f.size[i] = t.playerIds.length;
    f.home[i] = h;
    f.waitS[i] = w;
    f.window[i] = windowAt(rules.skillWindow, w);
    let m = 1 << h;
    f.laneLen[h]++;
    const budget = latencyBudgetAt(rules.regions.steps, w);
    if (budget >= 0) {
      const allowed = neighbours?.[t.region];
      // only regions that host tickets can host a match in this pass
      for (let ri = 0; ri < regions; ri++) {
        if (ri === h) continue;
        const name = regionNames[ri];
        const ms = t.latencies[name];
        if (ms === undefined || ms > budget) continue;
        if (allowed && !allowed.includes(name)) continue;
        m |= 1 << ri;
        f.laneLen[regions + ri]++;
      }
    }
    f.mask[i] = m >>> 0;
  }
  return f;
}

/** Copy fields into rating order; `internal[poolIndex]` = new index. */
function renumber(order: Int32Array, f: HotFields, ix: PoolIndex, tickets: Ticket[], pool: readonly Ticket[], internal: Int32Array): void {
  for (let j = 0; j < order.length; j++) {
    const i = order[j];
    internal[i] = j;
    tickets[j] = pool[i];
    ix.rating[j] = f.rating[i];
    ix.size[j] = f.size[i];
    ix.home[j] = f.home[i];
    ix.mask[j] = f.mask[i];
    ix.window[j] = f.window[i];
    ix.waitS[j] = f.waitS[i];
  }
}

function identityLinks(len: number): Int32Array {
  const links = new Int32Array(len);
  for (let q = 0; q < len; q++) links[q] = q;
  return links;
}

/** Deal tickets (already in rating order) into their home lane and roamer lanes: all stay sorted. */
function dealIntoLanes(ix: PoolIndex): void {
  const regions = ix.regions;
  const fill = new Int32Array(2 * regions);
  for (let i = 0; i < ix.n; i++) {
    const h = ix.home[i];
    ix.homePos[i] = fill[h];
    ix.lanes[h][fill[h]] = i;
    ix.laneRating[h][fill[h]++] = ix.rating[i];
    const m = ix.mask[i];
    if (m === 1 << h) continue;
    for (let r = 0; r < regions; r++) {
      if (r === h || !(m & (1 << r))) continue;
      const l = regions + r;
      ix.lanes[l][fill[l]] = i;
      ix.laneRating[l][fill[l]++] = ix.rating[i];
    }
  }
}

/** Oldest first (ties: pool order), as renumbered indices. Stores hand tickets over oldest first. */
function ageOrder(pool: readonly Ticket[], internal: Int32Array): Int32Array {
  const n = pool.length;
  const byAge = new Int32Array(n);
  let ordered = true, minEnq = Infinity;
  for (let i = 0; i < n; i++) {
    byAge[i] = internal[i];
    if (i > 0 && pool[i].enqueuedAt < pool[i - 1].enqueuedAt) ordered = false;
    if (pool[i].enqueuedAt < minEnq) minEnq = pool[i].enqueuedAt;
  }
  if (ordered) return byAge;
  const ageKeys = new Float64Array(n);
  for (let i = 0; i < n; i++) ageKeys[i] = Math.floor(pool[i].enqueuedAt - minEnq) * IDX_BITS + i;
  ageKeys.sort();
  for (let p = 0; p < n; p++) byAge[p] = internal[lowBits(ageKeys[p])];
  return byAge;
}

/** Ticket indices ordered by key: LSD radix sort, two 16-bit passes, stable. */
function radixOrder(keys: Uint32Array): Int32Array {
  const n = keys.length;
  let src = new Int32Array(n), dst = new Int32Array(n);
  for (let i = 0; i < n; i++) src[i] = i;
  const count = new Int32Array(65536);
  for (let shift = 0; shift < 32; shift += 16) {
    count.fill(0);
    for (let i = 0; i < n; i++) count[(keys[i] >>> shift) & 0xffff]++;
    let sum = 0;
    for (let b = 0; b < 65536; b++) { const c = count[b]; count[b] = sum; sum += c; }
    for (let p = 0; p < n; p++) { const i = src[p]; dst[count[(keys[i] >>> shift) & 0xffff]++] = i; }
    const t = src; src = dst; dst = t;
  }
  return src;
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
