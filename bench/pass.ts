/**
 * The matcher leader's full pass over a real Redis: read (mirror sync), orphan sweep, match, claim
 * (+ provisioning with an instant fake room API, seat notices published to Redis). A private
 * redis-server is started and killed here (never the machine's 6379).
 *
 *   npm run bench:pass -- --tickets 100000 [--passes 8] [--arrivals 500] [--scenario bench/scenarios/busy-5v5.json]
 *   taskset -c 0 npm run bench:pass -- ...   (node and its redis-server on one core)
 *
 * For each size (10k, then --tickets), a standing pool: load that many waiting tickets (and their
 * players' queue records) from the scenario's generators, then run the leader's pass --passes
 * times on a virtual clock one second apart, --arrivals new tickets joining before each pass. The
 * claims of this run are refused by the store wrapper (cheaply, without Redis), so the pool stays
 * at its size pass after pass and the matcher's work is the worst case (every anchor finds a
 * lobby, as in bench:matchmaker's in-memory pass); what claiming costs is measured apart: one pass
 * over 10k fresh tickets with real claims and provisioning, reported per match. Two read variants
 * side by side on the same data: `incremental` (the leader's mirror: only changes are read) and
 * `baseline` (every waiting ticket read each pass, the path before the mirror). Pass 1 (lease
 * acquired: full read, orphan sweep) is reported apart; passes 2.. give p50/p99 per phase (the
 * sweep is due every 5 s). Then the in-memory pass (runPass alone). The LAST line is one JSON object.
 *
 * The `attributes` variant runs the same incremental leader pass over the same pool with custom
 * ticket attributes and a match hook (README "Custom attributes and match hooks"): every ticket
 * carries map preferences (overlap), an input device (equal: 80% pad) and a level (distance 10,
 * widening 1/s to 30), and the mode's hook scores each candidate (a pure function over its
 * tickets) under the default cap of calls per pass. Its in-memory pass is timed next to the plain one.
 */
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { Redis } from "ioredis";
import { Registry } from "prom-client";
import {
  createMatchmakerMetrics, LocalLease, MatchmakerService, MemoryPartyDirectory, RedisPlayerIndex, RedisTicketStore,
  type Bus, type PassPhases, type RoomApi, type TicketStore,
} from "../matchmaker/index.ts";
import { generateArrivals, parseScenario, scenarioRules, syntheticPool, timeRallyPass } from "../matchmaker/simulator.ts";
import { Matcher, type MatchCandidate, type ModeRules } from "../matchmaker/index.ts";
import type { Ticket } from "../matchmaker/ticket.ts";
import { startRedis } from "../test/support/processes.ts";

const { values } = parseArgs({
  options: {
    scenario: { type: "string", default: "bench/scenarios/busy-5v5.json" },
    tickets: { type: "string", default: "100000" },
    passes: { type: "string", default: "8" },
    arrivals: { type: "string", default: "500" },
  },
});

const scenario = parseScenario(JSON.parse(readFileSync(values.scenario!, "utf8")));
const rules = scenarioRules(scenario);
const mode = rules.name;
const sizes = [...new Set([10_000, Number(values.tickets)])].sort((a, b) => a - b);
const passes = Math.max(3, Number(values.passes));
const arrivals = Number(values.arrivals);
const log = (line: string) => process.stdout.write(line + "\n");

const silent = { info() {}, warn() {}, debug() {} };
let roomSeq = 0;
const rooms: RoomApi = {
  async createRoom() { return { roomId: `r${++roomSeq}`, processId: "bench" }; },
  async reserveMultipleSeatsFor(_l, seats) { return seats.map(() => true); },
  buildSeatReservation: (l, sessionId) => ({ name: "arena", roomId: l.roomId, processId: "bench", sessionId }),
  async disposeRoom() {},
  async matchAlive() { return true; },
  newSessionId: () => `s${++roomSeq}`,
};

/** The full re-read path: the store never continues its change log, so every pass reads everything. */
function fullReads(store: TicketStore): TicketStore {
  return Object.assign(Object.create(store) as TicketStore, { waitingChanges: async () => null });
}

/** A standing pool: every claim is refused before it reaches Redis (a refused claim changes nothing). */
function noClaims(store: TicketStore): TicketStore {
  return Object.assign(Object.create(store) as TicketStore, { claim: async () => ({ ok: false, reason: "not-waiting" as const }) });
}

async function load(store: TicketStore, players: RedisPlayerIndex, tickets: readonly Ticket[], at: number): Promise<void> {
  for (let i = 0; i < tickets.length; i += 2000) {
    await Promise.all(tickets.slice(i, i + 2000).map(async (t) => {
      await players.take(t.playerIds.map((playerId) => ({ playerId, name: playerId })), t.id, at, "bench");
      await store.add(t);
    }));
  }
}

const q = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(p * s.length))] ?? 0;
};
const r1 = (x: number) => Math.round(x * 10) / 10;

interface VariantResult {
  first: PassPhases & { totalMs: number };
  p50: Record<string, number>;
  p99: Record<string, number>;
  readP50: number;
  matchesPerPass: number;
  waiting: number;
}

function service(redis: Redis, store: TicketStore, players: RedisPlayerIndex, now: () => number): MatchmakerService {
  const bus: Bus = {
    publish: (topic, data) => redis.publish(topic, JSON.stringify(data)),
    hset: (k, f, v) => redis.hset(k, f, v),
    hgetall: (k) => redis.hgetall(k),
  };
  return new MatchmakerService({
    modes: { [mode]: { rules, room: "arena" } }, store, players, lease: new LocalLease(now), parties: new MemoryPartyDirectory(),
    rooms, bus, metrics: createMatchmakerMetrics(new Registry()), logger: silent, region: "eu-west",
    knownRegions: async () => scenario.regions.map((r) => r.name), ratingOf: async () => 1500, now,
    // queue rooms heartbeat their records; here nobody does, so nothing may turn stale during the run
    queueGraceS: 24 * 3600,
  });
}

const grant = { name: `matcher:${mode}`, holder: "bench", token: 1, expiresAt: Infinity };

// ---- the attributes + hook variant ----
const MAPS = ["dust", "port", "mill", "keep", "reef", "vale"];
/** Deterministic attributes from the ticket id: 1-3 maps, a device (80% pad), a level 0-99. */
function withAttributes(t: Ticket): Ticket {
  let h = 2166136261;
  for (let i = 0; i < t.id.length; i++) h = Math.imul(h ^ t.id.charCodeAt(i), 16777619);
  h >>>= 0;
  const first = h % MAPS.length, count = 1 + ((h >>> 3) % 3);
  const map = Array.from({ length: count }, (_, k) => MAPS[(first + k * 2) % MAPS.length]!);
  return { ...t, attributes: { map: [...new Set(map)], device: (h >>> 7) % 10 < 8 ? "pad" : "kbm", level: (h >>> 11) % 100 } };
}
let hookCalls = 0;
/** A pure hook of the kind a studio writes: prefer lobbies with fewer distinct levels of experience, reject none. */
function hookScore(c: MatchCandidate): number {
  let lo = Infinity, hi = -Infinity;
  for (const team of c.teams) for (const t of team.tickets) {
    const level = t.attributes?.level as number;
    if (level < lo) lo = level;
    if (level > hi) hi = level;
  }
  return -(hi - lo);
}
const attrRules: ModeRules = {
  ...rules,
  attributes: undefined,
  attributeRules: { map: "overlap", device: "equal", level: { distance: { start: 10, widenPerS: 1, max: 30, curve: "linear", stepS: 5 } } },
  hook: { score: (c) => { hookCalls++; return hookScore(c); }, maxCallsPerPass: 20_000, candidatesPerAnchor: 3, tieGap: 4 },
};

/** `timeRallyPass` for the attributes variant: median of 5 after 3 warm-up passes, plus hook calls and matches of one pass. */
function timeAttributesPass(count: number): { passMs: number; matches: number; hookCalls: number } {
  const pool = syntheticPool(scenario, count).map((a) => withAttributes(a.ticket));
  const matcher = new Matcher();
  for (let i = 0; i < 3; i++) matcher.pass(pool, 60_000, attrRules, { seed: scenario.seed });
  const times: number[] = [];
  let last = { matches: 0, hookCalls: 0 };
  for (let i = 0; i < 5; i++) {
    const t0 = performance.now();
    const r = matcher.pass(pool, 60_000, attrRules, { seed: scenario.seed });
    times.push(performance.now() - t0);
    last = { matches: r.matches.length, hookCalls: r.hookCalls ?? 0 };
  }
  return { passMs: times.sort((a, b) => a - b)[2]!, ...last };
}

async function runVariant(redis: Redis, size: number, variant: "incremental" | "baseline" | "attributes"): Promise<VariantResult> {
  await redis.flushall();
  const base = new RedisTicketStore(redis);
  const attrs = variant === "attributes";
  const modeRules = attrs ? attrRules : rules;
  const shape = (t: Ticket) => (attrs ? withAttributes(t) : t);
  hookCalls = 0;
  const store = noClaims(variant === "baseline" ? fullReads(base) : base);
  const players = new RedisPlayerIndex(redis);
  let clock = 60_000;
  const svc = service(redis, store, players, () => clock);
  const t0 = performance.now();
  await load(base, players, syntheticPool(scenario, size).map((a) => shape(a.ticket)), clock);
  const loadS = (performance.now() - t0) / 1000;
  const phases: Array<PassPhases & { totalMs: number }> = [];
  for (let k = 0; k < passes; k++) {
    clock = 60_000 + k * 1000;
    if (k > 0 && arrivals > 0) {
      // new tickets since the last pass (other nodes' queue rooms: not timed)
      const fresh = generateArrivals({ ...scenario, arrivalsPerS: arrivals }, { fromS: k + 59, toS: k + 60, seed: scenario.seed + k, idPrefix: `a${k}-` });
      await load(base, players, fresh.map((a) => shape(a.ticket)), clock);
    }
    const t = performance.now();
    await svc.pass({ rules: modeRules, room: "arena" }, grant, clock);
    phases.push({ ...svc.lastPass!, totalMs: performance.now() - t });
  }
  const [first, ...rest] = phases;
  const cols = ["syncMs", "sweepMs", "matchMs", "claimMs", "totalMs"] as const;
  const p50 = Object.fromEntries(cols.map((c) => [c, r1(q(rest.map((p) => p[c]), 0.5))]));
  const p99 = Object.fromEntries(cols.map((c) => [c, r1(q(rest.map((p) => p[c]), 0.99))]));
  const result: VariantResult = {
    first: Object.fromEntries(Object.entries(first).map(([k, v]) => [k, typeof v === "number" ? r1(v) : v])) as VariantResult["first"],
    p50, p99, readP50: q(rest.map((p) => p.read), 0.5), matchesPerPass: q(rest.map((p) => p.matches), 0.5), waiting: q(rest.map((p) => p.waiting), 0.5),
  };
  log(`${String(size).padStart(6)} ${variant.padEnd(11)} loaded in ${loadS.toFixed(1)} s; pass 1 (lease acquired: full read, sweep): ${r1(first.totalMs)} ms ` +
    `(sync ${r1(first.syncMs)}, sweep ${r1(first.sweepMs)}, match ${r1(first.matchMs)}, claim ${r1(first.claimMs)})`);
  log(`${"".padStart(6)} ${"".padEnd(11)} passes 2-${passes}: ${cols.map((c) => `${c.replace("Ms", "")} p50 ${p50[c]} / p99 ${p99[c]}`).join(", ")} ms; ` +
    `read p50 ${result.readP50} tickets, ${result.waiting} waiting, ${q(rest.map((p) => p.proposed), 0.5)} lobbies proposed per pass (claims refused)` +
    (attrs ? `; hook calls ${Math.round(hookCalls / passes)} per pass (cap ${attrRules.hook!.maxCallsPerPass})` : ""));
  return result;
}

/** One pass over `size` fresh tickets with real claims and provisioning: ms per match formed. */
async function claimCost(redis: Redis, size: number): Promise<{ matches: number; claimMs: number; perMatchMs: number }> {
  await redis.flushall();
  const store = new RedisTicketStore(redis);
  const players = new RedisPlayerIndex(redis);
  const svc = service(redis, store, players, () => 60_000);
  await load(store, players, syntheticPool(scenario, size).map((a) => a.ticket), 60_000);
  await svc.pass({ rules, room: "arena" }, grant, 60_000);
  const { claimMs, matches } = svc.lastPass!;
  return { matches, claimMs: r1(claimMs), perMatchMs: Math.round((claimMs / Math.max(1, matches)) * 100) / 100 };
}

// the matcher's code optimised before anything is timed (else the first variant pays for the JIT)
timeRallyPass(scenario, rules, 10_000);
const server = await startRedis();
const redis = new Redis({ port: server.port, host: "127.0.0.1" });
const out: Record<string, { incremental: VariantResult; baseline: VariantResult; attributes: VariantResult; ratioTotalP50: number; ratioSyncP50: number }> = {};
let claims: Awaited<ReturnType<typeof claimCost>>;
try {
  log(`bench:pass scenario ${scenario.name ?? values.scenario}, mode ${mode}, ${passes} passes per variant, ${arrivals} arrivals/s, redis-server ${server.url}`);
  for (const size of sizes) {
    const incremental = await runVariant(redis, size, "incremental");
    const baseline = await runVariant(redis, size, "baseline");
    const attributes = await runVariant(redis, size, "attributes");
    out[size] = {
      incremental, baseline, attributes,
      ratioTotalP50: Math.round((incremental.p50.totalMs / baseline.p50.totalMs) * 100) / 100,
      ratioSyncP50: Math.round((incremental.p50.syncMs / baseline.p50.syncMs) * 1000) / 1000,
    };
    log(`${String(size).padStart(6)} incremental / baseline: total p50 x${out[size].ratioTotalP50}, sync p50 x${out[size].ratioSyncP50}`);
  }
  claims = await claimCost(redis, 10_000);
  log(`claims: one pass over 10000 fresh tickets formed ${claims.matches} matches; claim + provisioning ${claims.claimMs} ms = ${claims.perMatchMs} ms per match`);
} finally {
  redis.disconnect();
  await server.stop();
}
const top = sizes[sizes.length - 1];
const memoryPassMs = r1(timeRallyPass(scenario, rules, top));
log(`in-memory pass over ${top} tickets (runPass alone, median of 5 after warm-up): ${memoryPassMs} ms`);
const attributesPass = timeAttributesPass(top);
log(`in-memory pass over ${top} tickets with attributes + hook: ${r1(attributesPass.passMs)} ms, ${attributesPass.matches} matches, ${attributesPass.hookCalls} hook calls (cap ${attrRules.hook!.maxCallsPerPass})`);
log(JSON.stringify({ scenario: scenario.name, passes, arrivalsPerS: arrivals, sizes: out, claims, memoryPassMs: { [top]: memoryPassMs }, attributesPass: { [top]: { ...attributesPass, passMs: r1(attributesPass.passMs) } } }));
