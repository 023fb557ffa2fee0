/**
 * A Redis restart that loses every key (no persistence: `--save '' --appendonly no`, like many dev
 * setups) under two real Rally nodes: the queue rooms write their waiting tickets back with the
 * original enqueue time, a matcher leader is re-elected with a fresh lease, the node registry, social
 * presence and room listings come back, and every queued player (queued before the outage and after
 * it) is seated. A running arena match keeps ticking through the outage and its players stay connected.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { Client, type Room } from "@colyseus/sdk";
import { Redis } from "ioredis";
import { freePort, guest, startNodeProcess, tempDir, type NodeHandle } from "../../support/processes.ts";
import { acceptSeat, joinQueue, type Queued } from "../../support/matchmaker-e2e.ts";
import { startRedis, type TestRedis } from "../../support/redis.ts";
import { sleep, until } from "../../support/wait.ts";

interface ArenaView { elapsedMs: number; phase: string }

describe("a Redis restart that loses its data, under two nodes", function () {
  this.timeout(180_000);
  let redis: TestRedis | undefined;
  const nodes: NodeHandle[] = [];
  const rooms: Room[] = [];

  after(async () => {
    await Promise.allSettled(rooms.map((r) => (r.connection?.isOpen ? r.leave(true) : undefined)));
    await Promise.allSettled(nodes.map((n) => n.stop("SIGKILL")));
    await redis?.stop();
  });

  afterEach(function () {
    if (this.currentTest?.state === "failed") {
      for (const [i, n] of nodes.entries()) console.error(`--- node ${i ? "B" : "A"} output:\n${n.output.slice(-60).join("\n")}`);
    }
  });

  it("every queued player (before and after the outage) is seated with its original enqueue time; matches keep ticking", async () => {
    // restartable on the same port, without persistence: a restart loses every key
    redis = await startRedis();
    const url = redis.url;
    const common = {
      REDIS_URL: url, SHARED_SQLITE_DIR: tempDir("rally-redis-restart-store-"), JWT_SECRET: randomBytes(32).toString("hex"),
      LOG_LEVEL: "info", SERVE_DEMO: "false", REGION: "local", AUTH_RATE_PER_MIN: "1000", API_RATE_PER_MIN: "10000",
      MATCHMAKE_RATE_PER_MIN: "1000", MM_LEASE_TTL_MS: "2000",
    };
    const [pa, pb] = [await freePort(), await freePort()];
    const A = await startNodeProcess({ ...common, PORT: String(pa), PUBLIC_ADDRESS: `127.0.0.1:${pa}` });
    nodes.push(A);
    const B = await startNodeProcess({ ...common, PORT: String(pb), PUBLIC_ADDRESS: `127.0.0.1:${pb}` });
    nodes.push(B);
    let seq = 0;
    const player = async (node: NodeHandle) => {
      const p = await guest(node.url, `redis-restart-${++seq}-${randomBytes(4).toString("hex")}`);
      const c = new Client(node.url);
      c.auth.token = p.token;
      return c;
    };

    // A running arena match (2v2), hosted wherever placement put it.
    const arenaClients = await Promise.all([A, A, B, B].map(player));
    const arenaQueued: Queued[] = [];
    for (const c of arenaClients) arenaQueued.push(await joinQueue(c, { mode: "arena" }));
    const arena = await Promise.all(arenaQueued.map((q, i) => acceptSeat(arenaClients[i], q, 40_000)));
    rooms.push(...arena);
    const match = arena[0];
    const view = () => match.state as unknown as ArenaView;
    await until("the arena match is playing", () => view().phase === "playing" && view().elapsedMs > 0, 30_000);

    // Six 5v5 players wait (the mode needs ten): three on each node.
    const waiting: Array<{ client: Client; q: Queued; joinedAt: number; last: { at: number; waitedMs: number } }> = [];
    const queue5v5 = async (node: NodeHandle) => {
      const client = await player(node);
      const joinedAt = Date.now();
      const q = await joinQueue(client, { mode: "5v5" });
      const w = { client, q, joinedAt, last: { at: joinedAt, waitedMs: 0 } };
      q.queue.onMessage("status", (s: { state: string; waitedMs: number }) => {
        if (s.state === "searching") w.last = { at: Date.now(), waitedMs: s.waitedMs };
      });
      waiting.push(w);
    };
    for (const node of [A, A, A, B, B, B]) await queue5v5(node);
    const probe = new Redis(url);
    probe.on("error", () => undefined);
    await until("six 5v5 tickets wait in Redis", async () => (await probe.zcard("rally:mm:w:5v5")) === 6, 15_000);
    // social presence of the queued and playing players
    await until("presence activities of the six queued players", async () => (await probe.keys("rally:social:pres:act:*")).length >= 6, 15_000);
    const activities = await probe.keys("rally:social:pres:act:*");
    probe.disconnect();
    await sleep(2000);

    // The outage: SIGKILL, 3 s without Redis, a new empty redis-server on the same port.
    const elapsedAtKill = view().elapsedMs;
    await redis.kill();
    await sleep(3000);
    const elapsedInOutage = view().elapsedMs;
    assert.ok(elapsedInOutage - elapsedAtKill >= 1500, `the match kept ticking without Redis (${elapsedAtKill} -> ${elapsedInOutage} ms)`);
    await redis.restart();
    const fresh = new Redis(url);
    fresh.on("error", () => undefined);
    try {
      assert.equal(await fresh.zcard("rally:mm:w:5v5"), 0, "the new redis-server starts empty");
      await until("the queue rooms wrote the six tickets back", async () => (await fresh.zcard("rally:mm:w:5v5")) === 6, 30_000, 250);
      // original enqueue times: every score is from before the outage
      const scores = (await fresh.zrange("rally:mm:w:5v5", "0", "-1", "WITHSCORES")).filter((_, i) => i % 2 === 1).map(Number);
      const firstJoin = Math.min(...waiting.map((w) => w.joinedAt));
      for (const s of scores) assert.ok(s >= firstJoin - 1000 && s < Date.now() - 3000, `enqueue time ${s} kept (first join ${firstJoin})`);
      await until("a matcher leader holds a new 5v5 lease", async () => (await fresh.get("rally:mm:lease:matcher:5v5")) !== null, 30_000, 250);
      // registry and presence entries come back by their own heartbeats
      await until("both nodes in the registry again", async () => (await fresh.hlen("rally:nodes")) === 2, 15_000, 250);
      await until("every presence activity again", async () => (await fresh.exists(...activities)) === activities.length, 20_000, 250).catch(async (e: unknown) => {
        // which ones (the nodes' output is printed by the failure hook)
        const missing: string[] = [];
        for (const k of activities) if (!(await fresh.exists(k))) missing.push(k);
        throw new Error(`${(e as Error).message}; missing: ${missing.join(", ")} of ${activities.length}`);
      });
      // the nodes wrote their running rooms' listings back (reconnection and queries find the match)
      await until("the arena match is listed again", async () => (await fresh.hexists("roomcaches", match.roomId)) === 1, 15_000, 250);
    } finally {
      fresh.disconnect();
    }
    // waitedMs keeps counting from before the outage
    for (const w of waiting) {
      await until("a status after the restart", () => w.last.at > Date.now() - 1500, 10_000);
      const sinceJoin = w.last.at - w.joinedAt;
      assert.ok(w.last.waitedMs >= sinceJoin - 1500, `waitedMs ${w.last.waitedMs} counts from the join ${sinceJoin} ms ago`);
    }

    // Four more players after the restart: the ten fill one 5v5 match.
    for (const node of [A, B, A, B]) await queue5v5(node);
    const seated = await Promise.all(waiting.map((w) => acceptSeat(w.client, w.q, 60_000)));
    rooms.push(...seated);
    assert.equal(new Set(seated.map((r) => r.roomId)).size, 1, "one 5v5 match room for all ten");

    // the arena match is still running for its connected players
    assert.ok(arena.every((r) => r.connection.isOpen), "arena players stayed connected");
    const before = view().elapsedMs;
    await until("the arena match still advances", () => view().elapsedMs > before + 500, 10_000);
  });
});
