/**
 * Matchmaker bench: one seeded scenario through Rally's matcher and through Colyseus's
 * QueueRoom, same arrivals, same virtual clock, same metrics.
 *
 *   npm run bench:matchmaker -- --scenario bench/scenarios/busy-5v5.json [--pool 100000]
 *
 * Human-readable lines first; the LAST line is one JSON object:
 *   { scenario, rally, queueroom, ratio }   (ratio = rally / queueroom per column)
 */
import { readFileSync } from "node:fs";
import { basename } from "node:path";
import { parseArgs } from "node:util";
import { measure, ratios } from "../matchmaker/sim-metrics.ts";
import { generateArrivals, parseScenario, scenarioRules, simulateRally, syntheticPool, timeRallyPass } from "../matchmaker/simulator.ts";
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
  regions: rules.regions, party: rules.party, bots: rules.bots,
})}`);
log(`queueroom setup: ${JSON.stringify(queueRoomSetup(rules))}`);

// time one full pass first, while the heap holds nothing but the pool
const pool = syntheticPool(scenario, poolSize);
const rallyPassMs = timeRallyPass(scenario, rules, poolSize);
const queuePassMs = timeQueueRoomCycle(pool, rules);
log(`one pass over ${poolSize} waiting tickets (median of 5 after warm-up): rally ${rallyPassMs.toFixed(1)} ms, queueroom ${queuePassMs.toFixed(1)} ms`);

let t0 = performance.now();
const rallyMatches = simulateRally(scenario, arrivals, rules);
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
log(JSON.stringify({ scenario: name, rally, queueroom, ratio: ratios(rally, queueroom) }));
