/**
 * Deterministic queue simulator: a seeded population of tickets arriving over a virtual
 * clock, replayed through the real `runPass` once per `rules.passEveryS` (the cadence the
 * live matcher uses). No sockets, no timers, no wall clock except to time a 100k pass.
 */
import { z } from "zod";
import { runPass } from "./matcher.ts";
import { createRng } from "./random.ts";
import { parseModeRules, type ModeRules, type ModeRulesInput } from "./rules.ts";
import type { Ticket } from "./ticket.ts";

const RatePoint = z.tuple([z.number().nonnegative(), z.number().nonnegative()]);

export const ScenarioSchema = z.object({
  name: z.string().optional(),
  seed: z.number().int(),
  durationS: z.number().positive(),
  /** arrivals before this are not measured (the queue fills up) */
  warmupS: z.number().nonnegative().default(60),
  /** arrivals in the last cooldownS are simulated but not measured (no censored waits) */
  cooldownS: z.number().nonnegative().default(120),
  /** tickets (a party is one ticket) per second: constant, or [t, rate] points, linear between */
  arrivalsPerS: z.union([z.number().nonnegative(), z.array(RatePoint).min(1)]),
  mode: z.object({
    teams: z.number().int().positive(),
    teamSize: z.number().int().positive(),
    /** rule overrides for this scenario's mode (defaults otherwise) */
    rules: z.record(z.string(), z.unknown()).optional(),
  }),
  regions: z.array(z.object({ name: z.string().min(1), weight: z.number().positive() })).min(1),
  /** latencyMs[home][region]: round trip from a player living in `home` to servers in `region` */
  latencyMs: z.record(z.string(), z.record(z.string(), z.number().nonnegative())),
  rating: z.object({
    mean: z.number(),
    sd: z.number().nonnegative(),
    /** spread of a party's members around the party's mean */
    partySd: z.number().nonnegative().default(75),
  }),
  /** weights for party sizes 1..teamSize */
  partySizes: z.array(z.number().nonnegative()).min(1),
});
export type Scenario = z.output<typeof ScenarioSchema>;

export interface SimArrival {
  readonly ticket: Ticket;
  readonly arrivalS: number;
  /** true skill of each player (here the matcher sees it exactly, as does QueueRoom) */
  readonly trueRatings: readonly number[];
}

export interface SimPlayer {
  readonly playerId: string;
  readonly ticketId: string;
  readonly partySize: number;
  readonly trueRating: number;
  readonly home: string;
  readonly arrivalS: number;
}

/** A formed match as the metrics see it: players by team, bots counted per team. */
export interface SimMatch {
  readonly atS: number;
  readonly teams: { players: SimPlayer[]; bots: number }[];
}

export function parseScenario(raw: unknown): Scenario {
  return ScenarioSchema.parse(raw);
}

export function scenarioRules(s: Scenario): ModeRules {
  const input = { ...(s.mode.rules ?? {}), name: s.name ?? "sim", teams: s.mode.teams, teamSize: s.mode.teamSize };
  return parseModeRules(input as ModeRulesInput);
}

function rateAt(spec: Scenario["arrivalsPerS"], t: number): number {
  if (typeof spec === "number") return spec;
  if (t <= spec[0][0]) return spec[0][1];
  for (let i = 1; i < spec.length; i++) {
    const [t1, r1] = spec[i];
    const [t0, r0] = spec[i - 1];
    if (t <= t1) return t1 === t0 ? r1 : r0 + ((r1 - r0) * (t - t0)) / (t1 - t0);
  }
  return spec[spec.length - 1][1];
}

/** Arrivals (Poisson, thinned for time-varying rates) over [fromS, toS). */
export function generateArrivals(s: Scenario, opts: { fromS?: number; toS?: number; seed?: number; idPrefix?: string; maxCount?: number } = {}): SimArrival[] {
  const rng = createRng(opts.seed ?? s.seed);
  const from = opts.fromS ?? 0, to = opts.toS ?? s.durationS;
  const peak = typeof s.arrivalsPerS === "number" ? s.arrivalsPerS : Math.max(...s.arrivalsPerS.map((p) => p[1]));
  const out: SimArrival[] = [];
  if (peak <= 0) return out;
  const regionWeights = s.regions.map((r) => r.weight);
  const sizeWeights = s.partySizes.slice(0, s.mode.teamSize);
  const prefix = opts.idPrefix ?? "t";
  let t = from;
  const maxCount = opts.maxCount ?? Infinity;
  for (let n = 0; n < maxCount; ) {
    t += rng.exponential(peak);
    if (t >= to) break;
    if (rng.next() * peak > rateAt(s.arrivalsPerS, t)) continue;
    const id = `${prefix}${n++}`;
    const size = rng.weighted(sizeWeights) + 1;
    const home = s.regions[rng.weighted(regionWeights)].name;
    const partyMean = rng.normal(s.rating.mean, s.rating.sd);
    const ratings = Array.from({ length: size }, () => (size === 1 ? partyMean : rng.normal(partyMean, s.rating.partySd)));
    const latencies: Record<string, number> = {};
    for (const [region, ms] of Object.entries(s.latencyMs[home] ?? {})) {
      latencies[region] = Math.max(1, Math.round(ms + rng.normal(0, 6)));
    }
    const ticket: Ticket = {
      id, mode: s.name ?? "sim",
      playerIds: ratings.map((_, k) => `${id}.${k}`),
      partyId: size > 1 ? id : undefined,
      playerRatings: ratings,
      rating: ratings.reduce((x, y) => x + y, 0) / size,
      region: home, latencies,
      enqueuedAt: Math.round(t * 1000),
    };
    out.push({ ticket, arrivalS: t, trueRatings: ratings });
  }
  return out;
}

export function playersOf(a: SimArrival): SimPlayer[] {
  return a.ticket.playerIds.map((playerId, k) => ({
    playerId, ticketId: a.ticket.id, partySize: a.ticket.playerIds.length,
    trueRating: a.trueRatings[k], home: a.ticket.region, arrivalS: a.arrivalS,
  }));
}

/** Replay arrivals through the real matcher, one pass per rules.passEveryS of virtual time. */
export function simulateRally(s: Scenario, arrivals: readonly SimArrival[], rules: ModeRules): SimMatch[] {
  const byId = new Map(arrivals.map((a) => [a.ticket.id, a]));
  const matches: SimMatch[] = [];
  let pool: Ticket[] = [];
  let next = 0;
  const steps = Math.floor(s.durationS / rules.passEveryS);
  for (let k = 1; k <= steps; k++) {
    const nowS = k * rules.passEveryS;
    while (next < arrivals.length && arrivals[next].arrivalS <= nowS) pool.push(arrivals[next++].ticket);
    const { matches: formed } = runPass(pool, Math.round(nowS * 1000), rules, { seed: s.seed });
    if (formed.length === 0) continue;
    const gone = new Set<string>();
    for (const m of formed) {
      matches.push({
        atS: nowS,
        teams: m.teams.map((team) => ({
          players: team.tickets.flatMap((t) => { gone.add(t.id); return playersOf(byId.get(t.id)!); }),
          bots: team.bots,
        })),
      });
    }
    pool = pool.filter((t) => !gone.has(t.id));
  }
  return matches;
}

/**
 * Wall-clock ms of one pass over `count` waiting tickets, as a long-running matcher sees
 * it: median of 5 runs after 3 warm-up runs (so the JIT has settled).
 */
export function timeRallyPass(s: Scenario, rules: ModeRules, count: number): number {
  const pool = syntheticPool(s, count).map((a) => a.ticket);
  const nowMs = 60_000;
  for (let i = 0; i < 3; i++) runPass(pool, nowMs, rules, { seed: s.seed });
  const times: number[] = [];
  for (let i = 0; i < 5; i++) {
    const t0 = performance.now();
    runPass(pool, nowMs, rules, { seed: s.seed });
    times.push(performance.now() - t0);
  }
  return times.sort((a, b) => a - b)[2];
}

/** `count` tickets from the scenario's population, enqueued over the last 60 s before t=60 s. */
export function syntheticPool(s: Scenario, count: number): SimArrival[] {
  const spread = { ...s, arrivalsPerS: count / 60 };
  return generateArrivals(spread, { fromS: 0, toS: Infinity, seed: s.seed + 1, idPrefix: "p", maxCount: count });
}
