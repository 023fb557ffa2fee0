/**
 * The pool end to end: real node processes (LocalProvider), a real private Redis, the real manager,
 * and an in-process Rally node in region "mm" acting as the matchmaker (matchMaker.createRoom with a
 * region, then a seat for an official-SDK client). Waits on conditions, never on fixed sleeps.
 */
import assert from "node:assert/strict";
import { matchMaker } from "@colyseus/core";
import { Client, type Room } from "@colyseus/sdk";
import { loadConfig } from "../../../server/config.ts";
import { startGameNode, type GameNode } from "../../../server/node/index.ts";
import { freePort, startNodeProcess, startRedis, tempDir } from "../../support/processes.ts";
import { SECRET, readyIn, startPool, waitUntil, type Pool } from "../../support/pool-harness.ts";
import { defaultTestGames } from "../../support/rooms.ts";

async function matchmade(mm: GameNode, region: string, players: string[]): Promise<{ processId: string; rooms: Room[] }> {
  const teams = players.map((p) => [p]);
  const listing = await matchMaker.createRoom("arena", { matchId: `m-${Math.random().toString(36).slice(2)}`, teams, region });
  const rooms: Room[] = [];
  for (const playerId of players) {
    const seat = await matchMaker.reserveSeatFor(listing, {}, { playerId, name: playerId });
    rooms.push(await new Client("http://127.0.0.1:1").consumeSeatReservation(seat));
  }
  return { processId: listing.processId, rooms };
}

describe("node pool end to end (real processes, real Redis)", function () {
  this.timeout(180_000);
  let pool: Pool;
  let mm: GameNode;

  before(async () => {
    pool = await startPool();
    mm = await startGameNode(loadConfig({
      REDIS_URL: pool.redis.url, SHARED_SQLITE_DIR: pool.sharedStoreDir, JWT_SECRET: SECRET, REGION: "mm", PORT: String(await freePort()), DATA_DIR: tempDir(), LOG_LEVEL: "silent", SERVE_DEMO: "false",
    }), { games: defaultTestGames });
    await pool.manager.start();
    await waitUntil(async () => (await readyIn(pool, "eu")).length >= 1 && (await readyIn(pool, "us")).length >= 1, 90_000, "one ready node per region");
  });

  after(async () => {
    await mm?.close().catch(() => undefined);
    await pool?.close();
  });

  it("starts nodes in two regions, each its own process, port and publicAddress", async () => {
    const nodes = (await pool.provider.list()).filter((n) => n.status === "running");
    assert.deepEqual([...new Set(nodes.map((n) => n.region))].sort(), ["eu", "us"]);
    assert.equal(new Set(nodes.map((n) => n.publicAddress)).size, nodes.length);
    for (const n of nodes) {
      const res = await fetch(`http://${n.publicAddress}/readyz`);
      assert.equal(res.status, 200);
      assert.equal(((await res.json()) as { region: string }).region, n.region);
    }
  });

  it("places a matchmade room in the requested region and the player joins there", async () => {
    for (const region of ["eu", "us"]) {
      const { processId, rooms } = await matchmade(mm, region, [`p-${region}-1`, `p-${region}-2`]);
      const owner = (await pool.entries()).find((e) => e.nodeId === processId);
      assert.equal(owner?.region, region);
      for (const r of rooms) await r.leave();
    }
  });

  it("scales a region up under load", async () => {
    const before = (await readyIn(pool, "eu")).length;
    const held: Room[] = [];
    // capacity 4 per node, warm buffer 1: three rooms push eu over 70%
    for (let i = 0; i < 3; i++) held.push(...(await matchmade(mm, "eu", [`load-${i}`, `load-${i}b`])).rooms);
    await waitUntil(async () => (await readyIn(pool, "eu")).length > before, 90_000, "a second eu node");
    const text = await pool.metrics.text();
    assert.match(text, /rally_pool_scale_events_total\{[^}]*region="eu"[^}]*direction="up"[^}]*\} [1-9]/);
    for (const r of held) await r.leave();
  });

  it("drains a node while its match runs: the match goes on, then the node exits", async () => {
    const { processId, rooms } = await matchmade(mm, "us", ["d1", "d2"]);
    const owner = (await pool.entries()).find((e) => e.nodeId === processId)!;
    const tracked = pool.manager.list().find((n) => n.name === owner.name)!;
    await createDrain(pool, processId);
    await waitUntil(async () => (await fetch(`http://${owner.publicAddress}/readyz`)).status === 503, 15_000, "readyz 503");
    // still playing: state patches keep coming and the process is alive, for a couple of manager steps
    // the manager sees the drain on its next step (every 500 ms): wait for it rather than race it
    await waitUntil(() => pool.manager.list().find((n) => n.id === tracked.id)?.phase === "draining", 15_000, "the manager to mark the node draining");
    let patches = 0;
    rooms[0].onStateChange(() => patches++);
    await waitUntil(() => patches >= 5, 15_000, "state patches during the drain");
    assert.equal((await pool.provider.list()).find((n) => n.id === tracked.id)?.status, "running");
    assert.equal(pool.manager.list().find((n) => n.id === tracked.id)?.phase, "draining");
    // new rooms for us go elsewhere: the manager replaces the draining capacity (min 1 active)
    await waitUntil(async () => (await readyIn(pool, "us")).some((e) => e.nodeId !== processId), 90_000, "a replacement us node");
    // the match ends (everyone leaves), the room closes, then the manager stops the node
    const ended = Date.now();
    for (const r of rooms) await r.leave();
    await waitUntil(async () => !(await pool.provider.list()).some((n) => n.id === tracked.id), 60_000, "the drained node to exit");
    assert.ok(Date.now() >= ended);
  });

  it("kill -9: detected, cleaned from the registry and Colyseus, and replaced below the floor", async () => {
    const [victim] = await readyIn(pool, "us");
    const node = (await pool.provider.list()).find((n) => n.name === victim.name)!;
    const pid = pool.provider.pid(node.id)!;
    const others = (await readyIn(pool, "us")).length - 1;
    process.kill(pid, "SIGKILL");
    await waitUntil(async () => !(await pool.entries()).some((e) => e.nodeId === victim.nodeId), 15_000, "registry entry removed");
    const counts = await pool.presence.hgetall("roomcount");
    assert.equal(counts?.[victim.nodeId], undefined, "Colyseus roomcount entry removed");
    if (others < 1) await waitUntil(async () => (await readyIn(pool, "us")).length >= 1, 90_000, "a replacement us node");
    assert.match(await pool.metrics.text(), /rally_pool_crashes_total\{[^}]*region="us"[^}]*\} 1/);
  });

  it("a restarted manager adopts the running nodes and starts no duplicates", async () => {
    await pool.manager.stop({ stopNodes: false });
    const before = (await pool.provider.list()).filter((n) => n.status === "running").map((n) => n.name).sort();
    const { LocalProvider } = await import("../../../server/pool/providers/local.ts");
    const fresh = new LocalProvider({ stateDir: pool.stateDir, publicHost: "127.0.0.1", env: { REDIS_URL: pool.redis.url, SHARED_SQLITE_DIR: pool.sharedStoreDir, JWT_SECRET: SECRET, ROOM_CAPACITY: "4" } });
    const m2 = pool.makeManager({ provider: fresh });
    for (let i = 0; i < 4; i++) await m2.tick();
    const after = (await fresh.list()).filter((n) => n.status === "running").map((n) => n.name).sort();
    assert.deepEqual(after, before);
    assert.ok(m2.list().every((n) => n.adopted));
    pool.manager = m2;
    pool.provider = fresh;
  });
});

async function createDrain(pool: Pool, nodeId: string): Promise<void> {
  const { createNodeCommands } = await import("../../../server/registry/index.ts");
  await createNodeCommands(pool.presence).drain(nodeId);
}

describe("a node told to stop while Redis is unreachable", function () {
  this.timeout(60_000);
  it("still exits within SHUTDOWN_GRACE_S", async () => {
    const redis = await startRedis();
    const node = await startNodeProcess({ REDIS_URL: redis.url, ALLOW_PER_NODE_STORE: "true", JWT_SECRET: SECRET, SHUTDOWN_GRACE_S: "2", LOG_LEVEL: "warn" });
    await redis.stop();
    const t0 = Date.now();
    const code = await Promise.race([node.stop("SIGTERM"), new Promise<string>((r) => setTimeout(() => r("hung"), 20_000))]);
    if (code === "hung") node.child.kill("SIGKILL");
    assert.notEqual(code, "hung", `node did not exit:\n${node.output.slice(-10).join("\n")}`);
    assert.ok(Date.now() - t0 < 15_000, `exited after ${Date.now() - t0} ms`);
  });
});
