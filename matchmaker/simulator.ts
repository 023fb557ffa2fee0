/**
 * Deterministic queue simulator: a seeded population of tickets arriving over a virtual
 * clock, replayed through the real `runPass` once per `rules.passEveryS` (the cadence the
 * live matcher uses). No sockets, no timers, no wall clock except to time a 100k pass.
 *
 * Formed matches keep running for `matchDurationS`; with `leaverRate` some players leave for good
 * and their seats open `reconnectWindowS` later. A mode with `backfill` has the real
 * `fillBackfills` refill them before each pass, as the live leader does.
 */
import { z } from "zod";
import { fillBackfills, type BackfillRequest } from "./backfill.ts";
import { runPass, type Match } from "./matcher.ts";
import { createRng, hashString } from "./random.ts";
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
  /** how long a formed match plays (virtual s); it ends then, open seats and all */
  matchDurationS: z.number().positive().default(600),
  /** probability that a seated human leaves the match for good before its end (leave time uniform over the rest of the match) */
  leaverRate: z.number().min(0).max(1).default(0),
  /** a leaver's seat is held this long for a reconnection, then opens */
  reconnectWindowS: z.number().nonnegative().default(30),
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

/** Players who took open seats of a running match (one backfill pick: a whole party on one team). */
export interface SimJoin {
  readonly atS: number;
  readonly team: number;
  readonly ticketId: string;
  readonly players: SimPlayer[];
}

/** A formed match as the metrics see it: players by team as formed, bots counted per team. */
export interface SimMatch {
  readonly atS: number;
  readonly teams: { players: SimPlayer[]; bots: number }[];
  /** later joiners by backfill, in order (absent when none) */
  backfills?: SimJoin[];
}

/** A seat a leaver freed for good (its reconnection window over before the match ended). */
export interface SimSeat {
  readonly match: number;
  readonly team: number;
  readonly leaverId: string;
  readonly leftS: number;
  readonly openS: number;
  /** opened while the match still took backfill (before start + untilS); always false with backfill off */
  readonly offered: boolean;
  /** when a backfilled player took it (null: never) */
  filledS: number | null;
  /** when it stopped being fillable unfilled: `untilS` passed, the match ended (or emptied); null: filled, or still open when the run ended */
  closedS: number | null;
}

/** One `fillBackfills` fill as seated: the match's team gaps (true ratings, bots at the lobby's human mean). */
export interface SimFill {
  readonly atS: number;
  readonly match: number;
  /** open offered seats per team just before the fill */
  readonly openBefore: readonly number[];
  readonly picks: readonly { readonly ticketId: string; readonly team: number }[];
  readonly gapAtFormation: number;
  readonly gapBeforeFill: number;
  readonly gapAfterFill: number;
}

export interface SimRun {
  readonly matches: SimMatch[];
  readonly seats: SimSeat[];
  readonly fills: SimFill[];
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
  return simulateRallyRun(s, arrivals, rules).matches;
}

/** Largest minus smallest team mean of true ratings, bots at the lobby's human mean (as `measure` counts it). */
export function trueTeamGap(teams: readonly { readonly players: readonly SimPlayer[]; readonly bots: number }[]): number {
  const all = teams.flatMap((t) => t.players);
  if (all.length === 0) return 0;
  const lobbyMean = all.reduce((x, p) => x + p.trueRating, 0) / all.length;
  let lo = Infinity, hi = -Infinity;
  for (const t of teams) {
    if (t.players.length + t.bots === 0) continue;
    const m = (t.players.reduce((x, p) => x + p.trueRating, 0) + t.bots * lobbyMean) / (t.players.length + t.bots);
    lo = Math.min(lo, m);
    hi = Math.max(hi, m);
  }
  return hi - lo;
}

/** Fraction of the player's remaining match after which it leaves for good, or null if it stays (drawn from (seed, player) only, so backfill on and off runs lose the same players). */
function leaveFraction(seed: number, playerId: string, rate: number): number | null {
  if (rate <= 0) return null;
  const rng = createRng(hashString(playerId, seed ^ 0x5eed1ea7));
  return rng.next() < rate ? rng.next() : null;
}

interface RunningTeam {
  /** players holding a seat: in the game, or a leaver still inside its reconnection window */
  present: SimPlayer[];
  bots: number;
  /** freed seats not yet filled or closed, oldest first */
  open: SimSeat[];
}

interface Running {
  readonly index: number;
  readonly match: Match;
  readonly endS: number;
  /** start + backfill.untilS (-Infinity with backfill off) */
  readonly untilS: number;
  readonly teams: RunningTeam[];
  readonly gapAtFormation: number;
  ended: boolean;
}

interface SeatOpenEvent { readonly atS: number; readonly run: Running; readonly team: number; readonly player: SimPlayer; readonly leftS: number }

/**
 * The replay with running matches: leavers, their seats opening after the reconnection window,
 * and (modes with `backfill`) `fillBackfills` before each `runPass`, its picks leaving the pool.
 * The requests carry the ratings the matcher sees (the tickets' `playerRatings`, which in this
 * simulator are the players' true ratings), of every player holding a seat, including a leaver
 * still inside its reconnection window (the room cannot know it will not come back).
 */
export function simulateRallyRun(s: Scenario, arrivals: readonly SimArrival[], rules: ModeRules): SimRun {
  const byId = new Map(arrivals.map((a) => [a.ticket.id, a]));
  const matches: SimMatch[] = [];
  const seats: SimSeat[] = [];
  const fills: SimFill[] = [];
  const step = rules.passEveryS;
  const backfill = rules.backfill;
  // events land on the first pass at or after their time; within a pass they run in time order
  const events = new Map<number, SeatOpenEvent[]>();
  const ends = new Map<number, Running[]>();
  const passOf = (t: number) => Math.max(1, Math.ceil(t / step - 1e-9));
  const withOpen = new Map<number, Running>();
  const leaves = (run: Running, team: number, player: SimPlayer, fromS: number) => {
    const f = leaveFraction(s.seed, player.playerId, s.leaverRate);
    if (f === null) return;
    const leftS = fromS + f * (run.endS - fromS);
    const atS = leftS + s.reconnectWindowS;
    if (atS >= run.endS) return; // the match is over before the seat would open
    const k = passOf(atS);
    let list = events.get(k);
    if (!list) events.set(k, list = []);
    list.push({ atS, run, team, player, leftS });
  };
  const endMatch = (run: Running, atS: number) => {
    if (run.ended) return;
    run.ended = true;
    for (const t of run.teams) {
      for (const seat of t.open) seat.closedS ??= atS;
      t.open = [];
    }
    withOpen.delete(run.index);
  };

  let pool: Ticket[] = [];
  let next = 0;
  const steps = Math.floor(s.durationS / step);
  for (let k = 1; k <= steps; k++) {
    const nowS = k * step;
    const nowMs = Math.round(nowS * 1000);
    while (next < arrivals.length && arrivals[next].arrivalS <= nowS) pool.push(arrivals[next++].ticket);

    for (const ev of (events.get(k) ?? []).sort((a, b) => a.atS - b.atS)) {
      const { run } = ev;
      if (run.ended) continue;
      const team = run.teams[ev.team]!;
      team.present = team.present.filter((p) => p.playerId !== ev.player.playerId);
      const seat: SimSeat = {
        match: run.index, team: ev.team, leaverId: ev.player.playerId, leftS: ev.leftS, openS: ev.atS,
        offered: ev.atS < run.untilS, filledS: null, closedS: null,
      };
      seats.push(seat);
      team.open.push(seat);
      withOpen.set(run.index, run);
      // nobody left holding a seat: the room ends the match
      if (run.teams.every((t) => t.present.length === 0)) endMatch(run, ev.atS);
    }
    events.delete(k);
    for (const run of ends.get(k) ?? []) endMatch(run, run.endS);
    ends.delete(k);

    if (backfill && withOpen.size) {
      const requests: BackfillRequest[] = [];
      const runs = new Map<string, Running>();
      for (const run of withOpen.values()) {
        if (nowS >= run.untilS) {
          // past untilS the room withdraws its opening: offered seats expire; unoffered ones stay empty to the end
          for (const t of run.teams) {
            for (const seat of t.open) if (seat.offered) seat.closedS ??= run.untilS;
            t.open = t.open.filter((seat) => !seat.offered);
          }
          withOpen.delete(run.index);
          continue;
        }
        const offered = run.teams.map((t) => t.open.filter((seat) => seat.offered));
        if (!offered.some((o) => o.length)) continue;
        runs.set(run.match.matchId, run);
        requests.push({
          matchId: run.match.matchId, roomId: run.match.matchId, mode: run.match.mode, region: run.match.region,
          teams: run.teams.map((t, i) => ({ players: t.present.map((p) => p.playerId), open: offered[i]!.length })),
          ...(run.match.attributes ? { attributes: run.match.attributes as BackfillRequest["attributes"] } : {}),
          openedAt: Math.round(Math.min(...offered.flat().map((seat) => seat.openS)) * 1000),
          untilMs: Math.round(run.untilS * 1000),
          ratings: run.teams.map((t) => t.present.map((p) => p.trueRating)),
        });
      }
      const { fills: filled, taken } = requests.length ? fillBackfills(requests, pool, nowMs, rules) : { fills: [], taken: new Set<string>() };
      for (const fill of filled) {
        const run = runs.get(fill.request.matchId)!;
        const openBefore = fill.request.teams.map((t) => t.open);
        const gapBeforeFill = trueTeamGap(run.teams.map((t) => ({ players: t.present, bots: t.bots })));
        const sim = matches[run.index]!;
        for (const pick of fill.picks) {
          const team = run.teams[pick.team]!;
          const players = playersOf(byId.get(pick.ticket.id)!);
          // the pick takes the team's oldest offered seats, one per player
          let need = players.length;
          for (const seat of team.open) {
            if (need === 0) break;
            if (!seat.offered || seat.filledS !== null) continue;
            seat.filledS = nowS;
            need--;
          }
          team.open = team.open.filter((seat) => seat.filledS === null);
          team.present.push(...players);
          (sim.backfills ??= []).push({ atS: nowS, team: pick.team, ticketId: pick.ticket.id, players });
          for (const p of players) leaves(run, pick.team, p, nowS);
        }
        fills.push({
          atS: nowS, match: run.index, openBefore,
          picks: fill.picks.map((p) => ({ ticketId: p.ticket.id, team: p.team })),
          gapAtFormation: run.gapAtFormation, gapBeforeFill,
          gapAfterFill: trueTeamGap(run.teams.map((t) => ({ players: t.present, bots: t.bots }))),
        });
        if (run.teams.every((t) => t.open.length === 0)) withOpen.delete(run.index);
      }
      if (taken.size) pool = pool.filter((t) => !taken.has(t.id));
    }

    const { matches: formed } = runPass(pool, nowMs, rules, { seed: s.seed });
    if (formed.length === 0) continue;
    const gone = new Set<string>();
    for (const m of formed) {
      const sim: SimMatch = {
        atS: nowS,
        teams: m.teams.map((team) => ({
          players: team.tickets.flatMap((t) => { gone.add(t.id); return playersOf(byId.get(t.id)!); }),
          bots: team.bots,
        })),
      };
      const run: Running = {
        index: matches.length, match: m, endS: nowS + s.matchDurationS,
        untilS: backfill ? nowS + backfill.untilS : -Infinity,
        teams: sim.teams.map((t) => ({ present: [...t.players], bots: t.bots, open: [] })),
        gapAtFormation: trueTeamGap(sim.teams), ended: false,
      };
      matches.push(sim);
      const endK = passOf(run.endS);
      let list = ends.get(endK);
      if (!list) ends.set(endK, list = []);
      list.push(run);
      sim.teams.forEach((t, ti) => { for (const p of t.players) leaves(run, ti, p, nowS); });
    }
    pool = pool.filter((t) => !gone.has(t.id));
  }
  return { matches, seats, fills };
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
