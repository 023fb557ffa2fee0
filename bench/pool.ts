/**
 * `npm run bench:pool`: allocation time from a matchmade room request (matchMaker.createRoom with a
 * region, on the in-process "matchmaker" node) to the player joined over WebSocket (official SDK),
 * served by a warm node vs a cold start (a node started by the provider when the request arrives,
 * the request waiting in placement), then a demand-trace replay with a 10x spike within 60 s on the
 * real policy. Real processes and a private Redis. Prints one JSON line last.
 */
import { cpus } from "node:os";
import { matchMaker } from "@colyseus/core";
import { Client } from "@colyseus/sdk";
import { RedisPresence } from "@colyseus/redis-presence";
import { loadConfig } from "../server/config.ts";
import { startGameNode } from "../server/node/index.ts";
import { arenaGame } from "../examples/arena/index.ts";
import { createNodeRegistry } from "../server/registry/index.ts";
import { defaultPolicy } from "../server/pool/policy.ts";
import { LocalProvider } from "../server/pool/providers/local.ts";
import { freePort, startRedis, tempDir } from "../test/support/processes.ts";
import { replay } from "./pool/trace.ts";

const WARM_N = Number(process.env.BENCH_WARM ?? 300);
const COLD_N = Number(process.env.BENCH_COLD ?? 5);
const SECRET = "bench-pool-secret-0123456789abcdefghijklmn";

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? NaN;
}
const round = (x: number) => Math.round(x * 100) / 100;

async function main() {
  const redis = await startRedis();
  const presence = new RedisPresence(redis.url);
  const registry = createNodeRegistry(presence, loadConfig({}).NODE_TTL_MS); // the nodes run on the default NODE_TTL_MS
  const sharedStoreDir = tempDir("rally-bench-pool-store-");
  const provider = new LocalProvider({
    stateDir: tempDir("rally-bench-pool-"), publicHost: "127.0.0.1",
    env: { REDIS_URL: redis.url, SHARED_SQLITE_DIR: sharedStoreDir, JWT_SECRET: SECRET, ROOM_CAPACITY: "2000", LOG_LEVEL: "warn" },
  });
  const mm = await startGameNode(loadConfig({
    REDIS_URL: redis.url, SHARED_SQLITE_DIR: sharedStoreDir, JWT_SECRET: SECRET, REGION: "mm", PORT: String(await freePort()), DATA_DIR: tempDir(), LOG_LEVEL: "silent", SERVE_DEMO: "false", PLACEMENT_WAIT_MS: "60000",
  }), { games: { arena: arenaGame } });
  const client = new Client("http://127.0.0.1:1");
  let seq = 0;
  async function allocate(region: string): Promise<number> {
    const t0 = performance.now();
    const id = `b${++seq}`;
    const listing = await matchMaker.createRoom("arena", { matchId: `bench-${id}`, teams: [[id], [`${id}-x`]], region });
    const seat = await matchMaker.reserveSeatFor(listing, {}, { playerId: id, name: id });
    const room = await client.consumeSeatReservation(seat);
    const ms = performance.now() - t0;
    void room.leave();
    return ms;
  }
  const waitReady = async (region: string) => {
    const until = Date.now() + 90_000;
    while (Date.now() < until) {
      if ((await registry.live(Date.now())).some((e) => e.region === region && e.state === "ready")) return;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`no ready node in ${region}`);
  };

  // warm: one ready node in the region, settled
  const warmNode = await provider.start({ region: "warm" });
  await waitReady("warm");
  await new Promise((r) => setTimeout(r, 1000));
  for (let i = 0; i < 20; i++) await allocate("warm");
  const warm: number[] = [];
  for (let i = 0; i < WARM_N; i++) warm.push(await allocate("warm"));
  await provider.stop(warmNode.id);

  // cold: the request arrives with no node in its region; the node starts then (as a scale-up would)
  const cold: number[] = [];
  for (let i = 0; i < COLD_N; i++) {
    const region = `cold-${i}`;
    const pending = allocate(region);
    const node = await provider.start({ region });
    cold.push(await pending);
    await provider.stop(node.id);
  }

  const coldP50 = pct(cold, 50);
  const trace = replay({
    coldStartMs: Math.round(coldP50), baseRatePerS: 2, spikeFactor: 10, rampMs: 60_000, holdMs: 5 * 60_000, totalMs: 60 * 60_000,
    matchMs: 120_000, capacity: 100, tickMs: 2000, min: 2, max: 60, seed: 7,
    policy: { ...defaultPolicy, warmRooms: 60, scaleDownAfterMs: 15 * 60_000 },
  });

  await mm.close().catch(() => undefined);
  for (const n of await provider.list()) await provider.stop(n.id, { signal: "SIGKILL" });
  presence.shutdown();
  await redis.stop();

  const report = {
    bench: "pool",
    machine: { cpus: cpus().length, model: cpus()[0]?.model, node: process.version },
    warm: { n: warm.length, p50Ms: round(pct(warm, 50)), p99Ms: round(pct(warm, 99)), maxMs: round(Math.max(...warm)) },
    cold: { n: cold.length, p50Ms: round(coldP50), p99Ms: round(pct(cold, 99)), maxMs: round(Math.max(...cold)) },
    coldOverWarmP50: round(coldP50 / pct(warm, 50)),
    warmP99Goal: { goalMs: 50, met: pct(warm, 99) < 50 },
    trace: {
      note: "virtual-clock replay (60 min) with the real policy; cold start = measured cold p50; 2/s base, 10x within 60 s at minute 20, 5 min hold, 1-3 min matches, 100 rooms/node, warm buffer 60 rooms, scale-down after 15 min under 30%",
      allocations: trace.allocations, warmShare: round(trace.warmShare * 10000) / 10000, goal: 0.99, met: trace.warmShare >= 0.99,
      idleWarmShare: Math.round(trace.idleWarmShare * 1000) / 1000, idleWarmShareDuringSpike: Math.round(trace.idleWarmShareDuringSpike * 1000) / 1000, avgIdleRooms: round(trace.avgIdleRooms), peakNodes: trace.peakNodes, scaleUps: trace.scaleUps, scaleDowns: trace.scaleDowns,
    },
  };
  console.log(JSON.stringify(report));
  process.exit(0);
}

await main();
