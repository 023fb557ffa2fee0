/**
 * `npm run bench:api`: player-data throughput on the embedded SQLite store and PostgreSQL side by side
 * in one run (a private PostgreSQL started for the run by test/support/postgres.ts, with fsync on and
 * synchronous_commit off: the same durability as SQLite's WAL + synchronous=NORMAL, where a power cut
 * may lose the last commits but never corrupts), and MongoDB when MONGO_URL is set. Prints one JSON line:
 *   profiles: reads/s and p99 through ProfileService with the in-process cache vs without (NoCache), and the ratio;
 *   results:  match results applied per second through the real MatchResultSink (openskill ratings,
 *             stats, history, leaderboards, rewards in one transaction each), one at a time and
 *             RESULT_CONCURRENCY at once (disjoint players, as in real matches);
 *   ratio:    PostgreSQL / SQLite for each figure (> 1: PostgreSQL is faster; for p99, > 1: PostgreSQL is slower).
 */
import { LruCache, NoCache, type Cache } from "../server/cache/index.ts";
import { loadConfig } from "../server/config.ts";
import { createPlayerServices } from "../server/players/index.ts";
import { ProfileService } from "../server/players/profiles.ts";
import { createFileStore, createMongoStore, createPostgresStore, postgresSettings, type Store } from "../server/store/index.ts";
import { startPostgres } from "../test/support/postgres.ts";
import type { MatchResult } from "../rooms/index.ts";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** The PostgreSQL store's settings at their config defaults (server/config.ts). */
const PG = postgresSettings(loadConfig({}));

const PLAYERS = 2000, READS = 50_000, CONCURRENCY = 32, RESULTS = 3000, RESULT_CONCURRENCY = 16;

function p99(samples: number[]): number {
  const s = [...samples].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(s.length * 0.99))];
}

async function reads(profiles: ProfileService, ids: string[]) {
  const lat: number[] = [];
  let next = 0;
  const t0 = performance.now();
  await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
    while (next < READS) {
      const id = ids[(next++ * 7919) % ids.length];
      const s = performance.now();
      await profiles.get(id);
      lat.push(performance.now() - s);
    }
  }));
  const secs = (performance.now() - t0) / 1000;
  return { readsPerSec: Math.round(READS / secs), p99Ms: Number(p99(lat).toFixed(4)) };
}

async function run(name: string, store: Store) {
  const ids: string[] = [];
  for (let i = 0; i < PLAYERS; i++) ids.push((await store.players.guest()).id);
  for (const id of ids.slice(0, 500)) await store.ratings.set({ playerId: id, mode: "arena", mu: 25, sigma: 8, mmr: 1500, wins: 1, losses: 1, draws: 0, matches: 2, updatedAt: 1 });
  const profile = async (cache: Cache) => {
    const svc = new ProfileService(store, cache, 300_000);
    for (const id of ids) await svc.get(id); // warm
    return reads(svc, ids);
  };
  const withCache = await profile(new LruCache(PLAYERS * 2));
  const withoutCache = await profile(new NoCache());

  const config = loadConfig({ LOG_LEVEL: "silent" });
  const services = createPlayerServices(config, store);
  // Four disjoint players per match (a player is in one match at a time); `round` keeps matchIds apart.
  const match = (i: number, round: string): MatchResult => {
    const [a, b, c, d] = [0, 1, 2, 3].map((k) => ids[(i * 4 + k) % PLAYERS]);
    const now = Date.now();
    return {
      matchId: `bench-${round}-${i}`, roomName: "arena", region: "local", mode: "arena", outcome: "completed", reason: "score-limit",
      startedAt: now - 60_000, endedAt: now, durationMs: 60_000,
      teams: [{ team: 0, score: 15, playerIds: [a, b] }, { team: 1, score: 9, playerIds: [c, d] }],
      players: [a, b, c, d].map((playerId, k) => ({ playerId, name: "P", team: k < 2 ? 0 : 1, score: 10 - k, present: true })),
      winnerTeam: i % 3 === 0 ? 1 : 0,
    };
  };
  let t0 = performance.now();
  for (let i = 0; i < RESULTS; i++) await services.results.report(match(i, "seq"));
  const resultsPerSec = Math.round(RESULTS / ((performance.now() - t0) / 1000));
  t0 = performance.now();
  let next = 0;
  await Promise.all(Array.from({ length: RESULT_CONCURRENCY }, async () => {
    while (next < RESULTS) await services.results.report(match(next++, "par"));
  }));
  const concurrentResultsPerSec = Math.round(RESULTS / ((performance.now() - t0) / 1000));
  await services.close();
  await store.close();
  return {
    store: name,
    profiles: { players: PLAYERS, reads: READS, concurrency: CONCURRENCY, withCache, withoutCache, readsRatio: Number((withCache.readsPerSec / withoutCache.readsPerSec).toFixed(2)), p99Ratio: Number((withoutCache.p99Ms / withCache.p99Ms).toFixed(2)) },
    results: { written: RESULTS * 2, playersPerMatch: 4, resultsPerSec, concurrency: RESULT_CONCURRENCY, concurrentResultsPerSec },
  };
}

type Run = Awaited<ReturnType<typeof run>>;
const ratio = (a: number, b: number) => Number((a / b).toFixed(2));

const sqlite = await run("embedded-sqlite", await createFileStore(mkdtempSync(join(tmpdir(), "rally-bench-"))));
const server = await startPostgres({ settings: { fsync: "on", synchronous_commit: "off", full_page_writes: "on" } });
let postgres: Run;
try {
  postgres = await run("postgresql", await createPostgresStore({ ...PG, url: await server.createDatabase("rally_bench") }));
} finally {
  await server.stop();
}
const out = [sqlite, postgres];
if (process.env.MONGO_URL) out.push(await run("mongodb", await createMongoStore({ url: process.env.MONGO_URL, dbName: `rally_bench_${Date.now()}` })));
console.log(JSON.stringify({
  bench: "api", node: process.version, runs: out,
  ratio: {
    of: "postgresql / embedded-sqlite",
    cachedReadsPerSec: ratio(postgres.profiles.withCache.readsPerSec, sqlite.profiles.withCache.readsPerSec),
    directReadsPerSec: ratio(postgres.profiles.withoutCache.readsPerSec, sqlite.profiles.withoutCache.readsPerSec),
    directP99Ms: ratio(postgres.profiles.withoutCache.p99Ms, sqlite.profiles.withoutCache.p99Ms),
    resultsPerSec: ratio(postgres.results.resultsPerSec, sqlite.results.resultsPerSec),
    concurrentResultsPerSec: ratio(postgres.results.concurrentResultsPerSec, sqlite.results.concurrentResultsPerSec),
  },
}));
