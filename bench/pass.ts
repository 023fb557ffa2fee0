/**
 * The matcher leader's full pass over a real Redis: read (mirror sync), orphan sweep, match, claim
 * (+ provisioning with an instant fake room API, seat notices published to Redis). A private
 * redis-server is started and killed here (never the machine's 6379).
 *
 *   npm run bench:pass -- --tickets 100000 [--passes 6] [--refill full|<per s>] [--scenario bench/scenarios/busy-5v5.json]
 *   taskset -c 0 npm run bench:pass -- ...   (node and its redis-server on one core)
 *
 * For each size (10k, then --tickets): load the waiting tickets (and their players' queue records)
 * from the scenario's generators, then run the leader's pass --passes times on a virtual clock one
 * second apart. Before each pass new tickets join: with `--refill full` (default) as many as the
 * last pass claimed, so every pass runs over `size` waiting tickets (the worst case: nearly the
 * whole pool is matched and replaced each second); `--refill 1000` = 1000 arrivals per second.
 * Two variants side by side on the same data: `incremental` (the leader's
 * mirror: only changes are read) and `baseline` (every waiting ticket read each pass, as before).
 * Pass 1 (lease acquired: full read, the first burst of matches) is reported apart; the others
 * give p50/p99 per phase. Then the in-memory pass (runPass alone) as bench:matchmaker measures it.
 * Human-readable lines first; the LAST line is one JSON object.
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
import type { Ticket } from "../matchmaker/ticket.ts";
import { startRedis } from "../test/helpers/processes.ts";

const { values } = parseArgs({
  options: {
    scenario: { type: "string", default: "bench/scenarios/busy-5v5.json" },
    tickets: { type: "string", default: "100000" },
    passes: { type: "string", default: "6" },
    refill: { type: "string", default: "full" },
  },
});

const scenario = parseScenario(JSON.parse(readFileSync(values.scenario!, "utf8")));
const rules = scenarioRules(scenario);
const mode = rules.name;
const sizes = [...new Set([10_000, Number(values.tickets)])].sort((a, b) => a - b);
const passes = Math.max(3, Number(values.passes));
const refillFull = values.refill === "full";
const arrivals = refillFull ? 0 : Number(values.refill);
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

async function runVariant(redis: Redis, size: number, variant: "incremental" | "baseline"): Promise<VariantResult> {
  await redis.flushall();
  const base = new RedisTicketStore(redis);
  const store = variant === "baseline" ? fullReads(base) : base;
  const players = new RedisPlayerIndex(redis);
  let clock = 60_000;
  const bus: Bus = {
    publish: (topic, data) => redis.publish(topic, JSON.stringify(data)),
    hset: (k, f, v) => redis.hset(k, f, v),
    hgetall: (k) => redis.hgetall(k),
  };
  const svc = new MatchmakerService({
    modes: { [mode]: { rules, room: "arena" } }, store, players, lease: new LocalLease(() => clock), parties: new MemoryPartyDirectory(),
    rooms, bus, metrics: createMatchmakerMetrics(new Registry()), logger: silent, region: "eu-west",
    knownRegions: async () => scenario.regions.map((r) => r.name), ratingOf: async () => 1500, now: () => clock,
    // queue rooms heartbeat their records; here nobody does, so nothing may turn stale during the run
    queueGraceS: 24 * 3600,
  });
  const t0 = performance.now();
  await load(base, players, syntheticPool(scenario, size).map((a) => a.ticket), clock);
  const loadS = (performance.now() - t0) / 1000;
  const grant = { name: `matcher:${mode}`, holder: "bench", token: 1, expiresAt: Infinity };
  const phases: Array<PassPhases & { totalMs: number }> = [];
  for (let k = 0; k < passes; k++) {
    clock = 60_000 + k * 1000;
    if (k > 0) {
      // new tickets since the last pass (other nodes' queue rooms: not timed): with --refill full,
      // as many as the last pass claimed, so every pass runs over `size` waiting tickets
      const claimed = size - (await redis.zcard(`rally:mm:w:${mode}`));
      const rate = refillFull ? claimed : arrivals;
      if (rate > 0) {
        const fresh = generateArrivals({ ...scenario, arrivalsPerS: rate * (refillFull ? 1.5 : 1) }, { fromS: k + 59, toS: k + 60, seed: scenario.seed + k, idPrefix: `a${k}-`, maxCount: refillFull ? claimed : Infinity });
        await load(base, players, fresh.map((a) => a.ticket), clock);
      }
    }
    const t = performance.now();
    await svc.pass({ rules, room: "arena" }, grant, clock);
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
  log(`${String(size).padStart(6)} ${variant.padEnd(11)} loaded in ${loadS.toFixed(1)} s; pass 1 (full read + first burst): ${r1(first.totalMs)} ms ` +
    `(sync ${r1(first.syncMs)}, sweep ${r1(first.sweepMs)}, match ${r1(first.matchMs)}, claim ${r1(first.claimMs)}; ${first.matches} matches)`);
  log(`${"".padStart(6)} ${"".padEnd(11)} passes 2-${passes}: ${cols.map((c) => `${c.replace("Ms", "")} p50 ${p50[c]} / p99 ${p99[c]}`).join(", ")} ms; ` +
    `read p50 ${result.readP50} tickets, ${result.matchesPerPass} matches/pass, ${result.waiting} waiting`);
  return result;
}

const server = await startRedis();
const redis = new Redis({ port: server.port, host: "127.0.0.1" });
const out: Record<string, { incremental: VariantResult; baseline: VariantResult; ratioTotalP50: number; ratioSyncP50: number }> = {};
try {
  log(`bench:pass scenario ${scenario.name ?? values.scenario}, mode ${mode}, ${passes} passes per variant, redis-server ${server.url}`);
  for (const size of sizes) {
    const incremental = await runVariant(redis, size, "incremental");
    const baseline = await runVariant(redis, size, "baseline");
    out[size] = {
      incremental, baseline,
      ratioTotalP50: r1((incremental.p50.totalMs / baseline.p50.totalMs) * 100) / 100,
      ratioSyncP50: r1((incremental.p50.syncMs / baseline.p50.syncMs) * 100) / 100,
    };
    log(`${String(size).padStart(6)} incremental / baseline: total p50 x${out[size].ratioTotalP50}, sync p50 x${out[size].ratioSyncP50}`);
  }
} finally {
  redis.disconnect();
  await server.stop();
}
const top = sizes[sizes.length - 1];
const memoryPassMs = r1(timeRallyPass(scenario, rules, top));
log(`in-memory pass over ${top} tickets (runPass alone, median of 5 after warm-up): ${memoryPassMs} ms`);
log(JSON.stringify({ scenario: scenario.name, passes, sizes: out, memoryPassMs: { [top]: memoryPassMs } }));
