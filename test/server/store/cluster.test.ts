/**
 * One player everywhere: two real node processes sharing a private redis-server and a private
 * PostgreSQL (DATABASE_URL), driven over HTTP and with the official @colyseus/sdk client.
 * - one deviceId is one player on both nodes; a rename on B is read on A at once;
 * - a ban on A refuses the player's next request and room join on B within one second;
 * - a refresh token spent on A is spent on B (replaying it on B revokes the family);
 * - a rating written through B is the rating A's matcher puts on the player's next ticket;
 * - the database stopped while a match ends: the API answers 503 STORE_UNAVAILABLE fast, rooms keep
 *   ticking, and once PostgreSQL is back the result is stored exactly once;
 * - the database hung (its processes SIGSTOPped): requests are answered 503 within STORE_TIMEOUT_MS,
 *   then at once while the breaker is open, instead of piling up.
 * Nothing is skipped: without redis-server or PostgreSQL's binaries the helpers fail with a clear error.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { Room } from "@colyseus/sdk";
import { Redis } from "ioredis";
import pg from "pg";
import { freePort, guest, startNodeProcess, startRedis, tempDir, type NodeHandle, type RedisHandle, sdkClientOf } from "../../support/processes.ts";
import { startPostgres, type PostgresHandle } from "../../support/postgres.ts";
import { sleep, until } from "../../support/wait.ts";

const JWT_SECRET = "store-cluster-secret-0123456789-abcdefghijkl";
const ADMIN_TOKEN = "store-cluster-admin-0123456789-abcdefghijkl";
interface Json { [k: string]: any } // eslint-disable-line @typescript-eslint/no-explicit-any

async function call(base: string, method: string, path: string, body?: unknown, token?: string): Promise<{ status: number; body: Json; ms: number }> {
  const t0 = performance.now();
  const res = await fetch(`${base}${path}`, {
    method,
    headers: { ...(body !== undefined ? { "content-type": "application/json" } : {}), ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: body !== undefined ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as Json) : {}, ms: performance.now() - t0 };
}

describe("two nodes, one PostgreSQL store", function () {
  this.timeout(120_000);
  let redis: RedisHandle;
  let db: PostgresHandle;
  let databaseUrl: string;
  let r: Redis;
  let A: NodeHandle;
  let B: NodeHandle;
  const nodes: NodeHandle[] = [];
  const rooms: Room[] = [];

  before(async () => {
    [redis, db] = await Promise.all([startRedis(), startPostgres()]);
    databaseUrl = await db.createDatabase();
    r = new Redis(redis.url);
    const common = {
      REDIS_URL: redis.url, DATABASE_URL: databaseUrl, JWT_SECRET, ADMIN_TOKEN, LOG_LEVEL: "warn", SERVE_DEMO: "false", REGION: "local",
      AUTH_RATE_PER_MIN: "1000", DATABASE_CONNECT_TIMEOUT_MS: "1000", STORE_BREAKER_FAILURES: "2", STORE_BREAKER_OPEN_MS: "1000",
    };
    const [portA, portB] = [await freePort(), await freePort()];
    // Rooms may be placed on either node; PUBLIC_ADDRESS sends the client to the one that owns it.
    A = await startNodeProcess({ ...common, DATA_DIR: tempDir(), PORT: String(portA), PUBLIC_ADDRESS: `127.0.0.1:${portA}` });
    nodes.push(A);
    B = await startNodeProcess({ ...common, DATA_DIR: tempDir(), PORT: String(portB), PUBLIC_ADDRESS: `127.0.0.1:${portB}` });
    nodes.push(B);
  });

  after(async () => {
    await Promise.allSettled(rooms.map((x) => (x.connection?.isOpen ? x.leave(true) : undefined)));
    await Promise.allSettled(nodes.map((n) => n.stop("SIGKILL")));
    r?.disconnect();
    await Promise.allSettled([redis?.stop(), db?.stop()]);
  });

  afterEach(function () {
    if (this.currentTest?.state === "failed") {
      for (const [i, n] of nodes.entries()) console.error(`--- node ${i ? "B" : "A"} output:\n${n.output.slice(-30).join("\n")}`);
    }
  });

  const clientOf = sdkClientOf;

  it("one deviceId is one player on both nodes", async () => {
    const onA = await guest(A.url, "device-shared-1");
    const onB = await guest(B.url, "device-shared-1");
    assert.equal(onB.playerId, onA.playerId);
    const seenFromB = await call(B.url, "GET", "/v1/players/me", undefined, onA.token);
    assert.equal(seenFromB.status, 200);
    assert.equal(seenFromB.body.playerId, onA.playerId, "a player created on A is known on B");
  });

  it("a rename on B is read on A at once (the profile cache is invalidated cluster-wide)", async () => {
    const p = await guest(A.url, "device-rename-1");
    assert.equal((await call(A.url, "GET", "/v1/players/me", undefined, p.token)).body.name, p.name); // now cached
    const renamed = await call(B.url, "PATCH", "/v1/players/me", { name: "RenamedOnB" }, p.token);
    assert.equal(renamed.status, 200, JSON.stringify(renamed.body));
    assert.equal((await call(A.url, "GET", "/v1/players/me", undefined, p.token)).body.name, "RenamedOnB");
    assert.equal((await call(A.url, "GET", `/v1/players/${p.playerId}`, undefined, p.token)).body.name, "RenamedOnB");
  });

  it("a ban on A refuses the player's next request and room join on B within one second", async () => {
    const p = await guest(A.url, "device-ban-1");
    assert.equal((await call(B.url, "GET", "/v1/players/me", undefined, p.token)).status, 200); // cached on B's side too
    const banned = await call(A.url, "POST", `/v1/admin/players/${p.playerId}/ban`, { reason: "cheating" }, ADMIN_TOKEN);
    assert.equal(banned.status, 200, JSON.stringify(banned.body));
    const t0 = performance.now();
    const next = await call(B.url, "GET", "/v1/players/me", undefined, p.token);
    assert.equal(next.status, 403);
    assert.equal(next.body.error.code, "PLAYER_BANNED");
    await assert.rejects(clientOf(B, p.token).joinOrCreate("lobby"), /PLAYER_BANNED|banned/i);
    const ms = performance.now() - t0;
    assert.ok(ms < 1000, `refused on B ${ms.toFixed(0)} ms after the ban on A`);
  });

  it("a refresh token spent on A is spent on B: replaying it on B revokes the family", async () => {
    const p = await guest(A.url, "device-refresh-1");
    const rotated = await call(A.url, "POST", "/v1/auth/refresh", { refreshToken: p.refreshToken });
    assert.equal(rotated.status, 200, JSON.stringify(rotated.body));
    const replay = await call(B.url, "POST", "/v1/auth/refresh", { refreshToken: p.refreshToken });
    assert.equal(replay.status, 401);
    assert.equal(replay.body.error.code, "AUTH_TOKEN_REUSED");
    const fresh = await call(B.url, "POST", "/v1/auth/refresh", { refreshToken: rotated.body.refreshToken });
    assert.equal(fresh.status, 401, "the family is revoked on every node");
    assert.equal(fresh.body.error.code, "AUTH_REVOKED");
  });

  /** Queues the player on `node`, reads the rating its ticket carries (Redis ticket store), leaves. */
  const ticketRating = async (node: NodeHandle, p: { playerId: string; token: string }): Promise<number> => {
    const queue = await clientOf(node, p.token).joinOrCreate("queue", { mode: "arena" });
    queue.onMessage("*", () => undefined);
    try {
      const rec = await until("the player's ticket in Redis", async () => {
        const pr = await r.hgetall(`rally:mm:p:${p.playerId}`);
        return pr.ticketId ? r.hgetall(`rally:mm:t:${pr.ticketId}`).then((t) => (t.data ? t : null)) : null;
      });
      return (JSON.parse(rec.data) as { playerRatings: number[] }).playerRatings[0];
    } finally {
      await queue.leave(true);
      await until("the ticket cancelled", async () => (await r.hget(`rally:mm:p:${p.playerId}`, "state")) !== "queued");
    }
  };

  it("a rating written through B is the rating A's matcher puts on the player's next ticket", async () => {
    const p = await guest(A.url, "device-rating-1");
    const before = await ticketRating(A, p); // A has now read (and remembered) the first rating
    const set = await call(B.url, "PUT", `/v1/admin/players/${p.playerId}/rating`, { mode: "arena", rating: before + 400 }, ADMIN_TOKEN);
    assert.equal(set.status, 200, JSON.stringify(set.body));
    const after = await ticketRating(A, p);
    assert.ok(Math.abs(after - (before + 400)) < 1, `A's ticket carries ${after}, expected ${before + 400}`);
  });

  /** Results waiting to be stored, over both nodes (rally_results_pending). */
  const pendingResults = async (): Promise<number> => {
    let n = 0;
    for (const node of [A, B]) {
      const m = /rally_results_pending\{[^}]*\} (\d+)/.exec(await (await fetch(`${node.url}/metrics`)).text());
      n += Number(m?.[1] ?? 0);
    }
    return n;
  };

  it("PostgreSQL stopped while a match ends: 503 STORE_UNAVAILABLE fast, rooms keep ticking, the queue matches on the ratings it last read, the result is stored exactly once after the restart", async () => {
    // two matches: one ends while the database is down, the other keeps running
    const players = await Promise.all([1, 2, 3, 4].map((i) => guest(A.url, `device-outage-${i}`)));
    const join = async (i: number, roomId?: string) => {
      const room = roomId ? await clientOf(A, players[i].token).joinById(roomId) : await clientOf(A, players[i].token).create("arena");
      room.onMessage("*", () => undefined);
      rooms.push(room);
      return room;
    };
    const ending = await join(0);
    await join(1, ending.roomId);
    const running = await join(2);
    const other = await join(3, running.roomId);
    const state = (room: Room) => room.state as { phase?: string; elapsedMs?: number };
    await until("both matches playing", () => state(ending).phase === "playing" && state(other).phase === "playing");

    // a player who queued before the outage (A remembers the rating it read), with a rating of its own
    const queuer = await guest(A.url, "device-outage-queuer");
    assert.equal((await call(B.url, "PUT", `/v1/admin/players/${queuer.playerId}/rating`, { mode: "arena", rating: 1850 }, ADMIN_TOKEN)).status, 200);
    assert.equal(Math.round(await ticketRating(A, queuer)), 1850);

    await db.stopServer("fast");
    const down: Array<{ status: number; code?: string; ms: number }> = [];
    for (let i = 0; i < 6; i++) {
      const res = await call(A.url, "POST", "/v1/auth/guest", { deviceId: `device-during-outage-${i}` });
      down.push({ status: res.status, code: res.body.error?.code, ms: Math.round(res.ms) });
    }
    assert.ok(down.every((d) => d.status === 503 && d.code === "STORE_UNAVAILABLE"), JSON.stringify(down));
    assert.ok(down.slice(2).every((d) => d.ms < 500), `answers once the breaker is open: ${JSON.stringify(down)}`);

    // the queue keeps taking tickets on the last ratings read; a rating never read cannot be guessed
    assert.equal(Math.round(await ticketRating(A, queuer)), 1850, "ticket made on the last-known rating while the store is down");
    await assert.rejects(clientOf(A, players[2].token).joinOrCreate("queue", { mode: "arena" }), /STORE_UNAVAILABLE|unavailable/i);

    // the match ends now (both players leave), its result cannot be stored yet
    const matchId = ending.roomId;
    await Promise.all(rooms.slice(0, 2).map((x) => x.leave(true)));
    await until("the result waiting in its node's outbox", async () => (await pendingResults()) === 1, 15_000);

    const t0 = state(other).elapsedMs ?? 0;
    await sleep(1000);
    const ticked = (state(other).elapsedMs ?? 0) - t0;
    assert.ok(ticked >= 500, `the other match kept ticking while the database was down (${ticked} ms of game time in 1 s)`);

    await db.startServer();
    const client = new pg.Client({ connectionString: databaseUrl });
    await client.connect();
    try {
      await until("the result stored after the restart", async () => (await client.query("SELECT count(*)::int AS n FROM matches WHERE match_id = $1", [matchId])).rows[0].n === 1, 60_000, 250);
      await until("no result waiting any more", async () => (await pendingResults()) === 0, 15_000);
      const history = await client.query("SELECT player_id FROM history WHERE match_id = $1 ORDER BY player_id", [matchId]);
      assert.deepEqual(history.rows.map((x) => x.player_id), [players[0].playerId, players[1].playerId].sort(), "one history row per player, once");
    } finally {
      await client.end();
    }
    const back = await until("the API answering again", async () => {
      const res = await call(B.url, "POST", "/v1/auth/guest", { deviceId: "device-after-outage" });
      return res.status === 200 ? res : null;
    }, 20_000, 200);
    assert.ok(back.body.playerId);
    console.log(`      figures: answers while PostgreSQL was down (ms): ${down.map((d) => d.ms).join(", ")}; game time in 1 s: ${ticked} ms`);
  });

  it("PostgreSQL hung (SIGSTOP): a burst of requests is answered 503 within STORE_TIMEOUT_MS, then at once; SIGCONT: back", async () => {
    // the postmaster (first line of postmaster.pid) and its backends
    const postmaster = Number(readFileSync(join(db.dataDir, "postmaster.pid"), "utf8").split("\n")[0]);
    const children = spawnSync("pgrep", ["-P", String(postmaster)], { encoding: "utf8" }).stdout.split("\n").filter(Boolean).map(Number);
    const pids = [postmaster, ...children];
    const signal = (sig: NodeJS.Signals) => { for (const pid of pids) { try { process.kill(pid, sig); } catch { /* gone */ } } };
    signal("SIGSTOP");
    try {
      const burst = await Promise.all(Array.from({ length: 20 }, (_, i) => call(A.url, "POST", "/v1/auth/guest", { deviceId: `device-hung-${i}` })));
      assert.ok(burst.every((x) => x.status === 503 && x.body.error?.code === "STORE_UNAVAILABLE"), JSON.stringify(burst.map((x) => x.status)));
      const slowest = Math.max(...burst.map((x) => x.ms));
      assert.ok(slowest < 2000 + 1500, `the burst was answered within STORE_TIMEOUT_MS (2000) + slack: slowest ${slowest.toFixed(0)} ms`);
      const after: number[] = [];
      for (let i = 0; i < 5; i++) {
        const x = await call(A.url, "POST", "/v1/auth/guest", { deviceId: `device-hung-after-${i}` });
        assert.equal(x.body.error?.code, "STORE_UNAVAILABLE");
        after.push(Math.round(x.ms));
      }
      assert.ok(after.every((ms) => ms < 500), `open breaker: ${after.join(", ")} ms`);
      console.log(`      figures: hung database, burst of 20 answered in <= ${slowest.toFixed(0)} ms; then ${after.join(", ")} ms`);
    } finally {
      signal("SIGCONT");
    }
    const back = await until("the API answering again", async () => {
      const x = await call(A.url, "POST", "/v1/auth/guest", { deviceId: "device-after-hang" });
      return x.status === 200 ? x : null;
    }, 30_000, 200);
    assert.ok(back.body.playerId);
  });
});
