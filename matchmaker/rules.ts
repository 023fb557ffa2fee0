/**
 * Per-mode matchmaking rules (a typed FlexMatch-style rule set).
 *
 * Rules are data: the matcher reads them, nothing here knows about tickets in a pool.
 * Every field has a default so a mode can be declared with just `teams` and `teamSize`;
 * the defaults are the tuned values measured in `bench/matchmaker.ts` (see README).
 */
import { z } from "zod";
import type { MatchHook } from "./attributes.ts";

/** How a window grows with wait time. `step` widens by `widenPerS * stepS` every `stepS`. */
export const WidenCurve = { linear: "linear", quadratic: "quadratic", step: "step" } as const;
export type WidenCurve = typeof WidenCurve[keyof typeof WidenCurve];

const widenSchema = (start: number, widenPerS: number, max: number) => z.object({
  /** half-width at wait 0 */
  start: z.number().nonnegative().default(start),
  /** growth per second of wait (for `quadratic`: the slope reached after 10 s) */
  widenPerS: z.number().nonnegative().default(widenPerS),
  /** cap: the window never grows past this */
  max: z.number().nonnegative().default(max),
  curve: z.enum(["linear", "quadratic", "step"]).default("linear"),
  /** step length for `curve: 'step'` */
  stepS: z.number().positive().default(5),
}).refine((w) => w.max >= w.start, { message: "window max must be >= start" });

export const RegionStepSchema = z.object({
  /** after this wait (s), the ticket may play in other regions... */
  afterS: z.number().nonnegative(),
  /** ...whose measured latency for this ticket is at most this */
  maxLatencyMs: z.number().positive(),
});

// Tuned on bench/scenarios (see README): a fast-widening skill window costs little
// balance because teams are split exactly; regions open late so busy pools stay local;
// premade parity relaxes after 10 s because 5-stacks dominate the wait tail otherwise.
const DEFAULT_REGION_STEPS = [{ afterS: 45, maxLatencyMs: 90 }, { afterS: 90, maxLatencyMs: 180 }];
const DEFAULT_PARITY = { minSize: 3, maxDiff: 1, relaxAfterS: 10 };

/** The shard holding every region not named in `shards` (all of them when `shards` is absent). */
export const DEFAULT_SHARD = "default";
const SHARD_NAME = /^[a-z0-9][a-z0-9_-]{0,31}$/;

/**
 * How tickets' attribute values must relate for a match (see attributes.ts): `equal` (one value for
 * the whole match: the pass buckets tickets by it), `overlap` (arrays: the match's common set is not
 * empty; the room gets it), `distance` (numbers: largest minus smallest within a window that may
 * widen with the anchor's wait, like the skill window; a number is a fixed window).
 */
export const AttributeRuleSchema = z.union([
  z.literal("equal"),
  z.literal("overlap"),
  z.object({ distance: z.union([z.number().nonnegative(), widenSchema(0, 0, 0)]) }).strict(),
]);
export type AttributeRuleInput = z.input<typeof AttributeRuleSchema>;

/** A zod object schema (what `attributes` must be): its keys are the attributes rules may name. */
type AttributeSchema = z.ZodType & { readonly shape: Readonly<Record<string, unknown>> };
const attributeSchemaOf = z.custom<AttributeSchema>(
  (v) => v instanceof z.ZodType && typeof (v as { shape?: unknown }).shape === "object" && (v as { shape?: unknown }).shape !== null,
  { message: "attributes must be a zod object schema (z.object({...}))" },
);

/** Default cap on hook calls per pass (per (mode, shard)): a pass over a busy pool stays bounded. */
export const DEFAULT_HOOK_CALLS_PER_PASS = 20_000;

/** How long into a match its empty seats are refilled, by default, for a mode with `backfill: {}`. */
export const DEFAULT_BACKFILL_UNTIL_S = 180;

/** A player at fault for a dropped proposal may not queue for this long (a mode's `declineCooldownS` default). */
export const DEFAULT_DECLINE_COOLDOWN_S = 30;

export const ModeRulesSchema = z.object({
  /** mode name; '/' is reserved (it separates mode and shard in lease and store keys) */
  name: z.string().min(1).regex(/^[^/|]+$/, "no '/' or '|' in a mode name"),
  teams: z.number().int().min(1).max(16),
  teamSize: z.number().int().min(1).max(100),
  /** fewest humans a match may start with; below a full match only once bots may fill */
  minPlayers: z.number().int().positive().optional(),
  /** matcher cadence; one pass per shard every this many seconds */
  passEveryS: z.number().positive().default(1),
  /** rating half-window around the anchor ticket */
  skillWindow: widenSchema(100, 20, 800).default({ start: 100, widenPerS: 20, max: 800, curve: "linear", stepS: 5 }),
  /**
   * Largest accepted gap between team mean ratings. Starts strict so fresh tickets wait a
   * pass or two for a fair lobby instead of taking the first one (the batching trade-off).
   */
  teamGap: widenSchema(12, 3, 150).default({ start: 12, widenPerS: 3, max: 150, curve: "linear", stepS: 5 }),
  regions: z.object({
    /** latency-bounded expansion steps, by wait; the home region is always allowed */
    steps: z.array(RegionStepSchema).default(DEFAULT_REGION_STEPS),
    /** optional allow-list: home region -> regions it may expand to */
    neighbours: z.record(z.string(), z.array(z.string())).optional(),
  }).default({ steps: DEFAULT_REGION_STEPS }),
  party: z.object({
    /** largest party accepted; defaults to teamSize (parties never split across teams) */
    maxSize: z.number().int().positive().optional(),
    /**
     * A party of `minSize`+ must face a party at most `maxDiff` smaller, until the anchor has
     * waited `relaxAfterS`. Exact balancing cannot fix a 5-stack vs 5 solos; selection can.
     */
    premadeParity: z.union([z.literal(false), z.object({
      minSize: z.number().int().min(2).default(3),
      maxDiff: z.number().int().nonnegative().default(1),
      relaxAfterS: z.number().nonnegative().default(10),
    })]).default(DEFAULT_PARITY),
  }).default({ premadeParity: DEFAULT_PARITY }),
  /** after `afterS` of anchor wait, empty slots may be filled with bots (>= minPlayers humans) */
  bots: z.union([z.literal(false), z.object({ afterS: z.number().nonnegative() })]).default(false),
  /**
   * Backfill: a seat left for good while the match plays (past the reconnection window), or one the
   * room declares open, is filled from waiting tickets with this mode's rules, before new matches are
   * formed, for `untilS` seconds after the match started (an older match is not worth joining). False
   * (the default): a match plays on with the players it has.
   */
  backfill: z.union([z.literal(false), z.object({ untilS: z.number().positive().max(7200).default(DEFAULT_BACKFILL_UNTIL_S) }).strict()]).default(false),
  /** players must confirm within `timeoutS`; others are requeued with their original enqueue time */
  readyCheck: z.object({ timeoutS: z.number().positive() }).optional(),
  /**
   * Accept or decline (FlexMatch's acceptance): a formed match is first a `proposal` every matched
   * player answers within this many seconds; only when all accepted is the room made and `seat` sent.
   * Unset (the default): no proposal, `seat` at once (the plain QueueRoom protocol).
   */
  acceptS: z.number().positive().max(120).optional(),
  /** seconds a player who declined (or never answered) a proposal may not queue again (MM_COOLDOWN) */
  declineCooldownS: z.number().nonnegative().max(3600).default(DEFAULT_DECLINE_COOLDOWN_S),
  /**
   * Region shards: shard name -> home regions. A ticket belongs to the shard of its home region;
   * each shard has its own matcher lease, fencing token and waiting list, and matches never cross
   * shards (region expansion stays inside). Regions not listed form the `default` shard; without
   * `shards`, `default` holds every region (one matcher per mode).
   */
  shards: z.record(z.string().regex(SHARD_NAME, "a shard label (a-z, 0-9, '-', '_')"), z.array(z.string().min(1)).min(1)).optional(),
  /**
   * Extra ticket attributes clients send in the queue join (`attributes: {...}`), validated with this
   * zod object schema at the queue edge (MM_BAD_ATTRIBUTES). Server-owned keys are refused inside it too.
   */
  attributes: attributeSchemaOf.optional(),
  /** attribute name -> how tickets' values must relate in a match (`equal`, `overlap`, `{ distance }`) */
  attributeRules: z.record(z.string().min(1), AttributeRuleSchema).optional(),
  /**
   * A pure function the matcher calls on each candidate match of its pass: "reject" and the candidate
   * is never formed; a number breaks ties among an anchor's candidates of (near) equal balance (higher
   * wins). At most `maxCallsPerPass` calls per (mode, shard) pass: past it, anchors wait for the next pass.
   */
  hook: z.object({
    score: z.custom<MatchHook>((v) => typeof v === "function", { message: "hook.score must be a function" }),
    maxCallsPerPass: z.number().int().positive().default(DEFAULT_HOOK_CALLS_PER_PASS),
    /** lobbies offered to the hook per anchor: the matcher's best, then variants with one ticket swapped */
    candidatesPerAnchor: z.number().int().min(1).max(16).default(3),
    /** team-gap points within which candidates count as tied (the score decides among them) */
    tieGap: z.number().nonnegative().default(4),
  }).strict().optional(),
}).refine((m) => (m.party.maxSize ?? m.teamSize) <= m.teamSize, { message: "party.maxSize must be <= teamSize" })
  .refine((m) => m.minPlayers === undefined || m.minPlayers <= m.teams * m.teamSize, { message: "minPlayers must be <= teams*teamSize" })
  .refine((m) => m.bots !== false || m.minPlayers === undefined || m.minPlayers === m.teams * m.teamSize,
    { message: "minPlayers below a full match needs bots to fill the empty slots" })
  .refine((m) => !m.shards || !(DEFAULT_SHARD in m.shards), { message: `shard name "${DEFAULT_SHARD}" is reserved for the regions no shard lists`, path: ["shards"] })
  .refine((m) => {
    if (!m.shards) return true;
    const all = Object.values(m.shards).flat();
    return new Set(all).size === all.length;
  }, { message: "a region belongs to at most one shard", path: ["shards"] })
  .superRefine((m, ctx) => {
    for (const name of Object.keys(m.attributeRules ?? {})) {
      if (!m.attributes || !Object.hasOwn(m.attributes.shape, name)) {
        ctx.addIssue({ code: "custom", path: ["attributeRules", name], message: `rule names attribute "${name}", which the attributes schema lacks` });
      }
    }
  });

export type ModeRulesInput = z.input<typeof ModeRulesSchema>;
type ParsedRules = z.output<typeof ModeRulesSchema>;
export type WindowRule = ParsedRules["skillWindow"];
export type RegionStep = z.output<typeof RegionStepSchema>;

/** Validated rules with every default resolved. */
export type ModeRules = Omit<ParsedRules, "minPlayers" | "party"> & {
  minPlayers: number;
  matchSize: number;
  party: { maxSize: number; premadeParity: ParsedRules["party"]["premadeParity"] };
};

export class RulesError extends Error {
  readonly code = "MM_INVALID_RULES";
  override readonly name = "RulesError";
}

export function parseModeRules(input: ModeRulesInput): ModeRules {
  const parsed = ModeRulesSchema.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new RulesError(`mode '${String(input?.name)}': ${issue?.path.join(".") || "rules"}: ${issue?.message}`);
  }
  const r = parsed.data;
  const matchSize = r.teams * r.teamSize;
  return {
    ...r,
    matchSize,
    minPlayers: r.minPlayers ?? matchSize,
    party: { maxSize: r.party.maxSize ?? r.teamSize, premadeParity: r.party.premadeParity },
  };
}

export type ModeTable<K extends string> = { readonly [P in K]: ModeRules };

/** Validate a table of modes once at start; keys become mode names. */
export function defineModes<K extends string>(modes: { [P in K]: Omit<ModeRulesInput, "name"> }): ModeTable<K> {
  const out = {} as { [P in K]: ModeRules };
  for (const name of Object.keys(modes) as K[]) {
    out[name] = parseModeRules({ ...modes[name], name });
  }
  return out;
}

/** Every shard of a mode, named ones first, then `default` (always present: it holds unlisted regions). */
export function shardsOf(rules: Pick<ModeRules, "shards">): string[] {
  return [...Object.keys(rules.shards ?? {}), DEFAULT_SHARD];
}

/** Region -> shard per rules object, built once (rules are immutable once parsed). */
const shardTables = new WeakMap<object, ReadonlyMap<string, string>>();

/** The shard of a home region in this mode. */
export function shardOf(rules: Pick<ModeRules, "shards">, region: string): string {
  const shards = rules.shards;
  if (!shards) return DEFAULT_SHARD;
  let table = shardTables.get(shards);
  if (!table) {
    const t = new Map<string, string>();
    for (const [name, regions] of Object.entries(shards)) for (const r of regions) t.set(r, name);
    shardTables.set(shards, table = t);
  }
  return table.get(region) ?? DEFAULT_SHARD;
}

/**
 * The shard a ticket waits in: its home region's. Decided once, when the ticket is listed
 * (`TicketLifecycle.search`); the store keeps it with the ticket, and the leader's pass, the
 * waiting mirror and `status` read the same answer from here.
 */
export function ticketShard(rules: Pick<ModeRules, "shards">, ticket: { readonly region: string }): string {
  return shardOf(rules, ticket.region);
}

/**
 * May a ticket homed in `home` play in `region` (another region) at all, whatever its wait: the
 * mode's `neighbours` allow-list, and never another shard. The matcher's masks, `regionsAt` and
 * `status` all ask this; only the latency budget (by wait) comes on top.
 */
export function mayRoam(rules: Pick<ModeRules, "shards" | "regions">, home: string, region: string): boolean {
  const allowed = rules.regions.neighbours?.[home];
  if (allowed && !allowed.includes(region)) return false;
  return !rules.shards || shardOf(rules, region) === shardOf(rules, home);
}

/**
 * Regions a ticket may play in after `waitS`, home first, then by its latency (ties by name): its
 * latency to the region within the budget of the region steps it has waited for, and `mayRoam`.
 */
export function regionsAt(rules: Pick<ModeRules, "shards" | "regions">, ticket: { readonly region: string; readonly latencies: Readonly<Record<string, number>> }, waitS: number): string[] {
  const budget = latencyBudgetAt(rules.regions.steps, waitS);
  if (budget < 0) return [ticket.region];
  return [ticket.region, ...Object.entries(ticket.latencies)
    .filter(([r, ms]) => r !== ticket.region && ms <= budget && mayRoam(rules, ticket.region, r))
    .sort((a, b) => a[1] - b[1] || (a[0] < b[0] ? -1 : 1)).map(([r]) => r)];
}

/**
 * Rules for one shard's pass: region expansion limited to the shard's regions (`neighbours`
 * intersected with them) for every home region in `homeRegions` (the pass's pool). The matcher
 * only hosts matches in regions its pool's tickets live in, and a shard's pool holds only the
 * shard's tickets, so this is a second lock on the same door. A mode without `shards` gets its
 * rules back unchanged (same object).
 */
export function shardRules(rules: ModeRules, shard: string, homeRegions: Iterable<string>): ModeRules {
  if (!rules.shards) return rules;
  const inShard = (r: string) => shardOf(rules, r) === shard;
  const members = new Set<string>(shard === DEFAULT_SHARD ? [] : rules.shards[shard] ?? []);
  for (const r of homeRegions) if (inShard(r)) members.add(r);
  const given = rules.regions.neighbours;
  const neighbours: Record<string, string[]> = {};
  for (const r of members) neighbours[r] = (given?.[r] ?? [...members]).filter(inShard);
  return { ...rules, regions: { ...rules.regions, neighbours } };
}

/** Half-width of a window after `waitS` seconds. */
export function windowAt(w: WindowRule, waitS: number): number {
  const t = Math.max(0, waitS);
  let grown: number;
  switch (w.curve) {
    case "linear": grown = w.widenPerS * t; break;
    // slope reaches widenPerS at 10 s: slow start keeps fresh lobbies tight
    case "quadratic": grown = (w.widenPerS / 20) * t * t; break;
    case "step": grown = w.widenPerS * w.stepS * Math.floor(t / w.stepS); break;
  }
  return Math.min(w.max, w.start + grown);
}

/** Largest latency a ticket accepts for a non-home region after `waitS`, or -1 if none yet. */
export function latencyBudgetAt(steps: readonly RegionStep[], waitS: number): number {
  let budget = -1;
  for (const s of steps) if (waitS >= s.afterS && s.maxLatencyMs > budget) budget = s.maxLatencyMs;
  return budget;
}

