/**
 * Honest waits: what a waiting ticket's `status` says comes next (bots, more regions) follows from
 * the mode's rules alone, and `estimatedWaitMs` comes from recent times-to-match or is null.
 */
import assert from "node:assert/strict";
import { Registry } from "prom-client";
import {
  createMatchmakerMetrics, LocalLease, makeTicket, MatchmakerService, MemoryPartyDirectory, MemoryPlayerIndex, MemoryTicketStore,
  parseModeRules, type Bus, type RoomApi,
} from "../../matchmaker/index.ts";
import { regionsAt, waitOutlook } from "../../matchmaker/wait-outlook.ts";

const eu = { region: "eu", latencies: { eu: 20, us: 80, ap: 170, sa: 250 } };

describe("wait outlook (status: botsAtS, nextRegionsAtS)", () => {
  const defaults = parseModeRules({ name: "5v5", teams: 2, teamSize: 5 }); // steps: 45 s <= 90 ms, 90 s <= 180 ms; no bots
  const arena = parseModeRules({ name: "arena", teams: 2, teamSize: 2, bots: { afterS: 60 }, minPlayers: 2 });
  const near = parseModeRules({ name: "near", teams: 1, teamSize: 2, regions: { steps: [{ afterS: 10, maxLatencyMs: 50 }, { afterS: 20, maxLatencyMs: 100 }] } });
  const fenced = parseModeRules({ name: "fenced", teams: 2, teamSize: 1, regions: { steps: [{ afterS: 5, maxLatencyMs: 300 }], neighbours: { eu: ["ap"] } } });
  const sharded = parseModeRules({ name: "sharded", teams: 2, teamSize: 1, shards: { americas: ["us", "sa"] }, regions: { steps: [{ afterS: 5, maxLatencyMs: 300 }] } });

  const table: Array<{ name: string; rules: typeof defaults; waitS: number; regions: string[]; botsAtS: number | null; nextRegionsAtS: number | null; nextRegions: string[] }> = [
    { name: "fresh ticket, default rules", rules: defaults, waitS: 0, regions: ["eu"], botsAtS: null, nextRegionsAtS: 45, nextRegions: ["us"] },
    { name: "first step taken: the second comes next", rules: defaults, waitS: 50, regions: ["eu", "us"], botsAtS: null, nextRegionsAtS: 90, nextRegions: ["ap"] },
    { name: "every step taken: nothing left", rules: defaults, waitS: 95, regions: ["eu", "us", "ap"], botsAtS: null, nextRegionsAtS: null, nextRegions: [] },
    { name: "bots after 60 s", rules: arena, waitS: 3, regions: ["eu"], botsAtS: 60, nextRegionsAtS: 45, nextRegions: ["us"] },
    { name: "bots already allowed: botsAtS stays the rule", rules: arena, waitS: 61, regions: ["eu", "us"], botsAtS: 60, nextRegionsAtS: 90, nextRegions: ["ap"] },
    { name: "a step that adds no region for this ticket is skipped", rules: near, waitS: 0, regions: ["eu"], botsAtS: null, nextRegionsAtS: 20, nextRegions: ["us"] },
    { name: "neighbours limit what opens", rules: fenced, waitS: 0, regions: ["eu"], botsAtS: null, nextRegionsAtS: 5, nextRegions: ["ap"] },
    { name: "expansion stays inside the ticket's shard", rules: sharded, waitS: 0, regions: ["eu"], botsAtS: null, nextRegionsAtS: 5, nextRegions: ["ap"] },
  ];
  for (const row of table) {
    it(row.name, () => {
      assert.deepEqual(regionsAt(row.rules, eu, row.waitS), row.regions);
      assert.deepEqual(waitOutlook(row.rules, eu, row.waitS), { botsAtS: row.botsAtS, nextRegionsAtS: row.nextRegionsAtS, nextRegions: row.nextRegions });
    });
  }

  it("a ticket without other measured regions never expands", () => {
    assert.deepEqual(waitOutlook(defaults, { region: "eu", latencies: {} }, 0), { botsAtS: null, nextRegionsAtS: null, nextRegions: [] });
  });
});

describe("status: estimatedWaitMs from recent times-to-match", () => {
  const duel = parseModeRules({ name: "duel", teams: 2, teamSize: 1, bots: { afterS: 30 } });
  const clock = 1_000_000;
  const hashes = new Map<string, Record<string, string>>();
  const bus: Bus = {
    publish: () => undefined,
    async hset(key, field, value) { hashes.set(key, { ...hashes.get(key), [field]: value }); return 1; },
    async hgetall(key) { return hashes.get(key) ?? {}; },
  };
  const rooms = {} as RoomApi; // status never touches rooms
  const svc = new MatchmakerService({
    modes: { duel: { rules: duel, room: "arena" } }, store: new MemoryTicketStore(() => clock), players: new MemoryPlayerIndex(() => clock),
    lease: new LocalLease(() => clock), parties: new MemoryPartyDirectory(), rooms, bus, metrics: createMatchmakerMetrics(new Registry()),
    logger: { info() {}, warn() {}, debug() {} }, region: "eu", knownRegions: async () => ["eu"], ratingOf: async () => 1500, now: () => clock,
  });
  const waited = (ms: number) => makeTicket({ id: `w${ms}`, mode: "duel", playerIds: ["p"], playerRatings: [1500], region: "eu", latencies: { eu: 20 }, enqueuedAt: clock - ms });
  const estimate = async (ttm: object | undefined, waitedMs: number) => {
    hashes.clear();
    if (ttm) hashes.set("rally:mm:ttm", { "duel|eu": JSON.stringify(ttm) });
    await svc.refreshEstimates();
    return svc.status(waited(waitedMs), clock);
  };

  it("remaining time to the median, then to the 90th percentile, then unknown", async () => {
    const ttm = { p50: 8000, p90: 20_000, n: 40 };
    assert.deepEqual(await estimate(ttm, 0).then((s) => [s.estimatedWaitMs, s.estimateBasis]), [8000, 40]);
    assert.equal((await estimate(ttm, 5000)).estimatedWaitMs, 3000);
    assert.equal((await estimate(ttm, 8000)).estimatedWaitMs, 12_000, "past the median: the 90th percentile");
    assert.equal((await estimate(ttm, 25_000)).estimatedWaitMs, null, "past the 90th percentile: no made-up number");
  });

  it("too few recent matches (or none) give no estimate", async () => {
    assert.deepEqual(await estimate({ p50: 8000, p90: 20_000, n: 2 }, 0).then((s) => [s.estimatedWaitMs, s.estimateBasis]), [null, 2]);
    assert.deepEqual(await estimate(undefined, 0).then((s) => [s.estimatedWaitMs, s.estimateBasis]), [null, 0]);
  });

  it("status carries the outlook with the wait", async () => {
    const s = await estimate(undefined, 12_000);
    assert.deepEqual({ waitedMs: s.waitedMs, botsAtS: s.botsAtS, nextRegionsAtS: s.nextRegionsAtS, regions: s.regions }, { waitedMs: 12_000, botsAtS: 30, nextRegionsAtS: null, regions: ["eu"] });
  });
});
