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
  /** per home region: ticket indices sorted by rating */
  readonly byRating: Int32Array[];
  /** position of each ticket in its home region's byRating */
  readonly pos: Int32Array;
  /** tickets allowed outside their home region, sorted by rating (small: only long waiters) */
  readonly roaming: Int32Array;
  /** oldest first */
  readonly byAge: Int32Array;
  // skip links, offset by one so 0 and len+1 are sentinels
  private readonly right: Int32Array[];
  private readonly left: Int32Array[];

  constructor(readonly tickets: readonly Ticket[], nowMs: number, rules: ModeRules) {
    const n = tickets.length;
    if (n >= IDX_BITS) throw new RangeError(`pool too large for one pass: ${n}`);
    this.n = n;
    this.rating = new Float64Array(n);
    this.size = new Uint8Array(n);
    this.home = new Uint8Array(n);
    this.mask = new Uint32Array(n);
    this.window = new Float64Array(n);
    this.waitS = new Float64Array(n);
    this.taken = new Uint8Array(n);
    this.pos = new Int32Array(n);

    const regionIdx = new Map<string, number>();
    this.regionNames = [];
    const idxOf = (name: string): number => {
      let r = regionIdx.get(name);
      if (r === undefined) {
        r = this.regionNames.length;
        if (r >= MAX_REGIONS) throw new RangeError(`more than ${MAX_REGIONS} regions in one pool`);
        regionIdx.set(name, r);
        this.regionNames.push(name);
      }
      return r;
    };
    // home regions first, sorted, so region indices do not depend on ticket order
    for (const name of [...new Set(tickets.map((t) => t.region))].sort()) idxOf(name);

    const neighbours = rules.regions.neighbours;
    let minEnq = Infinity;
    const roaming: number[] = [];
    const counts: number[] = [];
    for (let i = 0; i < n; i++) {
      const t = tickets[i];
      const h = idxOf(t.region);
      const w = Math.max(0, (nowMs - t.enqueuedAt) / 1000);
      this.rating[i] = t.rating;
      this.size[i] = t.playerIds.length;
      this.home[i] = h;
      this.waitS[i] = w;
      this.window[i] = windowAt(rules.skillWindow, w);
      let m = 1 << h;
      const budget = latencyBudgetAt(rules.regions.steps, w);
      if (budget >= 0) {
        const allowed = neighbours?.[t.region];
        for (const r in t.latencies) {
          // only regions that host tickets can host a match in this pass
          const ri = regionIdx.get(r);
          if (ri === undefined || t.latencies[r] > budget) continue;
          if (allowed && r !== t.region && !allowed.includes(r)) continue;
          m |= 1 << ri;
        }
      }
      this.mask[i] = m >>> 0;
      if (m !== 1 << h) roaming.push(i);
      counts[h] = (counts[h] ?? 0) + 1;
      if (t.enqueuedAt < minEnq) minEnq = t.enqueuedAt;
    }

    const regions = this.regionNames.length;
    const keys: Float64Array[] = [];
    const fill = new Array<number>(regions).fill(0);
    for (let r = 0; r < regions; r++) keys.push(new Float64Array(counts[r] ?? 0));
    for (let i = 0; i < n; i++) {
      const h = this.home[i];
      keys[h][fill[h]++] = ratingKey(this.rating[i]) * IDX_BITS + i;
    }
    this.byRating = [];
    this.right = [];
    this.left = [];
    for (let r = 0; r < regions; r++) {
      const k = keys[r].sort();
      const arr = new Int32Array(k.length);
      for (let p = 0; p < k.length; p++) {
        const i = k[p] % IDX_BITS;
        arr[p] = i;
        this.pos[i] = p;
      }
      this.byRating.push(arr);
      const right = new Int32Array(k.length + 2);
      const left = new Int32Array(k.length + 2);
      for (let q = 0; q < k.length + 2; q++) { right[q] = q; left[q] = q; }
      this.right.push(right);
      this.left.push(left);
    }
    roaming.sort((a, b) => this.rating[a] - this.rating[b] || a - b);
    this.roaming = Int32Array.from(roaming);

    const ageKeys = new Float64Array(n);
    for (let i = 0; i < n; i++) ageKeys[i] = Math.floor(tickets[i].enqueuedAt - minEnq) * IDX_BITS + i;
    ageKeys.sort();
    this.byAge = new Int32Array(n);
    for (let p = 0; p < n; p++) this.byAge[p] = ageKeys[p] % IDX_BITS;
  }

  regionIndex(name: string): number {
    return this.regionNames.indexOf(name);
  }

  take(i: number): void {
    if (this.taken[i]) return;
    this.taken[i] = 1;
    const h = this.home[i], q = this.pos[i] + 1;
    this.right[h][q] = q + 1;
    this.left[h][q] = q - 1;
  }

  /** Nearest untaken position at or right of p in region r's array (len if none). */
  nextFree(r: number, p: number): number {
    return find(this.right[r], p + 1) - 1;
  }

  /** Nearest untaken position at or left of p in region r's array (-1 if none). */
  prevFree(r: number, p: number): number {
    return find(this.left[r], p + 1) - 1;
  }

  /** First position in region r whose rating is >= x. */
  lowerBound(r: number, x: number): number {
    const arr = this.byRating[r];
    let lo = 0, hi = arr.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.rating[arr[mid]] < x) lo = mid + 1; else hi = mid;
    }
    return lo;
  }
}

function ratingKey(rating: number): number {
  return Math.max(0, Math.round((rating + RATING_OFFSET) * RATING_Q));
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
