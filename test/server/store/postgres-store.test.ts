/**
 * What the PostgreSQL store adds beyond the shared conformance suite (test/server/store/store.test.ts), each on a
 * private PostgreSQL server: exactly-once under real concurrency (several pools, like several nodes,
 * racing on one database), migrations (two nodes starting at once, a schema newer than the code),
 * hash partitions by player id (EXPLAIN shows one partition per player lookup), and config.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import pg from "pg";
import type { MatchResult } from "../../../rooms/index.ts";
import { ConfigError, loadConfig } from "../../../server/config.ts";
import { createPostgresStore, postgresSettings, type RatingRecord, type ResultPlanner, type Store } from "../../../server/store/index.ts";
import { loadMigrations, migrate } from "../../../server/store/postgres.ts";
import { startPostgres, type PostgresHandle } from "../../support/postgres.ts";
import { freePort, repoRoot, tempDir } from "../../support/processes.ts";

/** The PostgreSQL store's settings at their config defaults (server/config.ts). */
const PG = postgresSettings(loadConfig({}));

function result(matchId: string, players: readonly string[] = ["a", "b"]): MatchResult {
  return {
    matchId, roomName: "arena", region: "local", mode: null, outcome: "completed", reason: "score-limit",
    startedAt: 1_000, endedAt: 61_000, durationMs: 60_000,
    teams: [{ team: 0, score: 15, playerIds: [players[0]] }, { team: 1, score: 3, playerIds: players.slice(1) }],
    players: players.map((playerId, i) => ({ playerId, name: playerId, team: i === 0 ? 0 : 1, score: i === 0 ? 15 : 3, present: true })),
    winnerTeam: 0,
  };
}

/** Each player: +1 match, a win for team 0; history, a leaderboard row and 10 coins. */
function plan(r: MatchResult): ResultPlanner {
  return (current) => {
    const ratings = r.players.map((p): RatingRecord => {
      const before = current.get(p.playerId) ?? { playerId: p.playerId, mode: "arena", mu: 25, sigma: 8, mmr: 0, wins: 0, losses: 0, draws: 0, matches: 0, updatedAt: 0 };
      const win = p.team === r.winnerTeam;
      return { ...before, mu: before.mu + (win ? 1 : -1), wins: before.wins + (win ? 1 : 0), losses: before.losses + (win ? 0 : 1), matches: before.matches + 1, updatedAt: r.endedAt };
    });
    return {
      ratings,
      history: r.players.map((p) => ({ playerId: p.playerId, matchId: r.matchId, mode: "arena", endedAt: r.endedAt, team: p.team, score: p.score, outcome: p.team === r.winnerTeam ? "win" as const : "loss" as const, mmrBefore: null, mmrAfter: null })),
      leaderboards: r.players.map((p) => ({ board: "score.arena.all", playerId: p.playerId, score: p.score, keep: "best" as const })),
      rewards: r.players.map((p) => ({ playerId: p.playerId, items: { coins: 10 } })),
    };
  };
}

async function sql(url: string, text: string, params: unknown[] = []): Promise<pg.QueryResult> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await client.query(text, params);
  } finally {
    await client.end();
  }
}

describe("PostgreSQL store", function () {
  this.timeout(60_000);
  let db: PostgresHandle;
  before(async function () {
    this.timeout(120_000);
    db = await startPostgres();
  });
  after(async () => db?.stop());

  describe("exactly once under concurrency (two pools on one database, like two nodes)", () => {
    let url: string;
    let nodeA: Store;
    let nodeB: Store;
    beforeEach(async () => {
      url = await db.createDatabase();
      nodeA = await createPostgresStore({ ...PG, url, poolMax: 10 });
      nodeB = await createPostgresStore({ ...PG, url, poolMax: 10 });
    });
    afterEach(async () => Promise.all([nodeA.close(), nodeB.close()]));
    const either = (i: number) => (i % 2 === 0 ? nodeA : nodeB);

    it("the same matchId applied 10 times at once is applied once", async () => {
      const r = result("m-10x");
      const out = await Promise.all(Array.from({ length: 10 }, (_, i) => either(i).matches.apply(r, plan(r))));
      assert.equal(out.filter(Boolean).length, 1);
      assert.equal((await nodeA.ratings.get("a", "arena"))?.matches, 1);
      assert.equal((await nodeA.matches.history("b", { limit: 10 })).length, 1);
      assert.deepEqual(await nodeA.inventory.get("a"), { coins: 10 });
      assert.equal(await nodeB.leaderboards.count("score.arena.all"), 2);
    });

    it("10 different results for the same players at once: every one counts (no lost rating update)", async () => {
      const out = await Promise.all(Array.from({ length: 10 }, (_, i) => {
        const r = result(`m-many-${i}`, i % 2 ? ["a", "b", "c"] : ["b", "a"]);
        return either(i).matches.apply(r, plan(r));
      }));
      assert.deepEqual(out, Array(10).fill(true));
      const a = await nodeA.ratings.get("a", "arena");
      const b = await nodeB.ratings.get("b", "arena");
      assert.equal(a?.matches, 10);
      assert.equal(b?.matches, 10);
      assert.equal(a!.wins + a!.losses, 10);
      assert.equal(b!.wins + b!.losses, 10);
      assert.equal((await nodeA.ratings.get("c", "arena"))?.matches, 5);
      assert.equal((await nodeA.matches.history("a", { limit: 100 })).length, 10);
      assert.deepEqual(await nodeB.inventory.get("a"), { coins: 100 });
    });

    it("50 parallel consumes of the last item: exactly one applied, the count never below zero", async () => {
      await nodeA.inventory.grant("p", { potion: 1, coins: 5 }, "g");
      const out = await Promise.allSettled(Array.from({ length: 50 }, (_, i) => either(i).inventory.consume("p", { potion: 1 }, `use-${i}`)));
      assert.equal(out.filter((o) => o.status === "fulfilled").length, 1);
      for (const o of out) if (o.status === "rejected") assert.equal((o.reason as { code?: string }).code, "INSUFFICIENT_ITEMS", String(o.reason));
      assert.deepEqual(await nodeA.inventory.get("p"), { coins: 5 });
      const rows = await sql(url, "SELECT qty FROM inventory WHERE player_id = 'p' AND item = 'potion'");
      assert.deepEqual(rows.rows.map((r) => Number(r.qty)), [0]);
    });

    it("50 parallel grants with one idempotency key: one applied, one copy of the items", async () => {
      const out = await Promise.all(Array.from({ length: 50 }, (_, i) => either(i).inventory.grant("p", { gem: 3 }, "order-1")));
      assert.equal(out.filter((o) => o.applied).length, 1);
      for (const o of out) assert.deepEqual(o.items, { gem: 3 });
      assert.deepEqual(await nodeB.inventory.get("p"), { gem: 3 });
    });

    it("50 parallel consumes of one key with stock for all: applied once", async () => {
      await nodeA.inventory.grant("p", { coins: 1000 }, "g");
      const out = await Promise.all(Array.from({ length: 50 }, (_, i) => either(i).inventory.consume("p", { coins: 7 }, "buy-1")));
      assert.equal(out.filter((o) => o.applied).length, 1);
      assert.deepEqual(await nodeA.inventory.get("p"), { coins: 993 });
    });

    it("a rotated refresh token spent on two nodes at once: one rotates, the family is revoked", async () => {
      await nodeA.sessions.create({ familyId: "f1", playerId: "p", jti: "j1", expiresAt: Date.now() + 60_000 });
      const out = await Promise.all([nodeA.sessions.rotate("f1", "j1", "j2a", 1), nodeB.sessions.rotate("f1", "j1", "j2b", 1)]);
      assert.deepEqual([...out].sort(), ["reused", "rotated"]);
      assert.equal(await nodeA.sessions.rotate("f1", "j2a", "j3", 1), "revoked");
    });

    it("one platform identity signed in on two nodes at once (10 calls): one player", async () => {
      const out = await Promise.all(Array.from({ length: 10 }, (_, i) => either(i).identities.signIn("google", "both-nodes")));
      assert.equal(new Set(out.map((o) => o.player.id)).size, 1);
      assert.equal(out.filter((o) => o.created).length, 1);
      assert.equal(Number((await sql(url, "SELECT count(*) AS n FROM players")).rows[0].n), 1);
    });

    it("a player's last two identities unlinked on two nodes at once: one stays", async () => {
      const { player } = await nodeA.identities.signIn("google", "g-two");
      await nodeA.identities.link(player.id, "steam", "s-two");
      const out = await Promise.allSettled([nodeA.identities.unlink(player.id, "google"), nodeB.identities.unlink(player.id, "steam")]);
      assert.equal(out.filter((o) => o.status === "fulfilled").length, 1);
      assert.equal((await nodeB.identities.list(player.id)).length, 1);
    });
  });

  it("survives a database restart: dropped pooled connections are replaced, nothing crashes", async () => {
    const url = await db.createDatabase();
    const store = await createPostgresStore({ ...PG, url, poolMax: 4 });
    try {
      // Fill the pool with idle connections, which the restart then terminates.
      await Promise.all(Array.from({ length: 4 }, (_, i) => store.players.guest(`restart-${i}`)));
      await db.restart();
      const p = await store.players.guest("restart-after");
      assert.equal((await store.players.get(p.id))?.id, p.id);
      assert.equal((await store.players.guest("restart-0")).deviceId, "restart-0");
    } finally {
      await store.close();
    }
  });

  describe("migrations", () => {
    it("two nodes starting at once on a new database apply each migration once", async () => {
      const url = await db.createDatabase();
      const stores = await Promise.all([createPostgresStore({ ...PG, url }), createPostgresStore({ ...PG, url }), createPostgresStore({ ...PG, url })]);
      try {
        const rows = (await sql(url, "SELECT version, count(*)::int AS n FROM schema_migrations GROUP BY version ORDER BY version")).rows;
        assert.ok(rows.length >= 1);
        for (const r of rows) assert.equal(r.n, 1);
        assert.equal((await stores[1].players.guest("d1")).id, (await stores[2].players.guest("d1")).id);
      } finally {
        await Promise.all(stores.map((s) => s.close()));
      }
    });

    it("refuses, with one line naming DATABASE_URL, a schema newer than the code", async () => {
      const url = await db.createDatabase();
      await (await createPostgresStore({ ...PG, url })).close();
      await sql(url, "INSERT INTO schema_migrations (version, name, applied_at) VALUES (999, 'from_the_future', 0)");
      await assert.rejects(createPostgresStore({ ...PG, url }), (e: unknown) => {
        // (by name: the store module is loaded lazily, through its own import of the config module)
        assert.equal((e as Error).name, "ConfigError", String(e));
        assert.equal((e as ConfigError).variable, "DATABASE_URL");
        assert.match((e as Error).message, /schema is at version 999, newer than this Rally's \d+/);
        assert.ok(!(e as Error).message.includes("\n"));
        return true;
      });
      // `npm start` against it: exit 1, one stderr line.
      const env: Record<string, string | undefined> = { ...process.env, DATABASE_URL: url, PORT: String(await freePort()), LOG_LEVEL: "silent", DATA_DIR: tempDir() };
      delete env.MONGO_URL;
      delete env.REDIS_URL;
      const run = spawnSync(process.execPath, ["--import", "tsx", join(repoRoot, "server/main.ts")], { cwd: repoRoot, env, encoding: "utf8", timeout: 30_000 });
      assert.equal(run.status, 1, `exit status (stderr: ${run.stderr})`);
      const lines = run.stderr.split("\n").filter((l) => l.trim() !== "");
      assert.equal(lines.length, 1, run.stderr);
      assert.match(lines[0], /DATABASE_URL: the database schema is at version 999/);
    });

    it("records the partition count when the schema is created; a later DATABASE_PARTITIONS does not change it", async () => {
      const url = await db.createDatabase();
      await (await createPostgresStore({ ...PG, url, partitions: 3 })).close();
      await (await createPostgresStore({ ...PG, url, partitions: 16 })).close();
      assert.equal((await sql(url, "SELECT value FROM rally_settings WHERE key = 'partitions'")).rows[0].value, "3");
      const parts = await sql(url, "SELECT count(*)::int AS n FROM pg_inherits WHERE inhparent = 'players'::regclass");
      assert.equal(parts.rows[0].n, 3);
      const inboxParts = await sql(url, "SELECT count(*)::int AS n FROM pg_inherits WHERE inhparent = 'inbox'::regclass");
      assert.equal(inboxParts.rows[0].n, 3, "later migrations (003: inbox) use the recorded count too");
    });
  });

  it("migration 002 (identities) partitions by the count recorded at creation, not the migrating node's DATABASE_PARTITIONS", async () => {
    const url = await db.createDatabase();
    const pool = new pg.Pool({ connectionString: url });
    try {
      await migrate(pool, 3, loadMigrations().filter((m) => m.version === 1));
    } finally {
      await pool.end();
    }
    const store = await createPostgresStore({ ...PG, url, partitions: 16 });
    try {
      const parts = await sql(url, "SELECT count(*)::int AS n FROM pg_inherits WHERE inhparent = 'player_identities'::regclass");
      assert.equal(parts.rows[0].n, 3);
      const { player } = await store.identities.signIn("google", "migrated");
      assert.equal((await store.identities.find("google", "migrated"))?.playerId, player.id);
    } finally {
      await store.close();
    }
  });

  describe("partitions by player id", () => {
    let url: string;
    let store: Store;
    before(async () => {
      url = await db.createDatabase();
      store = await createPostgresStore({ ...PG, url, partitions: 8 });
      for (let i = 0; i < 40; i++) {
        const p = await store.players.guest(`device-${i}`);
        const r = result(`m-${i}`, [p.id, "other"]);
        await store.matches.apply(r, plan(r));
      }
    });
    after(async () => store?.close());

    /** The partitions of `table` that a plan reads (by relation name). */
    function partitionsIn(plan: unknown, table: string): string[] {
      const found = new Set<string>();
      const walk = (node: unknown) => {
        if (!node || typeof node !== "object") return;
        const rel = (node as Record<string, unknown>)["Relation Name"];
        if (typeof rel === "string" && rel.startsWith(`${table}_p`)) found.add(rel);
        for (const v of Object.values(node)) walk(v);
      };
      walk(plan);
      return [...found];
    }

    for (const [table, where] of [
      ["players", "player_id = $1"],
      ["ratings", "player_id = $1 AND mode = 'arena'"],
      ["history", "player_id = $1 ORDER BY ended_at DESC, match_id DESC LIMIT 20"],
      ["inventory", "player_id = $1 AND qty > 0"],
      ["player_identities", "player_id = $1"],
      ["inbox", "player_id = $1 ORDER BY id DESC LIMIT 20"],
    ] as const) {
      it(`a ${table} lookup by player reads one of the 8 partitions (custom and generic plans)`, async () => {
        const player = (await store.players.guest("device-7")).id;
        const client = new pg.Client({ connectionString: url });
        await client.connect();
        try {
          const literal = client.escapeLiteral(player);
          const custom = await client.query(`EXPLAIN (ANALYZE, FORMAT JSON) SELECT * FROM ${table} WHERE ${where.replace("$1", literal)}`);
          assert.equal(partitionsIn(custom.rows[0]["QUERY PLAN"], table).length, 1, JSON.stringify(custom.rows[0]));
          // A generic (cached) plan cannot prune at planning time: it prunes when it runs.
          await client.query("SET plan_cache_mode = force_generic_plan");
          await client.query(`PREPARE lookup(text) AS SELECT * FROM ${table} WHERE ${where.replace("$1", "$1::text")}`);
          const generic = (await client.query(`EXPLAIN (ANALYZE, FORMAT JSON) EXECUTE lookup(${literal})`)).rows[0]["QUERY PLAN"][0].Plan;
          const removed = JSON.stringify(generic).match(/"Subplans Removed":(\d+)/);
          assert.ok(removed && Number(removed[1]) === 7, `7 of 8 partitions pruned at run time: ${JSON.stringify(generic)}`);
        } finally {
          await client.end();
        }
      });
    }

    it("every player-keyed table is partitioned by hash of player_id, with player_id in its primary key", async () => {
      const rows = (await sql(url, `SELECT c.relname, pg_get_partkeydef(c.oid) AS key, pg_get_constraintdef(k.oid) AS pk
                                    FROM pg_class c JOIN pg_constraint k ON k.conrelid = c.oid AND k.contype = 'p'
                                    WHERE c.relkind = 'p' ORDER BY 1`)).rows;
      assert.deepEqual(rows.map((r) => r.relname), ["friend_links", "history", "idempotency", "inbox", "inventory", "player_identities", "players", "ratings"]);
      for (const r of rows) {
        assert.equal(r.key, "HASH (player_id)", r.relname);
        assert.match(r.pk, /^PRIMARY KEY \(player_id\b/, r.relname);
      }
    });
  });

  describe("config", () => {
    it("DATABASE_URL picks PostgreSQL; set together with MONGO_URL it is refused in one line", () => {
      const config = loadConfig({ DATABASE_URL: "postgresql://u@h/db", DATABASE_READ_URL: "postgres://u@r/db" });
      assert.equal(config.DATABASE_URL, "postgresql://u@h/db");
      assert.equal(config.DATABASE_PARTITIONS, 8);
      assert.throws(() => loadConfig({ DATABASE_URL: "postgres://u@h/db", MONGO_URL: "mongodb://m/db" }),
        (e: unknown) => e instanceof ConfigError && e.variable === "DATABASE_URL" && /not both/.test(e.message));
      assert.throws(() => loadConfig({ DATABASE_READ_URL: "postgres://u@r/db" }),
        (e: unknown) => e instanceof ConfigError && e.variable === "DATABASE_READ_URL");
    });
  });
});
