/**
 * DATABASE_READ_URL with a real streaming replica (pg_basebackup -R into a second private server):
 * lag-tolerant reads (other players' profiles, leaderboards) come from the replica, a player's own
 * reads stay on the primary, and with the replica stopped reads fall back to the primary quickly while
 * the API keeps answering. Replay is paused on the replica to make "which server answered" visible.
 */
import assert from "node:assert/strict";
import pg from "pg";
import { Registry } from "prom-client";
import { createPostgresStore, postgresSettings, type Store } from "../../../server/store/index.ts";
import { startPostgres, type PostgresHandle } from "../../support/postgres.ts";
import { startTestNode, type TestNode } from "../../support/rooms.ts";
import { until } from "../../support/wait.ts";
import { loadConfig } from "../../../server/config.ts";

/** The PostgreSQL store's settings at their config defaults (server/config.ts). */
const PG = postgresSettings(loadConfig({}));

const ADMIN_TOKEN = "replica-admin-token-0123456789-abcdefghijkl";

async function sql(url: string, text: string): Promise<pg.QueryResult> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await client.query(text);
  } finally {
    await client.end();
  }
}

type Json = Record<string, unknown>;
async function call(base: string, method: string, path: string, token?: string, body?: unknown): Promise<{ status: number; body: Json }> {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: { ...(body !== undefined ? { "content-type": "application/json" } : {}), ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: body !== undefined ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as Json) : {} };
}

describe("PostgreSQL read replica (DATABASE_READ_URL)", function () {
  this.timeout(90_000);
  let db: PostgresHandle;
  let database: string;
  let replicaUrl: string;
  const pauseReplay = () => sql(replicaUrl, "SELECT pg_wal_replay_pause()");
  const resumeReplay = () => sql(replicaUrl, "SELECT pg_wal_replay_resume()");

  before(async function () {
    this.timeout(120_000);
    db = await startPostgres({ replica: true });
  });
  after(async () => db?.stop());
  beforeEach(async () => {
    const url = await db.createDatabase();
    database = url.slice(url.lastIndexOf("/") + 1);
    replicaUrl = db.replica!.urlFor(database);
    if (!db.replica) throw new Error("no replica");
    await db.replica.startServer(); // a test may have stopped it
  });

  it("a write on the primary is read back from the replica; own reads stay on the primary", async () => {
    const store = await createPostgresStore({ ...PG, url: db.urlFor(database), readUrl: replicaUrl });
    try {
      const p = await store.players.guest("device-r1");
      await db.waitForReplay();
      assert.equal((await store.replica!.players.get(p.id))?.name, p.name, "replayed write read from the replica");

      await pauseReplay();
      await store.players.rename(p.id, "Renamed");
      await store.leaderboards.submit({ board: "score.arena.all", playerId: p.id, score: 42, keep: "best" });
      assert.equal((await store.replica!.players.get(p.id))?.name, p.name, "the replica has not replayed the rename: it answered");
      assert.equal(await store.replica!.leaderboards.count("score.arena.all"), 0);
      assert.equal((await store.players.get(p.id))?.name, "Renamed", "own read: the primary");

      await resumeReplay();
      await db.waitForReplay();
      assert.equal((await store.replica!.players.get(p.id))?.name, "Renamed");
      assert.deepEqual(await store.replica!.leaderboards.top("score.arena.all", 10), [{ playerId: p.id, score: 42, rank: 1 }]);
    } finally {
      await resumeReplay().catch(() => undefined);
      await store.close();
    }
  });

  it("with the replica stopped, reads fall back to the primary at once and come back to the replica later", async () => {
    const registry = new Registry();
    const store = await createPostgresStore({ ...PG, url: db.urlFor(database), readUrl: replicaUrl, replicaRetryMs: 500, registry });
    const fallbacks = async () => (await registry.getSingleMetric("rally_store_replica_fallbacks_total")!.get()).values[0]?.value ?? 0;
    try {
      const p = await store.players.guest("device-r2");
      await db.waitForReplay();
      assert.ok(await store.replica!.players.get(p.id));
      await db.replica!.stopServer();
      await store.players.rename(p.id, "WhileDown");
      const started = Date.now();
      assert.equal((await store.replica!.players.get(p.id))?.name, "WhileDown", "answered by the primary");
      for (let i = 0; i < 20; i++) assert.equal((await store.replica!.players.getMany([p.id]))[0]?.name, "WhileDown");
      assert.ok(Date.now() - started < 5000, `21 reads with the replica down took ${Date.now() - started} ms`);
      assert.equal(await fallbacks(), 21, "each counted in rally_store_replica_fallbacks_total");

      await db.replica!.startServer();
      await db.waitForReplay();
      await pauseReplay();
      await store.players.rename(p.id, "AfterRestart");
      // Once the retry window has passed, the replica answers again (it has not replayed the rename).
      await until("reads back on the replica", async () => (await store.replica!.players.get(p.id))?.name === "WhileDown", 10_000, 100);
    } finally {
      await resumeReplay().catch(() => undefined);
      await store.close();
    }
  });

  describe("through a real node", () => {
    let node: TestNode;
    let store: Store;
    beforeEach(async () => {
      store = await createPostgresStore({ ...PG, url: db.urlFor(database), readUrl: replicaUrl });
      node = await startTestNode({ ADMIN_TOKEN, DATABASE_URL: db.urlFor(database), DATABASE_READ_URL: replicaUrl }, { store });
    });
    afterEach(async () => {
      await resumeReplay().catch(() => undefined);
      await node?.close();
    });

    const guest = async (deviceId: string) => (await call(node.url, "POST", "/v1/auth/guest", undefined, { deviceId })).body as { playerId: string; token: string };

    it("another player's profile and the leaderboard come from the replica, your own profile from the primary; replica down: the API keeps answering", async () => {
      const a = await guest("device-node-a");
      const b = await guest("device-node-b");
      await db.waitForReplay();
      await pauseReplay();
      const set = await call(node.url, "PUT", `/v1/admin/players/${b.playerId}/rating`, ADMIN_TOKEN, { mode: "arena", rating: 1800 });
      assert.equal(set.status, 200, JSON.stringify(set.body));

      const seenByA = await call(node.url, "GET", `/v1/players/${b.playerId}`, a.token);
      assert.equal(seenByA.status, 200);
      assert.deepEqual(seenByA.body.ratings, [], "A reads B from the replica, which has not replayed the rating yet");
      const board = await call(node.url, "GET", "/v1/leaderboards/rating.arena", a.token);
      assert.equal(board.body.total, 0, "leaderboard page from the replica");
      const own = await call(node.url, "GET", "/v1/players/me", b.token);
      assert.equal((own.body.ratings as Json[]).length, 1, "B's own profile: the primary");

      await resumeReplay();
      await db.waitForReplay();
      assert.equal((await call(node.url, "GET", "/v1/leaderboards/rating.arena", a.token)).body.total, 1);

      await db.replica!.stopServer();
      const c = await guest("device-node-c");
      const started = Date.now();
      const cByA = await call(node.url, "GET", `/v1/players/${c.playerId}`, a.token);
      assert.equal(cByA.status, 200, JSON.stringify(cByA.body));
      const page = await call(node.url, "GET", "/v1/leaderboards/rating.arena", a.token);
      assert.equal(page.status, 200);
      assert.equal((page.body.entries as Json[])[0]?.playerId, b.playerId);
      assert.ok(Date.now() - started < 5000, `answers with the replica down took ${Date.now() - started} ms`);
    });
  });
});
