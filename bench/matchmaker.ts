/**
 * Matchmaker bench: one seeded scenario through Rally's matcher and through Colyseus's
 * QueueRoom, same arrivals, same virtual clock, same metrics.
 *
 *   npm run bench:matchmaker -- --scenario bench/scenarios/busy-5v5.json [--pool 100000]
 *
 * Human-readable lines first; the LAST line is one JSON object:
 *   { scenario, rally, queueroom, ratio }   (ratio = rally / queueroom per column)
 * and, when the scenario has leavers (`leaverRate` > 0), `backfill`: { on, off, ratio, rallyOff }:
 * the backfill figures of the run as configured and of the same arrivals with `backfill` off,
 * on / off per column, and the off run's matcher figures.
 */
import { readFileSync } from "node:fs";
import { basename } from "node:path";
import { parseArgs } from "node:util";
import { measure, measureBackfill, ratioOf, ratios, type BackfillFigures } from "../matchmaker/sim-metrics.ts";
import { generateArrivals, parseScenario, scenarioRules, simulateRallyRun, syntheticPool, timeRallyPass } from "../matchmaker/simulator.ts";
import { queueRoomSetup, simulateQueueRoom, timeQueueRoomCycle } from "./lib/queueroom-baseline.ts";

const { values } = parseArgs({
  options: {
    scenario: { type: "string", default: "bench/scenarios/busy-5v5.json" },
    pool: { type: "string", default: "100000" },
  },
});

const scenario = parseScenario(JSON.parse(readFileSync(values.scenario!, "utf8")));
const name = scenario.name ?? basename(values.scenario!, ".json");
const rules = scenarioRules(scenario);
const poolSize = Number(values.pool);
const arrivals = generateArrivals(scenario);
const window = {
  fromS: scenario.warmupS,
  toS: scenario.durationS - scenario.cooldownS,
  endS: scenario.durationS,
};

const log = (line: string) => process.stdout.write(line + "\n");
log(`scenario ${name}: ${arrivals.length} tickets over ${scenario.durationS}s (seed ${scenario.seed}), measured arrivals in [${window.fromS}, ${window.toS})s`);
log(`rally rules: ${JSON.stringify({
  passEveryS: rules.passEveryS, skillWindow: rules.skillWindow, teamGap: rules.teamGap,
  regions: rules.regions, party: rules.party, bots: rules.bots, backfill: rules.backfill,
})}`);
log(`queueroom setup: ${JSON.stringify(queueRoomSetup(rules))}`);
const leavers = scenario.leaverRate > 0;
if (leavers) log(`leavers: rate ${scenario.leaverRate} per player and match, match ${scenario.matchDurationS}s, reconnection window ${scenario.reconnectWindowS}s`);

// time one full pass first, while the heap holds nothing but the pool
const pool = syntheticPool(scenario, poolSize);
const rallyPassMs = timeRallyPass(scenario, rules, poolSize);
const queuePassMs = timeQueueRoomCycle(pool, rules);
log(`one pass over ${poolSize} waiting tickets (median of 5 after warm-up): rally ${rallyPassMs.toFixed(1)} ms, queueroom ${queuePassMs.toFixed(1)} ms`);

let t0 = performance.now();
const rallyRun = simulateRallyRun(scenario, arrivals, rules);
const rallyMatches = rallyRun.matches;
log(`rally simulated in ${(performance.now() - t0).toFixed(0)} ms: ${rallyMatches.length} matches`);
t0 = performance.now();
const queueMatches = simulateQueueRoom(arrivals, rules, scenario.durationS);
log(`queueroom simulated in ${(performance.now() - t0).toFixed(0)} ms: ${queueMatches.length} matches`);

const rally = measure(arrivals, rallyMatches, window, rallyPassMs);
const queueroom = measure(arrivals, queueMatches, window, queuePassMs);
log("");
log(`${"column".padEnd(16)}${"rally".padStart(12)}${"queueroom".padStart(12)}`);
for (const k of Object.keys(rally) as (keyof typeof rally)[]) {
  log(`${k.padEnd(16)}${String(rally[k]).padStart(12)}${String(queueroom[k]).padStart(12)}`);
}

// backfill: the run as configured against the same arrivals with backfill off (same players leave)
let backfill: { on: BackfillFigures; off: BackfillFigures; ratio: Record<keyof BackfillFigures, number | null>; rallyOff: typeof rally } | undefined;
if (leavers) {
  t0 = performance.now();
  const offRun = simulateRallyRun(scenario, arrivals, { ...rules, backfill: false });
  log("");
  log(`rally with backfill off simulated in ${(performance.now() - t0).toFixed(0)} ms: ${offRun.matches.length} matches`);
  const on = measureBackfill(arrivals, rallyRun, window);
  const off = measureBackfill(arrivals, offRun, window);
  const ratio = ratioOf<keyof BackfillFigures>({ ...on }, { ...off });
  backfill = { on, off, ratio, rallyOff: measure(arrivals, offRun.matches, window, rallyPassMs) };
  log(`backfill ${rules.backfill ? `on (untilS ${rules.backfill.untilS})` : "off in the scenario"} vs off:`);
  log(`  seats opened ${on.seatsOpened} (${on.seatsOffered} within untilS), backfilled ${on.seatsBackfilled}, unfilled ${on.seatsUnfilled} (${on.seatsOpenAtEnd} still open at the run's end); off: ${off.seatsOpened} opened, ${off.seatsUnfilled} unfilled`);
  log(`  backfill rate ${on.backfillRate} of opened, ${on.offeredFillRate} of those within untilS; time to fill p50 ${on.fillP50S}s p90 ${on.fillP90S}s`);
  log(`  team gap of backfilled matches: at formation ${on.gapAtFormation}, after the leave ${on.gapBeforeFill}, after the fill ${on.gapAfterFill}`);
  log(`  regular tickets' wait p50/p90 ${on.regularWaitP50S}/${on.regularWaitP90S}s vs ${off.regularWaitP50S}/${off.regularWaitP90S}s off (x${ratio.regularWaitP50S}/x${ratio.regularWaitP90S}); backfilled players waited p50/p90 ${on.backfilledWaitP50S}/${on.backfilledWaitP90S}s`);
  log(`  all players' wait p50/p90 ${rally.waitP50S}/${rally.waitP90S}s vs ${backfill.rallyOff.waitP50S}/${backfill.rallyOff.waitP90S}s off`);
}
log(JSON.stringify({ scenario: name, rally, queueroom, ratio: ratios(rally, queueroom), ...(backfill ? { backfill } : {}) }));
