/**
 * The production store: PostgreSQL through `pg` and its connection pool (DATABASE_URL), shared by
 * every node of a cluster. Same contract and conformance suite as the embedded store
 * (test/server/store/store.test.ts, test/server/social/social-store.test.ts, test/server/store/postgres-store.test.ts).
 *
 * - Schema: versioned SQL files in migrations/postgres/, applied at start in one transaction under a
 *   transaction-scoped advisory lock (two nodes starting together apply them once); a database whose
 *   schema is newer than this code is refused with one line.
 * - Player-keyed tables are hash-partitioned by player_id (DATABASE_PARTITIONS, fixed when the schema
 *   is created) with player_id leading every primary key: one partition per player lookup, and
 *   Citus' create_distributed_table(table, 'player_id') applies unchanged.
 * - Exactly once under retry and concurrency: a result claims its matchId with
 *   INSERT ... ON CONFLICT DO NOTHING (a concurrent duplicate waits for the first and then finds it);
 *   the read-modify-write of ratings holds a transaction-scoped advisory lock per (player, mode), taken
 *   in one global order; inventory keys are claimed the same way as matchIds and consumes re-check the
 *   count under the row lock (`qty >= n`), so stock never goes negative. Deadlocks and serialization
 *   failures are retried whole.
 * - Nothing session-level: no named prepared statements, no session advisory locks, no SET outside a
 *   transaction, so PgBouncer in transaction pooling mode works in front of it.
 * - Read replicas (DATABASE_READ_URL): `store.replica` serves lag-tolerant reads from the replica;
 *   when it fails, reads go to the primary and the replica is left alone for a few seconds.
 */
import { randomUUID } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import pg from "pg";
import { Counter, Gauge, type Registry } from "prom-client";
import type { MatchResult } from "../../rooms/index.ts";
import { ConfigError } from "../config.ts";
import { RallyError } from "../errors.ts";
import type { Logger } from "../log.ts";
import {
  checkItems, guestName, operationDigest,
  type FriendLink, type HistoryEntry, type IdentityRecord, type InventoryChange, type Items, type LaggingReads, type LeaderboardEntry,
  type LeaderboardWrite, type PlayerRecord, type RatingRecord, type Store, type StoreHooks,
} from "./store.ts";
import { toHistory, toPlayer as playerRow, toRating, type Row } from "./sql-rows.ts";
import { numberPlaceholders, sqlChatRepos } from "./chat-sql.ts";

export interface PostgresStoreOptions {
  /** postgres://user:password@host:port/database */
  url: string;
  /** A streaming replica for lag-tolerant reads (DATABASE_READ_URL). */
  readUrl?: string;
  /** Hash partitions per player-keyed table; used only when the schema is first created (DATABASE_PARTITIONS). */
  partitions: number;
  /** Connections per pool, primary and replica when set (DATABASE_POOL_MAX). */
  poolMax: number;
  /** How long a new connection may take before the call fails (DATABASE_CONNECT_TIMEOUT_MS). */
  connectTimeoutMs: number;
  /** Replica only: connect timeout (default 1000 ms) and how long reads skip it after a failure (default 5000 ms). */
  replicaConnectTimeoutMs?: number;
  replicaRetryMs?: number;
  logger?: Logger;
  /** The node's metrics registry: pool connections and replica fallbacks are reported there. */
  registry?: Registry;
  hooks?: StoreHooks;
}

type Queryable = Pick<pg.PoolClient, "query">;

export interface Migration {
  readonly version: number;
  readonly name: string;
  readonly sql: string;
}

const MIGRATIONS_DIR = fileURLToPath(new URL("./migrations/postgres/", import.meta.url));
/** Key of the advisory lock that serializes migrations (any fixed int8; "rally-mg" in ASCII). */
const MIGRATION_LOCK = 0x72616c6c792d6d67n;

/** The migrations shipped with this code, in order (NNN_name.sql; versions 1..n without gaps). */
export function loadMigrations(dir = MIGRATIONS_DIR): Migration[] {
  const files = readdirSync(dir).filter((f) => /^\d{3}_[a-z0-9_]+\.sql$/.test(f)).sort();
  return files.map((file, i) => {
    const version = Number(file.slice(0, 3));
    if (version !== i + 1) throw new Error(`migration ${file}: expected version ${i + 1} (versions must run 1..n without gaps)`);
    return { version, name: file.slice(4, -4), sql: readFileSync(`${dir}/${file}`, "utf8") };
  });
}

/**
 * Brings the schema up to date: one transaction, serialized by an advisory lock that the commit
 * releases. Refuses (ConfigError on DATABASE_URL, printed as one line) a schema newer than the code.
 */
export async function migrate(pool: pg.Pool, partitions: number, migrations = loadMigrations()): Promise<{ from: number; to: number }> {
  const latest = migrations.at(-1)?.version ?? 0;
  const client = await pool.connect();
  const lost = () => undefined; // reported by the failing query; see tx() below
  client.on("error", lost);
  try {
    await client.query("BEGIN");
    await client.query("SELECT pg_advisory_xact_lock($1)", [MIGRATION_LOCK.toString()]);
    await client.query("CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at bigint NOT NULL)");
    const current = Number((await client.query("SELECT coalesce(max(version), 0) AS v FROM schema_migrations")).rows[0].v);
    if (current > latest) {
      throw new ConfigError("DATABASE_URL", `the database schema is at version ${current}, newer than this Rally's ${latest}; run a Rally release at least as new as the one that migrated it`);
    }
    await client.query("SELECT set_config('rally.partitions', $1, true)", [String(partitions)]);
    for (const m of migrations) {
      if (m.version <= current) continue;
      await client.query(m.sql);
      await client.query("INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)", [m.version, m.name, Date.now()]);
    }
    await client.query("COMMIT");
    return { from: current, to: Math.max(current, latest) };
  } catch (e) {
    await client.query("ROLLBACK").catch(() => undefined);
    throw e;
  } finally {
    client.removeListener("error", lost);
    client.release();
  }
}


const toPlayer = (row: Row) => playerRow(row, "player_id");

/** SQLSTATEs after which the whole transaction is simply run again. */
const RETRYABLE = new Set(["40001", "40P01"]);
const sqlState = (e: unknown): string | undefined => {
  const code = (e as { code?: unknown }).code;
  return typeof code === "string" && /^[0-9A-Z]{5}$/.test(code) ? code : undefined;
};
/** An error of the query itself (bad input, constraint, our own RallyError), as opposed to a broken connection or server. */
const isQueryError = (e: unknown): boolean => {
  if (e instanceof RallyError || e instanceof RangeError) return true;
  const state = sqlState(e);
  return state !== undefined && !/^(08|57|53|58|XX)/.test(state);
};

/** The statements of a lag-tolerant read, run on the primary or the replica. */
function laggingReadsOn(run: (sql: string, params: unknown[]) => Promise<Row[]>): LaggingReads {
  const getMany = async (ids: readonly string[]) => {
    if (ids.length === 0) return [];
    const rows = await run("SELECT * FROM players WHERE player_id = ANY($1::text[])", [ids]);
    const byId = new Map(rows.map((r) => [r.player_id as string, toPlayer(r)]));
    return ids.map((id) => byId.get(id)).filter((p): p is PlayerRecord => p !== undefined);
  };
  return {
    players: {
      async get(playerId) {
        const [row] = await run("SELECT * FROM players WHERE player_id = $1", [playerId]);
        return row ? toPlayer(row) : null;
      },
      getMany,
    },
    ratings: {
      async get(playerId, mode) {
        const [row] = await run("SELECT * FROM ratings WHERE player_id = $1 AND mode = $2", [playerId, mode]);
        return row ? toRating(row) : null;
      },
      async list(playerId) {
        return (await run("SELECT * FROM ratings WHERE player_id = $1 ORDER BY mode", [playerId])).map(toRating);
      },
    },
    matches: {
      async history(playerId, { limit, before }) {
        const rows = before
          ? await run(`SELECT * FROM history WHERE player_id = $1 AND (ended_at < $2 OR (ended_at = $2 AND match_id < $3))
                       ORDER BY ended_at DESC, match_id DESC LIMIT $4`, [playerId, before.endedAt, before.matchId, limit])
          : await run("SELECT * FROM history WHERE player_id = $1 ORDER BY ended_at DESC, match_id DESC LIMIT $2", [playerId, limit]);
        return rows.map(toHistory);
      },
    },
    leaderboards: {
      async top(board, limit, offset = 0) {
        const rows = await run("SELECT player_id, score FROM leaderboard WHERE board = $1 ORDER BY score DESC, player_id DESC LIMIT $2 OFFSET $3", [board, limit, offset]);
        return rows.map((r, i): LeaderboardEntry => ({ playerId: r.player_id as string, score: Number(r.score), rank: offset + i + 1 }));
      },
      async entry(board, playerId) {
        const [row] = await run(`SELECT me.score, (SELECT count(*) FROM leaderboard o WHERE o.board = me.board
                                   AND (o.score > me.score OR (o.score = me.score AND o.player_id > me.player_id))) AS ahead
                                 FROM leaderboard me WHERE me.board = $1 AND me.player_id = $2`, [board, playerId]);
        return row ? { playerId, score: Number(row.score), rank: Number(row.ahead) + 1 } : null;
      },
      async count(board) {
        return Number((await run("SELECT count(*) AS n FROM leaderboard WHERE board = $1", [board]))[0].n);
      },
    },
  };
}

export async function createPostgresStore(options: PostgresStoreOptions): Promise<Store> {
  const { hooks = {}, logger } = options;
  const partitions = options.partitions;
  if (!Number.isInteger(partitions) || partitions < 1 || partitions > 1024) throw new RangeError("partitions: 1 to 1024");
  const poolOptions = (connectionString: string, connectionTimeoutMillis: number): pg.PoolConfig => ({
    connectionString, max: options.poolMax, connectionTimeoutMillis, idleTimeoutMillis: 30_000, application_name: "rally",
  });
  const primary = new pg.Pool(poolOptions(options.url, options.connectTimeoutMs));
  // An idle pooled connection that the server drops (restart, failover) emits here; unhandled it would
  // end the process. The next query opens a new connection.
  primary.on("error", (err) => logger?.warn({ err }, "PostgreSQL: idle connection lost"));
  try {
    const { from, to } = await migrate(primary, partitions);
    if (from !== to) logger?.info({ from, to }, "PostgreSQL schema migrated");
  } catch (e) {
    await primary.end().catch(() => undefined);
    throw e;
  }

  let closed = false;
  const guard = () => {
    if (closed) throw new Error("store is closed");
  };
  const read = async (sql: string, params: unknown[] = []): Promise<Row[]> => {
    guard();
    return (await primary.query(sql, params)).rows as Row[];
  };
  /** Runs fn in one transaction on one connection; retried whole on deadlock or serialization failure. */
  async function tx<T>(fn: (c: pg.PoolClient) => Promise<T>): Promise<T> {
    guard();
    for (let attempt = 1; ; attempt++) {
      const client = await primary.connect();
      let broken: Error | undefined;
      // The pool stops listening for a client's errors while it is checked out; a connection lost
      // between two statements would otherwise be an unhandled 'error' event (a crash).
      const lost = (err: Error) => { broken = err; };
      client.on("error", lost);
      try {
        await client.query("BEGIN");
        const out = await fn(client);
        await client.query("COMMIT");
        return out;
      } catch (e) {
        try {
          await client.query("ROLLBACK");
        } catch (rollbackError) {
          broken = rollbackError as Error; // the connection is gone: the pool must not reuse it
        }
        if (RETRYABLE.has(sqlState(e) ?? "") && attempt < 5) continue;
        throw e;
      } finally {
        client.removeListener("error", lost);
        client.release(broken);
      }
    }
  }

  /** Transaction-scoped advisory locks on string keys, taken in one global order (no deadlock between two takers). */
  const lockKeys = async (c: Queryable, keys: readonly string[]) => {
    if (keys.length === 0) return;
    await c.query(`SELECT pg_advisory_xact_lock(k) FROM (SELECT DISTINCT hashtextextended(x, 0) AS k FROM unnest($1::text[]) AS x ORDER BY 1) AS s`, [keys]);
  };
  const pairKey = (a: string, b: string) => (a < b ? `friends:${a}:${b}` : `friends:${b}:${a}`);

  const getPlayer = async (c: Queryable, id: string) => {
    const { rows } = await c.query("SELECT * FROM players WHERE player_id = $1", [id]);
    return rows[0] ? toPlayer(rows[0] as Row) : null;
  };
  const itemsOf = async (c: Queryable, playerId: string): Promise<Record<string, number>> => {
    const { rows } = await c.query("SELECT item, qty FROM inventory WHERE player_id = $1 AND qty > 0 ORDER BY item", [playerId]);
    const out: Record<string, number> = {};
    for (const r of rows as Row[]) out[r.item as string] = Number(r.qty);
    return out;
  };
  /** true = newly claimed; false = already applied with the same digest; throws on a different digest. */
  const claimKey = async (c: Queryable, playerId: string, key: string, digest: string): Promise<boolean> => {
    // A concurrent claim of the same key waits here for the first transaction and then sees its row.
    const claimed = await c.query("INSERT INTO idempotency (player_id, key, digest, created_at) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
      [playerId, key, digest, Date.now()]);
    if (claimed.rowCount === 1) return true;
    const { rows } = await c.query("SELECT digest FROM idempotency WHERE player_id = $1 AND key = $2", [playerId, key]);
    if (rows[0]?.digest !== digest) throw new RallyError("IDEMPOTENCY_CONFLICT", `idempotency key "${key}" was used for a different operation`);
    return false;
  };
  const grantIn = async (c: Queryable, playerId: string, items: Items, key: string): Promise<InventoryChange> => {
    const entries = checkItems(items);
    if (!(await claimKey(c, playerId, key, operationDigest("grant", items)))) return { applied: false, items: await itemsOf(c, playerId) };
    // Entries are sorted by item, so two grants lock the same rows in the same order.
    await c.query(`INSERT INTO inventory (player_id, item, qty) SELECT $1, i, q FROM unnest($2::text[], $3::bigint[]) AS t(i, q)
                   ON CONFLICT (player_id, item) DO UPDATE SET qty = inventory.qty + excluded.qty`,
    [playerId, entries.map(([i]) => i), entries.map(([, n]) => n)]);
    return { applied: true, items: await itemsOf(c, playerId) };
  };
  const boardWrite = async (c: Queryable, w: LeaderboardWrite) => {
    const sql = w.keep === "best"
      ? "INSERT INTO leaderboard (board, player_id, score, updated_at) VALUES ($1, $2, $3, $4) ON CONFLICT (board, player_id) DO UPDATE SET score = excluded.score, updated_at = excluded.updated_at WHERE excluded.score > leaderboard.score"
      : "INSERT INTO leaderboard (board, player_id, score, updated_at) VALUES ($1, $2, $3, $4) ON CONFLICT (board, player_id) DO UPDATE SET score = excluded.score, updated_at = excluded.updated_at";
    await c.query(sql, [w.board, w.playerId, w.score, Date.now()]);
  };
  /** Several leaderboard writes in two statements (one per keep rule); duplicates merged first, as one statement may touch a row once. */
  const boardWrites = async (c: Queryable, writes: readonly LeaderboardWrite[]) => {
    for (const keep of ["best", "latest"] as const) {
      const merged = new Map<string, LeaderboardWrite>();
      for (const w of writes) {
        if (w.keep !== keep) continue;
        const k = `${w.board}\u0000${w.playerId}`;
        const seen = merged.get(k);
        if (!seen || keep === "latest" || w.score > seen.score) merged.set(k, w);
      }
      if (merged.size === 0) continue;
      const rows = [...merged.values()].sort((a, b) => (a.board === b.board ? (a.playerId < b.playerId ? -1 : 1) : a.board < b.board ? -1 : 1));
      await c.query(`INSERT INTO leaderboard (board, player_id, score, updated_at) SELECT b, p, s, $4 FROM unnest($1::text[], $2::text[], $3::float8[]) AS t(b, p, s)
                     ON CONFLICT (board, player_id) DO UPDATE SET score = excluded.score, updated_at = excluded.updated_at
                     ${keep === "best" ? "WHERE excluded.score > leaderboard.score" : ""}`,
      [rows.map((w) => w.board), rows.map((w) => w.playerId), rows.map((w) => w.score), Date.now()]);
    }
  };
  /**
   * A result's rewards in three statements: claim every player's key, compare the digests of keys
   * already claimed (a retry), add the items of the newly claimed ones. Rows go in (player, item)
   * order, so two results lock shared rows in the same order.
   */
  const grantRewards = async (c: Queryable, rewards: ReadonlyArray<{ readonly playerId: string; readonly items: Items }>, key: string) => {
    const byPlayer = new Map<string, Map<string, number>>();
    for (const r of rewards) {
      const items = byPlayer.get(r.playerId) ?? new Map<string, number>();
      for (const [item, n] of checkItems(r.items)) items.set(item, (items.get(item) ?? 0) + n);
      byPlayer.set(r.playerId, items);
    }
    if (byPlayer.size === 0) return;
    const players = [...byPlayer.keys()].sort();
    const digests = players.map((p) => operationDigest("grant", Object.fromEntries(byPlayer.get(p)!)));
    const claimed = await c.query(`INSERT INTO idempotency (player_id, key, digest, created_at) SELECT p, $2, d, $4 FROM unnest($1::text[], $3::text[]) AS t(p, d)
                                   ON CONFLICT DO NOTHING RETURNING player_id`, [players, key, digests, Date.now()]);
    const fresh = new Set((claimed.rows as Row[]).map((r) => r.player_id as string));
    const retried = players.filter((p) => !fresh.has(p));
    if (retried.length) {
      const { rows } = await c.query("SELECT player_id, digest FROM idempotency WHERE player_id = ANY($1::text[]) AND key = $2", [retried, key]);
      for (const r of rows as Row[]) {
        if (r.digest !== digests[players.indexOf(r.player_id as string)]) throw new RallyError("IDEMPOTENCY_CONFLICT", `idempotency key "${key}" was used for a different operation`);
      }
    }
    const lines = players.filter((p) => fresh.has(p)).flatMap((p) => [...byPlayer.get(p)!].sort(([a], [b]) => (a < b ? -1 : 1)).map(([item, n]) => [p, item, n] as const));
    if (lines.length === 0) return;
    await c.query(`INSERT INTO inventory (player_id, item, qty) SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[])
                   ON CONFLICT (player_id, item) DO UPDATE SET qty = inventory.qty + excluded.qty`,
    [lines.map((l) => l[0]), lines.map((l) => l[1]), lines.map((l) => l[2])]);
  };
  const ratingWrite = async (c: Queryable, ratings: readonly RatingRecord[]) => {
    if (ratings.length === 0) return;
    const col = <K extends keyof RatingRecord>(k: K) => ratings.map((r) => r[k]);
    await c.query(`INSERT INTO ratings (player_id, mode, mu, sigma, mmr, wins, losses, draws, matches, updated_at)
                   SELECT * FROM unnest($1::text[], $2::text[], $3::float8[], $4::float8[], $5::float8[], $6::bigint[], $7::bigint[], $8::bigint[], $9::bigint[], $10::bigint[])
                   ON CONFLICT (player_id, mode) DO UPDATE SET mu = excluded.mu, sigma = excluded.sigma, mmr = excluded.mmr, wins = excluded.wins,
                   losses = excluded.losses, draws = excluded.draws, matches = excluded.matches, updated_at = excluded.updated_at`,
    [col("playerId"), col("mode"), col("mu"), col("sigma"), col("mmr"), col("wins"), col("losses"), col("draws"), col("matches"), col("updatedAt")]);
  };
  const hasLink = async (c: Queryable, owner: string, other: string, kind: string) =>
    ((await c.query("SELECT 1 FROM friend_links WHERE player_id = $1 AND other_id = $2 AND kind = $3", [owner, other, kind])).rowCount ?? 0) > 0;
  /** Deletes the links of the given kinds between a and b, both directions; returns how many rows went. */
  const dropLinks = async (c: Queryable, a: string, b: string, kinds: readonly string[]) =>
    (await c.query("DELETE FROM friend_links WHERE ((player_id = $1 AND other_id = $2) OR (player_id = $2 AND other_id = $1)) AND kind = ANY($3::text[])",
      [a, b, kinds])).rowCount ?? 0;
  const putLinks = (c: Queryable, links: ReadonlyArray<readonly [string, string, string]>) =>
    c.query(`INSERT INTO friend_links (player_id, other_id, kind, since) SELECT p, o, k, $4 FROM unnest($1::text[], $2::text[], $3::text[]) AS t(p, o, k)
             ON CONFLICT DO NOTHING`, [links.map((l) => l[0]), links.map((l) => l[1]), links.map((l) => l[2]), Date.now()]);
  const befriend = async (c: Queryable, a: string, b: string) => {
    await dropLinks(c, a, b, ["outgoing", "incoming"]);
    await putLinks(c, [[a, b, "friend"], [b, a, "friend"]]);
  };

  const toIdentity = (r: Row): IdentityRecord => ({ provider: r.provider as string, subject: r.subject as string, playerId: r.player_id as string, linkedAt: Number(r.linked_at) });
  const byIdentity = "SELECT p.* FROM identity_subjects s JOIN players p ON p.player_id = s.player_id WHERE s.provider = $1 AND s.subject = $2";

  const onPrimary = laggingReadsOn(read);

  // Replica reads: the replica while it answers; after a failure the primary, and the replica is left
  // alone for replicaRetryMs so that an outage costs one short connect timeout, not one per read.
  let replica: pg.Pool | undefined;
  let replicaDownUntil = 0;
  const replicaRetryMs = options.replicaRetryMs ?? 5000;
  if (options.readUrl) {
    replica = new pg.Pool(poolOptions(options.readUrl, options.replicaConnectTimeoutMs ?? 1000));
    replica.on("error", (err) => logger?.warn({ err }, "PostgreSQL replica: idle connection lost"));
  }
  const fallbacks = options.registry && new Counter({
    name: "rally_store_replica_fallbacks_total",
    help: "Lag-tolerant reads answered by the PostgreSQL primary because the replica failed or is being skipped after a failure",
    registers: [options.registry],
  });
  if (options.registry) {
    const pools = { primary, ...(replica ? { replica } : {}) };
    new Gauge({
      name: "rally_store_pool_connections",
      help: "PostgreSQL pool connections by pool (primary, replica) and state (total, idle, waiting: calls queued for a connection)",
      labelNames: ["pool", "state"],
      registers: [options.registry],
      collect() {
        for (const [name, pool] of Object.entries(pools)) {
          this.set({ pool: name, state: "total" }, pool.totalCount);
          this.set({ pool: name, state: "idle" }, pool.idleCount);
          this.set({ pool: name, state: "waiting" }, pool.waitingCount);
        }
      },
    });
  }
  const readLagging = async (sql: string, params: unknown[]): Promise<Row[]> => {
    guard();
    if (replica && Date.now() >= replicaDownUntil) {
      try {
        return (await replica.query(sql, params)).rows as Row[];
      } catch (err) {
        // Any failure is answered from the primary (a recovery conflict, a schema not replayed yet, a
        // bad query that the primary will refuse the same way); only an unreachable replica is skipped
        // for a while.
        if (!isQueryError(err) || sqlState(err) === "3D000") {
          replicaDownUntil = Date.now() + replicaRetryMs;
          logger?.warn({ err, retryInMs: replicaRetryMs }, "PostgreSQL replica unavailable; reading from the primary");
        }
      }
    }
    if (replica) fallbacks?.inc();
    return read(sql, params);
  };

  const store: Store = {
    replica: replica ? laggingReadsOn(readLagging) : undefined,
    players: {
      async guest(deviceId) {
        if (!deviceId) {
          const [row] = await read("INSERT INTO players (player_id, name, created_at) VALUES ($1, $2, $3) RETURNING *", [randomUUID(), guestName(), Date.now()]);
          return toPlayer(row);
        }
        const byDevice = "SELECT p.* FROM player_devices d JOIN players p ON p.player_id = d.player_id WHERE d.device_id = $1";
        const [known] = await read(byDevice, [deviceId]);
        if (known) return toPlayer(known);
        return tx(async (c) => {
          const id = randomUUID();
          // A concurrent first login with the same device waits here, then finds the winner's player.
          const claimed = await c.query("INSERT INTO player_devices (device_id, player_id) VALUES ($1, $2) ON CONFLICT DO NOTHING", [deviceId, id]);
          if (claimed.rowCount === 0) {
            const { rows } = await c.query(byDevice, [deviceId]);
            if (rows[0]) return toPlayer(rows[0] as Row);
            throw new Error(`device ${deviceId} is bound to a player that does not exist`);
          }
          const { rows } = await c.query("INSERT INTO players (player_id, name, created_at, device_id) VALUES ($1, $2, $3, $4) RETURNING *",
            [id, guestName(), Date.now(), deviceId]);
          return toPlayer(rows[0] as Row);
        });
      },
      get: onPrimary.players.get,
      getMany: onPrimary.players.getMany,
      async rename(playerId, name) {
        const [row] = await read("UPDATE players SET name = $2 WHERE player_id = $1 RETURNING *", [playerId, name]);
        return row ? toPlayer(row) : null;
      },
      async setBan(playerId, ban) {
        const [row] = await read("UPDATE players SET ban_reason = $2, banned_at = $3 WHERE player_id = $1 RETURNING *", [playerId, ban?.reason ?? null, ban?.at ?? null]);
        return row ? toPlayer(row) : null;
      },
    },
    accounts: {
      async register(playerId, username, passwordHash) {
        return tx(async (c) => {
          const { rows } = await c.query("SELECT * FROM players WHERE player_id = $1 FOR UPDATE", [playerId]);
          if (!rows[0]) throw new RallyError("NOT_FOUND", "no such player");
          if (rows[0].username != null) throw new RallyError("ALREADY_REGISTERED");
          const taken = await c.query("INSERT INTO player_usernames (username_lower, player_id) VALUES ($1, $2) ON CONFLICT DO NOTHING", [username.toLowerCase(), playerId]);
          if (taken.rowCount === 0) throw new RallyError("USERNAME_TAKEN");
          const updated = await c.query("UPDATE players SET username = $2, password_hash = $3 WHERE player_id = $1 RETURNING *", [playerId, username, passwordHash]);
          return toPlayer(updated.rows[0] as Row);
        });
      },
      async byUsername(username) {
        const [row] = await read("SELECT p.* FROM player_usernames u JOIN players p ON p.player_id = u.player_id WHERE u.username_lower = $1", [username.toLowerCase()]);
        return row ? { player: toPlayer(row), passwordHash: row.password_hash as string } : null;
      },
    },
    identities: {
      async signIn(provider, subject) {
        const [known] = await read(byIdentity, [provider, subject]);
        if (known) return { player: toPlayer(known), created: false };
        return tx(async (c) => {
          const id = randomUUID(), now = Date.now();
          // A concurrent first sign-in (or link) of the same identity waits here, then finds the winner's player.
          const claimed = await c.query("INSERT INTO identity_subjects (provider, subject, player_id) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING", [provider, subject, id]);
          if (claimed.rowCount === 0) {
            const { rows } = await c.query(byIdentity, [provider, subject]);
            if (rows[0]) return { player: toPlayer(rows[0] as Row), created: false };
            throw new Error(`identity ${provider} is bound to a player that does not exist`);
          }
          const { rows } = await c.query("INSERT INTO players (player_id, name, created_at) VALUES ($1, $2, $3) RETURNING *", [id, guestName(), now]);
          await c.query("INSERT INTO player_identities (player_id, provider, subject, linked_at) VALUES ($1, $2, $3, $4)", [id, provider, subject, now]);
          return { player: toPlayer(rows[0] as Row), created: true };
        });
      },
      async find(provider, subject) {
        const [row] = await read(`SELECT i.* FROM identity_subjects s JOIN player_identities i ON i.player_id = s.player_id AND i.provider = s.provider
                                  WHERE s.provider = $1 AND s.subject = $2`, [provider, subject]);
        return row ? toIdentity(row) : null;
      },
      async link(playerId, provider, subject) {
        return tx(async (c) => {
          // The player's row lock serializes its links, unlinks and registration.
          if (!(await c.query("SELECT 1 FROM players WHERE player_id = $1 FOR UPDATE", [playerId])).rows[0]) throw new RallyError("NOT_FOUND", "no such player");
          const owner = (await c.query("SELECT player_id FROM identity_subjects WHERE provider = $1 AND subject = $2", [provider, subject])).rows[0] as Row | undefined;
          if (owner && owner.player_id !== playerId) throw new RallyError("IDENTITY_TAKEN");
          const mine = (await c.query("SELECT * FROM player_identities WHERE player_id = $1 AND provider = $2", [playerId, provider])).rows[0] as Row | undefined;
          if (mine && mine.subject === subject) return toIdentity(mine);
          if (mine) throw new RallyError("PROVIDER_ALREADY_LINKED");
          const claimed = await c.query("INSERT INTO identity_subjects (provider, subject, player_id) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING", [provider, subject, playerId]);
          if (claimed.rowCount === 0) throw new RallyError("IDENTITY_TAKEN");
          const { rows } = await c.query("INSERT INTO player_identities (player_id, provider, subject, linked_at) VALUES ($1, $2, $3, $4) RETURNING *", [playerId, provider, subject, Date.now()]);
          return toIdentity(rows[0] as Row);
        });
      },
      async list(playerId) {
        return (await read("SELECT * FROM player_identities WHERE player_id = $1 ORDER BY provider", [playerId])).map(toIdentity);
      },
      async unlink(playerId, provider) {
        return tx(async (c) => {
          const player = (await c.query("SELECT username FROM players WHERE player_id = $1 FOR UPDATE", [playerId])).rows[0] as Row | undefined;
          const mine = ((await c.query("SELECT * FROM player_identities WHERE player_id = $1", [playerId])).rows as Row[]).map(toIdentity);
          const gone = mine.find((i) => i.provider === provider);
          if (!gone) throw new RallyError("IDENTITY_NOT_LINKED");
          if (mine.length === 1 && player?.username == null) throw new RallyError("LAST_SIGN_IN_METHOD");
          await c.query("DELETE FROM player_identities WHERE player_id = $1 AND provider = $2", [playerId, provider]);
          await c.query("DELETE FROM identity_subjects WHERE provider = $1 AND subject = $2 AND player_id = $3", [provider, gone.subject, playerId]);
          return gone;
        });
      },
    },
    sessions: {
      async create(s) {
        await read("INSERT INTO sessions (family_id, player_id, jti, expires_at) VALUES ($1, $2, $3, $4)", [s.familyId, s.playerId, s.jti, s.expiresAt]);
      },
      async rotate(familyId, jti, nextJti, expiresAt) {
        // Compare-and-set: of two rotations of one token, the second finds the jti changed (a reuse).
        const swapped = await read("UPDATE sessions SET jti = $3, expires_at = $4 WHERE family_id = $1 AND jti = $2 AND revoked_at IS NULL RETURNING 1",
          [familyId, jti, nextJti, expiresAt]);
        if (swapped.length === 1) return "rotated";
        const [row] = await read("SELECT revoked_at FROM sessions WHERE family_id = $1", [familyId]);
        if (!row) return "unknown";
        if (row.revoked_at != null) return "revoked";
        await read("UPDATE sessions SET revoked_at = $2 WHERE family_id = $1 AND revoked_at IS NULL", [familyId, Date.now()]);
        return "reused";
      },
      async revoke(familyId) {
        await read("UPDATE sessions SET revoked_at = $2 WHERE family_id = $1 AND revoked_at IS NULL", [familyId, Date.now()]);
      },
      async revokeAll(playerId) {
        await read("UPDATE sessions SET revoked_at = $2 WHERE player_id = $1 AND revoked_at IS NULL", [playerId, Date.now()]);
      },
    },
    ratings: {
      get: onPrimary.ratings.get,
      list: onPrimary.ratings.list,
      async set(rating, board) {
        await tx(async (c) => {
          await lockKeys(c, [`rating:${rating.playerId}:${rating.mode}`]);
          await ratingWrite(c, [rating]);
          if (board) await boardWrite(c, board);
        });
      },
    },
    matches: {
      async record(result) {
        return store.matches.apply(result, () => ({ ratings: [], history: [], leaderboards: [], rewards: [] }));
      },
      async apply(result, plan) {
        return tx(async (c) => {
          // The matchId is the idempotency key: a concurrent apply of the same result waits on this row
          // until the first commits (then inserts nothing) or rolls back (then goes ahead).
          const claimed = await c.query("INSERT INTO matches (match_id, ended_at, body) VALUES ($1, $2, $3) ON CONFLICT (match_id) DO NOTHING",
            [result.matchId, result.endedAt, JSON.stringify(result)]);
          if (claimed.rowCount === 0) return false;
          const mode = result.mode ?? result.roomName;
          const ids = [...new Set(result.players.map((p) => p.playerId))];
          // Two results sharing a player must not both read the old rating: serialize per (player, mode).
          await lockKeys(c, ids.map((id) => `rating:${id}:${mode}`));
          const { rows } = await c.query("SELECT * FROM ratings WHERE player_id = ANY($1::text[]) AND mode = $2", [ids, mode]);
          const writes = plan(new Map((rows as Row[]).map((r) => [r.player_id as string, toRating(r)])));
          await ratingWrite(c, writes.ratings);
          hooks.midResult?.(result.matchId);
          if (writes.history.length) {
            const h = writes.history;
            await c.query(`INSERT INTO history (player_id, match_id, mode, ended_at, team, score, outcome, mmr_before, mmr_after)
                           SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[], $5::int[], $6::float8[], $7::text[], $8::float8[], $9::float8[])
                           ON CONFLICT DO NOTHING`,
            [h.map((x) => x.playerId), h.map((x) => x.matchId), h.map((x) => x.mode), h.map((x) => x.endedAt), h.map((x) => x.team),
              h.map((x) => x.score), h.map((x) => x.outcome), h.map((x) => x.mmrBefore), h.map((x) => x.mmrAfter)]);
          }
          await boardWrites(c, writes.leaderboards);
          await grantRewards(c, writes.rewards, `match:${result.matchId}`);
          return true;
        });
      },
      async get(matchId) {
        const [row] = await read("SELECT body FROM matches WHERE match_id = $1", [matchId]);
        return row ? (row.body as MatchResult) : null;
      },
      history: onPrimary.matches.history,
    },
    leaderboards: {
      async submit(w) {
        guard();
        await boardWrite(primary, w);
      },
      top: onPrimary.leaderboards.top,
      entry: onPrimary.leaderboards.entry,
      count: onPrimary.leaderboards.count,
    },
    inventory: {
      async get(playerId) {
        guard();
        return itemsOf(primary, playerId);
      },
      async grant(playerId, items, key) {
        checkItems(items);
        return tx((c) => grantIn(c, playerId, items, key));
      },
      async consume(playerId, items, key) {
        const entries = checkItems(items);
        return tx(async (c) => {
          if (!(await claimKey(c, playerId, key, operationDigest("consume", items)))) return { applied: false, items: await itemsOf(c, playerId) };
          const names = entries.map(([i]) => i);
          // Lock the rows in item order, then take every count in one statement that re-checks it.
          await c.query("SELECT 1 FROM inventory WHERE player_id = $1 AND item = ANY($2::text[]) ORDER BY item FOR UPDATE", [playerId, names]);
          const done = await c.query(`UPDATE inventory SET qty = inventory.qty - t.q FROM unnest($2::text[], $3::bigint[]) AS t(i, q)
                                      WHERE inventory.player_id = $1 AND inventory.item = t.i AND inventory.qty >= t.q`,
          [playerId, names, entries.map(([, n]) => n)]);
          // Throwing rolls back the key claim and every count of this consume.
          if (done.rowCount !== entries.length) throw new RallyError("INSUFFICIENT_ITEMS", "not enough items");
          return { applied: true, items: await itemsOf(c, playerId) };
        });
      },
    },
    friends: {
      async request(from, to) {
        return tx(async (c) => {
          await lockKeys(c, [pairKey(from, to)]);
          if (await hasLink(c, from, to, "block") || await hasLink(c, to, from, "block")) throw new RallyError("FRIEND_BLOCKED");
          if (await hasLink(c, from, to, "friend")) return "already-friends" as const;
          if (await hasLink(c, from, to, "incoming")) {
            await befriend(c, from, to);
            return "accepted" as const;
          }
          await putLinks(c, [[from, to, "outgoing"], [to, from, "incoming"]]);
          return "requested" as const;
        });
      },
      async accept(playerId, fromId) {
        await tx(async (c) => {
          await lockKeys(c, [pairKey(playerId, fromId)]);
          if (!(await hasLink(c, playerId, fromId, "incoming"))) throw new RallyError("FRIEND_REQUEST_NOT_FOUND");
          await befriend(c, playerId, fromId);
        });
      },
      async decline(playerId, otherId) {
        return tx(async (c) => {
          await lockKeys(c, [pairKey(playerId, otherId)]);
          return (await dropLinks(c, playerId, otherId, ["outgoing", "incoming"])) > 0;
        });
      },
      async remove(playerId, otherId) {
        return tx(async (c) => {
          await lockKeys(c, [pairKey(playerId, otherId)]);
          return (await dropLinks(c, playerId, otherId, ["friend"])) > 0;
        });
      },
      async block(playerId, otherId) {
        await tx(async (c) => {
          await lockKeys(c, [pairKey(playerId, otherId)]);
          await dropLinks(c, playerId, otherId, ["friend", "outgoing", "incoming"]);
          await putLinks(c, [[playerId, otherId, "block"]]);
        });
      },
      async unblock(playerId, otherId) {
        const gone = await read("DELETE FROM friend_links WHERE player_id = $1 AND other_id = $2 AND kind = 'block' RETURNING 1", [playerId, otherId]);
        return gone.length > 0;
      },
      async list(playerId) {
        const kindOf = { friend: "friend", outgoing: "outgoing", incoming: "incoming", block: "blocked" } as const;
        return (await read("SELECT other_id, kind, since FROM friend_links WHERE player_id = $1", [playerId]))
          .map((r): FriendLink => ({ playerId: r.other_id as string, kind: kindOf[r.kind as keyof typeof kindOf], since: Number(r.since) }))
          .sort((a, b) => a.since - b.since || (a.playerId < b.playerId ? -1 : 1));
      },
      async friendIds(playerId) {
        return (await read("SELECT other_id FROM friend_links WHERE player_id = $1 AND kind = 'friend' ORDER BY other_id", [playerId])).map((r) => r.other_id as string);
      },
      async areFriends(a, b) {
        guard();
        return hasLink(primary, a, b, "friend");
      },
      async blocked(a, b) {
        const rows = await read("SELECT 1 FROM friend_links WHERE kind = 'block' AND ((player_id = $1 AND other_id = $2) OR (player_id = $2 AND other_id = $1)) LIMIT 1", [a, b]);
        return rows.length > 0;
      },
    },
    events: {
      async append(events) {
        if (events.length === 0) return;
        await read(`INSERT INTO events (at, type, player_id, data) SELECT a, t, p, d::jsonb FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[]) AS e(a, t, p, d)`,
          [events.map((e) => e.at), events.map((e) => e.type), events.map((e) => e.playerId), events.map((e) => JSON.stringify(e.data))]);
      },
      async count() {
        return Number((await read("SELECT count(*) AS n FROM events"))[0].n);
      },
    },
    ...sqlChatRepos((sql, params) => read(numberPlaceholders(sql), params)),
    async close() {
      if (closed) return;
      closed = true;
      await Promise.all([primary.end(), replica?.end()]);
    },
  };
  return store;
}
