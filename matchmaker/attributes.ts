/**
 * Custom ticket attributes and match hooks: what a mode adds to Rally's own criteria.
 *
 * A mode declares `attributes` (a zod object schema: map preferences, input device, language...),
 * which clients send in the queue join; `parseTicketAttributes` validates them at the queue edge
 * (server-owned keys refused inside them too). `attributeRules` relate tickets' values in a match:
 * `equal` (the pass runs once per bucket of equal values, see `Matcher.pass`), `overlap` (arrays with
 * a common element for the whole match; the common set goes to the room) and `distance` (numbers
 * within a window, widening with the anchor's wait). A mode's `hook` scores or rejects candidate
 * matches in the pass (matcher.ts, `consultHook`).
 *
 * Absent values: `equal` treats "absent" as a value of its own (tickets without it match each
 * other); `overlap` and `distance` treat an absent value (or an empty array) as "any": it never
 * narrows the common set or the range.
 */
import { z } from "zod";
import { RallyError, SERVER_ONLY_QUEUE_OPTIONS } from "../protocol/index.ts";
import type { ModeRules, WindowRule } from "./rules.ts";
import type { Ticket } from "./ticket.ts";

export type AttributePrimitive = string | number | boolean;
export type AttributeValue = AttributePrimitive | readonly AttributePrimitive[];
export type TicketAttributes = Readonly<Record<string, AttributeValue>>;

/** Bounds on what a ticket carries (every leader reads every waiting ticket each pass or two). */
export const MAX_ATTRIBUTES = 16;
export const MAX_ATTRIBUTE_ITEMS = 32;
/** JSON size of a ticket's attributes, characters */
export const MAX_ATTRIBUTES_JSON = 1024;

const primitive = z.union([z.string().max(128), z.number().finite(), z.boolean()]);
export const ticketAttributesSchema = z.record(z.string().min(1).max(32), z.union([primitive, z.array(primitive).max(MAX_ATTRIBUTE_ITEMS).readonly()]))
  .refine((a) => Object.keys(a).length <= MAX_ATTRIBUTES, `at most ${MAX_ATTRIBUTES} attributes`)
  .refine((a) => JSON.stringify(a).length <= MAX_ATTRIBUTES_JSON, `attributes take at most ${MAX_ATTRIBUTES_JSON} characters as JSON`);

/** A ticket as a hook sees it (read-only; the matcher's own ticket object). */
export type CandidateTicket = Ticket;

/** One candidate match a hook is asked about: the teams the matcher proposes, before anything is claimed. */
export interface MatchCandidate {
  readonly mode: string;
  /** the region shard whose pass proposes it (`default` without shards) */
  readonly shard: string;
  /** region the match would be hosted in */
  readonly region: string;
  readonly teams: readonly { readonly tickets: readonly CandidateTicket[]; readonly bots: number; readonly meanRating: number }[];
  /** largest minus smallest team mean rating (the matcher's own quality: lower is better) */
  readonly ratingGap: number;
  /** seconds the anchor (oldest ticket) has waited */
  readonly anchorWaitS: number;
  /** what the rules make common to the match: `equal` values and `overlap` common sets */
  readonly attributes: Readonly<Record<string, AttributeValue>>;
}

/** A pure function of the candidate: a score (higher is better among ties) or "reject" (never formed). */
export type MatchHook = (candidate: MatchCandidate) => number | "reject";

/**
 * The mode's attributes from a client's join options (`raw`: the `attributes` object, or undefined):
 * validated by the mode's schema. Throws RallyError MM_FORBIDDEN_OPTION (a server-owned key inside) or
 * MM_BAD_ATTRIBUTES (naming the attribute).
 */
export function parseTicketAttributes(rules: Pick<ModeRules, "name" | "attributes">, raw: unknown): TicketAttributes | undefined {
  if (raw === undefined) {
    if (!rules.attributes) return undefined;
  } else {
    if (typeof raw !== "object" || raw === null || Array.isArray(raw)) throw new RallyError("MM_BAD_ATTRIBUTES", "attributes must be an object");
    for (const key of SERVER_ONLY_QUEUE_OPTIONS) {
      if (Object.hasOwn(raw, key)) throw new RallyError("MM_FORBIDDEN_OPTION", `attributes.${key} is set by the server, never by the client`);
    }
    if (!rules.attributes) throw new RallyError("MM_BAD_ATTRIBUTES", `mode "${rules.name}" takes no attributes`);
  }
  const parsed = rules.attributes!.safeParse(raw ?? {});
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const at = issue?.path.length ? `attributes.${issue.path.join(".")}` : "attributes";
    throw new RallyError("MM_BAD_ATTRIBUTES", `${at}: ${issue?.message ?? "invalid"}`);
  }
  const bounded = ticketAttributesSchema.safeParse(parsed.data);
  if (!bounded.success) {
    const issue = bounded.error.issues[0];
    throw new RallyError("MM_BAD_ATTRIBUTES", `attributes${issue?.path.length ? `.${issue.path.join(".")}` : ""}: ${issue?.message ?? "invalid"}`);
  }
  return Object.keys(bounded.data).length ? bounded.data : undefined;
}

/**
 * A party's ticket attributes: every member must have sent the same ones (after parsing); the party
 * queues as one ticket and one set of preferences. Throws RallyError MM_BAD_ATTRIBUTES naming the first
 * attribute members disagree on.
 */
export function partyAttributes(members: readonly (TicketAttributes | undefined)[]): TicketAttributes | undefined {
  const first = members[0];
  for (const other of members.slice(1)) {
    const keys = new Set([...Object.keys(first ?? {}), ...Object.keys(other ?? {})]);
    for (const k of keys) {
      if (JSON.stringify(first?.[k]) !== JSON.stringify(other?.[k])) throw new RallyError("MM_BAD_ATTRIBUTES", `party members sent different attributes.${k}; every member must send the same attributes`);
    }
  }
  return first;
}

/** A mode's attribute rules, grouped for the pass. */
export interface CompiledAttributeRules {
  readonly equal: readonly string[];
  readonly overlap: readonly string[];
  readonly distance: readonly { readonly name: string; readonly window: WindowRule }[];
}

const compiled = new WeakMap<object, CompiledAttributeRules>();
const NONE: CompiledAttributeRules = { equal: [], overlap: [], distance: [] };

/** Grouped rules (cached per rules' `attributeRules` object, which shard rules share). */
export function attributeRulesOf(rules: Pick<ModeRules, "attributeRules">): CompiledAttributeRules {
  const given = rules.attributeRules;
  if (!given) return NONE;
  let c = compiled.get(given);
  if (!c) {
    const equal: string[] = [], overlap: string[] = [], distance: { name: string; window: WindowRule }[] = [];
    for (const [name, rule] of Object.entries(given).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
      if (rule === "equal") equal.push(name);
      else if (rule === "overlap") overlap.push(name);
      else {
        const d = rule.distance;
        distance.push({ name, window: typeof d === "number" ? { start: d, widenPerS: 0, max: d, curve: "linear", stepS: 5 } : d });
      }
    }
    compiled.set(given, c = { equal, overlap, distance });
  }
  return c;
}

/** The bucket a ticket's `equal` attributes put it in (absent is a value of its own). */
export function equalKey(t: Ticket, names: readonly string[]): string {
  const a = t.attributes;
  if (names.length === 1) {
    const v = a?.[names[0]!];
    return typeof v === "string" ? `s${v}` : v === undefined ? "-" : JSON.stringify(v);
  }
  let key = "";
  for (const n of names) key += JSON.stringify(a?.[n] ?? null) + "\u0000";
  return key;
}

function valuesOf(v: AttributeValue | undefined): readonly AttributePrimitive[] | null {
  if (v === undefined) return null;
  const list = Array.isArray(v) ? v as readonly AttributePrimitive[] : [v as AttributePrimitive];
  return list.length ? list : null;
}

/**
 * May a ticket join a running match whose common attributes are `common` (backfill)? Every `equal`
 * attribute the same (absent on both counts as equal), every `overlap` attribute sharing a value with
 * the match's common set ("any" on either side fits). `distance` rules are not checked: a match keeps
 * no range of its players' values (matchmaker/README "Backfill").
 */
export function fitsMatch(rules: Pick<ModeRules, "attributeRules">, common: Readonly<Record<string, AttributeValue>> | undefined, t: Ticket): boolean {
  const c = attributeRulesOf(rules);
  for (const name of c.equal) {
    const want = common?.[name], have = t.attributes?.[name];
    if (want === undefined ? have !== undefined : JSON.stringify(want) !== JSON.stringify(have)) return false;
  }
  for (const name of c.overlap) {
    const want = valuesOf(common?.[name]), have = valuesOf(t.attributes?.[name]);
    if (want && have && !have.some((v) => want.includes(v))) return false;
  }
  return true;
}

/**
 * What a match's tickets have in common under the rules: each `equal` attribute's value (when
 * present) and each `overlap` attribute's common set, in the order of the first ticket that states
 * it (absent when every ticket says "any"). The room receives it in its matchmade options.
 */
export function commonAttributes(rules: Pick<ModeRules, "attributeRules">, tickets: readonly Ticket[]): Record<string, AttributeValue> {
  const c = attributeRulesOf(rules);
  const out: Record<string, AttributeValue> = {};
  for (const name of c.equal) {
    const v = tickets[0]?.attributes?.[name];
    if (v !== undefined) out[name] = v;
  }
  for (const name of c.overlap) {
    let common: AttributePrimitive[] | null = null;
    for (const t of tickets) {
      const vs = valuesOf(t.attributes?.[name]);
      if (!vs) continue;
      if (common === null) {
        common = [];
        for (const v of vs) if (!common.includes(v)) common.push(v);
      } else {
        let keep = 0;
        for (const v of common) if (vs.includes(v)) common[keep++] = v;
        common.length = keep;
      }
    }
    if (common !== null) out[name] = common;
  }
  return out;
}

/** Value ids of one overlap attribute, kept across passes (so a pass reads each ticket once); reset past this many values. */
const MAX_VALUE_IDS = 4096;
const valueIds = new WeakMap<CompiledAttributeRules, Map<string, number>[]>();

/**
 * A ticket's columns as value ids and numbers, cached by ticket identity (tickets are immutable; the
 * leader's mirror hands the same objects pass after pass), per rules and value-id generation: an
 * unchanged ticket costs one WeakMap lookup instead of reading and hashing its attribute strings.
 * `ids`: per overlap attribute, its count then its ids.
 */
interface TicketColumns { readonly ids: Int32Array; readonly dist: Float64Array; readonly ofIds: Map<string, number>[] }
const ticketColumns = new WeakMap<CompiledAttributeRules, WeakMap<Ticket, TicketColumns>>();
const bucketKeys = new WeakMap<readonly string[], WeakMap<Ticket, string>>();

/** `equalKey`, cached by ticket identity (the same string each pass, so bucket lookups hash it once). */
export function bucketKeyOf(t: Ticket, names: readonly string[]): string {
  let cache = bucketKeys.get(names);
  if (!cache) bucketKeys.set(names, cache = new WeakMap());
  let k = cache.get(t);
  if (k === undefined) cache.set(t, k = equalKey(t, names));
  return k;
}

function columnsOf(t: Ticket, c: CompiledAttributeRules, ids: Map<string, number>[]): TicketColumns {
  const a = t.attributes;
  let len = 0;
  for (const name of c.overlap) { const v = a?.[name]; len += 1 + (v === undefined ? 0 : Array.isArray(v) ? v.length : 1); }
  const out = new Int32Array(len);
  let o = 0;
  for (let k = 0; k < c.overlap.length; k++) {
    const v = a?.[c.overlap[k]];
    const list: readonly AttributePrimitive[] = v === undefined ? [] : Array.isArray(v) ? v as readonly AttributePrimitive[] : [v as AttributePrimitive];
    out[o++] = list.length;
    const m = ids[k];
    for (const x of list) {
      const key = valueKey(x);
      let id = m.get(key);
      if (id === undefined) m.set(key, id = m.size);
      out[o++] = id;
    }
  }
  const dist = new Float64Array(c.distance.length);
  for (let k = 0; k < c.distance.length; k++) { const v = a?.[c.distance[k].name]; dist[k] = typeof v === "number" ? v : NaN; }
  return { ids: out, dist, ofIds: ids };
}

function valueKey(v: AttributePrimitive): string {
  return typeof v === "string" ? v : `\u0000${typeof v}:${String(v)}`;
}

/**
 * Per-pass attribute columns for `overlap` and `distance` (in the index's rating order): overlap
 * values as bit sets over the value ids known to this mode (`words` 32-bit words per ticket; 0 bits =
 * "any"), distance values as numbers (NaN = "any"). One sweep over the tickets in pool order (the
 * order they sit in memory). The matcher keeps a lobby's running intersection and range, so a
 * candidate check costs a few word ANDs and compares.
 */
export class AttributeColumns {
  readonly overlapWords: number[] = [];
  readonly overlapOffset: number[] = [];
  /** bits per ticket: offset[k] + i * words[k] */
  readonly bits: Uint32Array;
  readonly distance: Float64Array[];
  readonly distanceRules: CompiledAttributeRules["distance"];
  readonly totalWords: number;
  private readonly rules: CompiledAttributeRules;
  private readonly ids: Map<string, number>[];
  private readonly scratch: Uint32Array;

  /** `pool` in pool order; `indexOf[p]`: the index (rating order) of pool[p]. */
  constructor(pool: readonly Ticket[], indexOf: Int32Array, c: CompiledAttributeRules) {
    const n = pool.length;
    let ids = valueIds.get(c);
    if (!ids || ids.some((m) => m.size > MAX_VALUE_IDS)) valueIds.set(c, ids = c.overlap.map(() => new Map()));
    const no = c.overlap.length, nd = c.distance.length;
    // one sweep: value ids (new ones get the next id) into a flat list per ticket, distance values
    const starts = new Int32Array(no * n + 1);
    let flat = new Int32Array(Math.max(16, n * no * 2));
    let used = 0;
    this.distanceRules = c.distance;
    this.distance = c.distance.map(() => new Float64Array(n));
    let cache = ticketColumns.get(c);
    if (!cache) ticketColumns.set(c, cache = new WeakMap());
    for (let p = 0; p < n; p++) {
      const t = pool[p];
      let tc = cache.get(t);
      if (tc === undefined || tc.ofIds !== ids) cache.set(t, tc = columnsOf(t, c, ids));
      const i = indexOf[p];
      const tIds = tc.ids;
      let o = 0;
      for (let k = 0; k < no; k++) {
        starts[k * n + i] = used;
        const len = tIds[o++];
        if (used + len > flat.length) { const grown = new Int32Array(Math.max(flat.length * 2, used + len)); grown.set(flat); flat = grown; }
        for (let j = 0; j < len; j++) flat[used++] = tIds[o++];
      }
      for (let k = 0; k < nd; k++) this.distance[k][i] = tc.dist[k];
    }
    // ends: a ticket's list runs to the next start written after it (sweep order), kept as lengths
    let off = 0;
    for (let k = 0; k < no; k++) {
      const w = Math.max(1, Math.ceil(ids[k].size / 32));
      this.overlapWords.push(w);
      this.overlapOffset.push(off);
      off += w * n;
    }
    this.totalWords = this.overlapWords.reduce((s, w) => s + w, 0);
    this.bits = new Uint32Array(off);
    this.rules = c;
    this.ids = ids;
    this.scratch = new Uint32Array(Math.max(1, ...this.overlapWords));
    // second walk over the flat lists only (no ticket objects): set the bits
    const ends = new Int32Array(no * n);
    {
      // lists were written in pool order: each one ends where the next written list starts
      let prev = -1;
      for (let p = 0; p < n; p++) {
        const i = indexOf[p];
        for (let k = 0; k < no; k++) {
          const slot = k * n + i;
          if (prev >= 0) ends[prev] = starts[slot];
          prev = slot;
        }
      }
      if (prev >= 0) ends[prev] = used;
    }
    for (let k = 0; k < no; k++) {
      const w = this.overlapWords[k], base = this.overlapOffset[k];
      for (let i = 0; i < n; i++) {
        const slot = k * n + i;
        for (let q = starts[slot]; q < ends[slot]; q++) {
          const id = flat[q];
          this.bits[base + i * w + (id >>> 5)] |= 1 << (id & 31);
        }
      }
    }
  }

  /**
   * Each overlap attribute's common set for the lobby `picked` (indices; the anchor first), as
   * `commonAttributes` gives it (the first stating ticket's order), from the bit columns: one
   * ticket object read per attribute instead of every ticket's.
   */
  commonInto(picked: readonly number[], ticketAt: (i: number) => Ticket, out: Record<string, AttributeValue>): void {
    const bits = this.bits, inter = this.scratch;
    for (let k = 0; k < this.overlapWords.length; k++) {
      const w = this.overlapWords[k], base = this.overlapOffset[k];
      let first = -1;
      for (let q = 0; q < picked.length; q++) {
        const at = base + picked[q] * w;
        let stated = false;
        for (let j = 0; j < w; j++) if (bits[at + j]) { stated = true; break; }
        if (!stated) continue;
        if (first < 0) { first = picked[q]; for (let j = 0; j < w; j++) inter[j] = bits[at + j]; } else for (let j = 0; j < w; j++) inter[j] &= bits[at + j];
      }
      if (first < 0) continue;
      const name = this.rules.overlap[k];
      const list = valuesOf(ticketAt(first).attributes?.[name])!;
      const ids = this.ids[k];
      const common: AttributePrimitive[] = [];
      for (const v of list) {
        const id = ids.get(valueKey(v))!;
        if (inter[id >>> 5] & (1 << (id & 31)) && !common.includes(v)) common.push(v);
      }
      out[name] = common;
    }
  }
}

/**
 * A lobby's running attribute state: per overlap attribute the intersection so far ("any" while no
 * ticket stated one), per distance attribute the range so far.
 */
export class LobbyAttributes {
  private readonly inter: Uint32Array;
  private readonly stated: Uint8Array;
  private readonly lo: Float64Array;
  private readonly hi: Float64Array;
  /** per distance rule: the anchor's window for this lobby */
  readonly maxSpread: Float64Array;

  constructor(private readonly cols: AttributeColumns) {
    this.inter = new Uint32Array(cols.totalWords);
    this.stated = new Uint8Array(cols.overlapWords.length);
    this.lo = new Float64Array(cols.distance.length);
    this.hi = new Float64Array(cols.distance.length);
    this.maxSpread = new Float64Array(cols.distance.length);
  }

  clear(): void {
    this.stated.fill(0);
    this.lo.fill(Infinity);
    this.hi.fill(-Infinity);
  }

  /** Would the lobby still satisfy every rule with ticket `x` (and `y`, -1: none) added? */
  fits(x: number, y: number): boolean {
    const cols = this.cols;
    let wo = 0;
    for (let k = 0; k < cols.overlapWords.length; k++) {
      const w = cols.overlapWords[k]!, base = cols.overlapOffset[k]!, bits = cols.bits;
      const xs = base + x * w, ys = y >= 0 ? base + y * w : -1;
      let any = 0, xAny = true, yAny = true;
      for (let j = 0; j < w; j++) { if (bits[xs + j]) xAny = false; if (ys >= 0 && bits[ys + j]) yAny = false; }
      if (ys < 0) yAny = true;
      if (!(xAny && yAny) || this.stated[k]) {
        for (let j = 0; j < w; j++) {
          let v = this.stated[k] ? this.inter[wo + j]! : 0xffffffff;
          if (!xAny) v &= bits[xs + j]!;
          if (!yAny) v &= bits[ys + j]!;
          any |= v;
        }
        if (any === 0) return false;
      }
      wo += w;
    }
    for (let k = 0; k < cols.distance.length; k++) {
      const col = cols.distance[k]!;
      let lo = this.lo[k]!, hi = this.hi[k]!;
      const vx = col[x]!;
      if (vx === vx) { if (vx < lo) lo = vx; if (vx > hi) hi = vx; }
      if (y >= 0) { const vy = col[y]!; if (vy === vy) { if (vy < lo) lo = vy; if (vy > hi) hi = vy; } }
      if (hi - lo > this.maxSpread[k]!) return false;
    }
    return true;
  }

  /** Ticket `x` joins the lobby (call after `fits`). */
  add(x: number): void {
    const cols = this.cols;
    let wo = 0;
    for (let k = 0; k < cols.overlapWords.length; k++) {
      const w = cols.overlapWords[k]!, base = cols.overlapOffset[k]!, bits = cols.bits, xs = base + x * w;
      let xAny = true;
      for (let j = 0; j < w; j++) if (bits[xs + j]) xAny = false;
      if (!xAny) {
        if (this.stated[k]) for (let j = 0; j < w; j++) this.inter[wo + j]! &= bits[xs + j]!;
        else { for (let j = 0; j < w; j++) this.inter[wo + j] = bits[xs + j]!; this.stated[k] = 1; }
      }
      wo += w;
    }
    for (let k = 0; k < cols.distance.length; k++) {
      const v = cols.distance[k]![x]!;
      if (v !== v) continue;
      if (v < this.lo[k]!) this.lo[k] = v;
      if (v > this.hi[k]!) this.hi[k] = v;
    }
  }
}
