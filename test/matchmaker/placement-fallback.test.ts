/**
 * A create that times out on the node placement chose is never created elsewhere. Colyseus answers an
 * `ipc_timeout` of a remote create by creating the room locally; Rally stamps the chosen node on a
 * matchmade create (`placedOn`) and the room guard refuses it anywhere else, so the matcher sees the
 * failure and requeues the tickets. Here a real node shares a private Redis with a "ghost": a registry
 * entry that heartbeats (the test writes it) but whose process never answers, and that placement
 * prefers (it lists the most rooms, so packing picks it). While the ghost beats, no match room is
 * created and the players wait; once it stops beating, the reaper removes it and they are seated on
 * the real node.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { Client, type Room } from "@colyseus/sdk";
import { Redis } from "ioredis";
import { freePort, guest, startNodeProcess, startRedis, tempDir, type NodeHandle, type RedisHandle } from "../support/processes.ts";
import { acceptSeat, joinQueue, type Queued } from "../support/matchmaker-e2e.ts";
import { sleep, until } from "../support/wait.ts";


async function arenaRooms(node: NodeHandle): Promise<number> {
  const text = await (await fetch(`${node.url}/metrics`)).text();
  const m = /^rally_rooms\{[^}]*room="arena"[^}]*\} (\d+)/m.exec(text);
  return m ? Number(m[1]) : 0;
}

describe("placement: a create that times out on the chosen node is not created elsewhere", function () {
  this.timeout(120_000);
  let redis: RedisHandle | undefined;
  let probe: Redis | undefined;
  let node: NodeHandle | undefined;
  let ghostTimer: NodeJS.Timeout | undefined;
  const rooms: Room[] = [];

  after(async () => {
    clearInterval(ghostTimer);
    await Promise.allSettled(rooms.map((r) => (r.connection?.isOpen ? r.leave(true) : undefined)));
    await node?.stop("SIGKILL");
    probe?.disconnect();
    await redis?.stop();
  });

  afterEach(function () {
    if (this.currentTest?.state === "failed") console.error(`--- node output:\n${node?.output.slice(-60).join("\n")}`);
  });

  it("the matcher requeues (ROOM_WRONG_NODE), creates nothing locally, and seats the players once the dead node is reaped", async () => {
    redis = await startRedis();
    probe = new Redis(redis.url);
    const port = await freePort();
    node = await startNodeProcess({
      REDIS_URL: redis.url, SHARED_SQLITE_DIR: tempDir("rally-fallback-store-"), JWT_SECRET: randomBytes(32).toString("hex"),
      LOG_LEVEL: "info", SERVE_DEMO: "false", REGION: "local", PORT: String(port), PUBLIC_ADDRESS: `127.0.0.1:${port}`,
      AUTH_RATE_PER_MIN: "1000", API_RATE_PER_MIN: "10000", MATCHMAKE_RATE_PER_MIN: "1000", GUEST_DEVICE_RATE_PER_MIN: "1000", NODE_TTL_MS: "3000",
    });
    const realId = ((await (await fetch(`${node.url}/readyz`)).json()) as { processId: string }).processId;
    const ghostId = "ghost-node-0000";
    const beat = () => probe!.hset("rally:nodes", ghostId, JSON.stringify({
      nodeId: ghostId, region: "local", publicAddress: "127.0.0.1:1", state: "ready", capacity: 500, rooms: 50, ccu: 0, heartbeatAt: Date.now(),
    }));
    await beat();
    ghostTimer = setInterval(() => void beat(), 500);

    const players: Array<{ client: Client; q: Queued }> = [];
    for (let i = 0; i < 4; i++) {
      const p = await guest(node.url, `fallback-${i}-${randomBytes(4).toString("hex")}`);
      const client = new Client(node.url);
      client.auth.token = p.token;
      players.push({ client, q: await joinQueue(client, { mode: "arena" }) });
    }
    await until("the matcher tried the ghost and requeued", () => node!.output.some((l) => l.includes("ROOM_WRONG_NODE")), 20_000, 100);
    await sleep(2500); // another attempt or two
    assert.equal(await arenaRooms(node), 0, "no arena room was created on the node placement did not choose");
    const listed = Object.values(await probe.hgetall("roomcaches")).map((l) => JSON.parse(l) as { name: string });
    assert.equal(listed.filter((l) => l.name === "arena").length, 0, "no arena room listed anywhere");
    const requeues = node.output.filter((l) => l.includes("match room not created; tickets re-queued") && l.includes("create-failed"));
    assert.ok(requeues.length >= 1, "the matcher saw the failure and requeued");
    // between two attempts, the four tickets wait again (each attempt claims them for about 2 s)
    await until("the four tickets wait again", async () => (await probe!.zcard("rally:mm:w:arena")) === 4, 10_000, 20);

    // the ghost stops beating: placement skips it at once, the reaper removes it, the players are seated on the real node
    clearInterval(ghostTimer);
    const stoppedAt = Date.now();
    const seated = await Promise.all(players.map((p) => acceptSeat(p.client, p.q, 30_000)));
    rooms.push(...seated);
    assert.equal(new Set(seated.map((r) => r.roomId)).size, 1);
    const listing = JSON.parse((await probe.hget("roomcaches", seated[0]!.roomId))!) as { processId: string };
    assert.equal(listing.processId, realId);
    await until("the reaper removed the ghost's entry", async () => (await probe!.hexists("rally:nodes", ghostId)) === 0, 10_000, 100);
    console.log(`      (seated ${Date.now() - stoppedAt} ms after the ghost's last heartbeat; NODE_TTL_MS=3000)`);
  });
});
