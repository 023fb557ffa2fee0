/**
 * The embedded store: SQLite through Node 22's built-in `node:sqlite` (no native build, no extra
 * dependency), one file `DATA_DIR/rally.db` in WAL mode, or `:memory:` for tests.
 *
 * Why SQLite rather than the old JSON snapshot: real transactions (a result, its ratings, history,
 * leaderboard rows and rewards commit together or not at all, also across a crash), indexes for
 * leaderboard ranks and history paging, and writes proportional to the change instead of the whole
 * file. `DatabaseSync` runs each operation synchronously on the event loop: every repository call
 * is one short transaction (sub-millisecond), so calls from one process never interleave, and
 * `BEGIN IMMEDIATE` + busy_timeout serialize writers from other processes sharing the file.
 */
import { randomUUID } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, renameSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import type { DatabaseSync as DatabaseSyncType, StatementSync } from "node:sqlite";
import type { MatchResult } from "../../rooms/index.ts";
import { RallyError } from "../errors.ts";
import {
  checkItems, guestName, operationDigest,
  type HistoryEntry, type InventoryChange, type Items, type LeaderboardEntry, type LeaderboardWrite,
  type FriendLink, type IdentityRecord, type PlayerRecord, type RatingRecord, type Store, type StoreHooks,
} from "./store.ts";
import { toHistory, toPlayer as playerRow, toRating, type Row } from "./sql-rows.ts";
import { SQLITE_CHAT_SCHEMA, sqlChatRepos } from "./chat-sql.ts";

function loadSqlite(): typeof import("node:sqlite") {
  // node:sqlite prints an ExperimentalWarning on first load in Node 22; it is stable enough for us
  // (it ships SQLite 3.5x) and the warning would only confuse operators, so it is filtered once here.
  const original = process.emitWarning;
  process.emitWarning = ((warning: string | Error, ...rest: unknown[]) => {
    const text = typeof warning === "string" ? warning : warning.message;
    if (/SQLite is an experimental feature/.test(text)) return;
    return (original as (...a: unknown[]) => void).call(process, warning, ...rest);
  }) as typeof process.emitWarning;
  try {
    return createRequire(import.meta.url)("node:sqlite") as typeof import("node:sqlite");
  } finally {
    process.emitWarning = original;
  }
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS players (
  id TEXT PRIMARY KEY, name TEXT NOT NULL, created_at INTEGER NOT NULL,
  device_id TEXT UNIQUE, username TEXT, username_lower TEXT UNIQUE, password_hash TEXT,
  ban_reason TEXT, banned_at INTEGER
);
CREATE TABLE IF NOT EXISTS sessions (
  family_id TEXT PRIMARY KEY, player_id TEXT NOT NULL, jti TEXT NOT NULL,
  expires_at INTEGER NOT NULL, revoked_at INTEGER
);
CREATE INDEX IF NOT EXISTS sessions_player ON sessions (player_id);
CREATE TABLE IF NOT EXISTS ratings (
  player_id TEXT NOT NULL, mode TEXT NOT NULL, mu REAL NOT NULL, sigma REAL NOT NULL, mmr REAL NOT NULL,
  wins INTEGER NOT NULL, losses INTEGER NOT NULL, draws INTEGER NOT NULL, matches INTEGER NOT NULL,
  updated_at INTEGER NOT NULL, PRIMARY KEY (player_id, mode)
);
CREATE TABLE IF NOT EXISTS matches (match_id TEXT PRIMARY KEY, ended_at INTEGER NOT NULL, body TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS history (
  player_id TEXT NOT NULL, match_id TEXT NOT NULL, mode TEXT NOT NULL, ended_at INTEGER NOT NULL,
  team INTEGER NOT NULL, score REAL NOT NULL, outcome TEXT NOT NULL, mmr_before REAL, mmr_after REAL,
  PRIMARY KEY (player_id, match_id)
);
CREATE INDEX IF NOT EXISTS history_page ON history (player_id, ended_at DESC, match_id DESC);
CREATE TABLE IF NOT EXISTS leaderboard (
  board TEXT NOT NULL, player_id TEXT NOT NULL, score REAL NOT NULL, updated_at INTEGER NOT NULL,
  PRIMARY KEY (board, player_id)
);
CREATE INDEX IF NOT EXISTS leaderboard_rank ON leaderboard (board, score DESC, player_id DESC);
CREATE TABLE IF NOT EXISTS inventory (
  player_id TEXT NOT NULL, item TEXT NOT NULL, qty INTEGER NOT NULL CHECK (qty >= 0),
  PRIMARY KEY (player_id, item)
);
CREATE TABLE IF NOT EXISTS idempotency (
  player_id TEXT NOT NULL, key TEXT NOT NULL, digest TEXT NOT NULL, created_at INTEGER NOT NULL,
  PRIMARY KEY (player_id, key)
);
CREATE TABLE IF NOT EXISTS friend_links (
  owner TEXT NOT NULL, other TEXT NOT NULL, kind TEXT NOT NULL CHECK (kind IN ('friend', 'request', 'block')),
  since INTEGER NOT NULL, PRIMARY KEY (owner, other, kind)
);
CREATE INDEX IF NOT EXISTS friend_links_other ON friend_links (other, kind);
CREATE TABLE IF NOT EXISTS identities (
  provider TEXT NOT NULL, subject TEXT NOT NULL, player_id TEXT NOT NULL, linked_at INTEGER NOT NULL,
  PRIMARY KEY (provider, subject), UNIQUE (player_id, provider)
);
CREATE TABLE IF NOT EXISTS events (
  id INTEGER PRIMARY KEY AUTOINCREMENT, at INTEGER NOT NULL, type TEXT NOT NULL, player_id TEXT, data TEXT NOT NULL
);
`;


const toPlayer = (row: Row) => playerRow(row, "id");

export interface SqliteStoreOptions {
  /** File path, or ":memory:". */
  file: string;
  hooks?: StoreHooks;
  /** The old JSON file store's snapshot: imported once (players, results), then renamed `*.imported`. */
  legacySnapshot?: string;
}

export function createMemoryStore(hooks?: StoreHooks): Promise<Store> {
  return createSqliteStore({ file: ":memory:", hooks });
}

/** The embedded store in `dataDir/rally.db`; imports a `rally-store.json` left by the old file store once. */
export function createFileStore(dataDir: string, hooks?: StoreHooks): Promise<Store> {
  mkdirSync(dataDir, { recursive: true });
  return createSqliteStore({ file: join(dataDir, "rally.db"), hooks, legacySnapshot: join(dataDir, "rally-store.json") });
}

export async function createSqliteStore({ file, hooks = {}, legacySnapshot }: SqliteStoreOptions): Promise<Store> {
  const { DatabaseSync } = loadSqlite();
  const db: DatabaseSyncType = new DatabaseSync(file);
  if (file !== ":memory:") {
    db.exec("PRAGMA journal_mode = WAL");
    db.exec("PRAGMA synchronous = NORMAL");
  }
  db.exec("PRAGMA busy_timeout = 5000");
  db.exec(SCHEMA);
  db.exec(SQLITE_CHAT_SCHEMA);
  if (legacySnapshot && existsSync(legacySnapshot)) {
    const snapshot = JSON.parse(readFileSync(legacySnapshot, "utf8")) as { players?: PlayerRecord[]; matches?: MatchResult[] };
    db.exec("BEGIN IMMEDIATE");
    try {
      for (const p of snapshot.players ?? []) {
        db.prepare("INSERT OR IGNORE INTO players (id, name, created_at, device_id) VALUES (?, ?, ?, ?)").run(p.id, p.name, p.createdAt, p.deviceId ?? null);
      }
      for (const m of snapshot.matches ?? []) {
        db.prepare("INSERT OR IGNORE INTO matches (match_id, ended_at, body) VALUES (?, ?, ?)").run(m.matchId, m.endedAt, JSON.stringify(m));
      }
      db.exec("COMMIT");
    } catch (e) {
      db.exec("ROLLBACK");
      throw e;
    }
    renameSync(legacySnapshot, `${legacySnapshot}.imported`);
  }

  const cache = new Map<string, StatementSync>();
  const q = (sql: string): StatementSync => {
    let s = cache.get(sql);
    if (!s) cache.set(sql, (s = db.prepare(sql)));
    return s;
  };
  let closed = false;
  /** Runs fn in one IMMEDIATE transaction; any throw rolls everything back. */
  function tx<T>(fn: () => T): T {
    if (closed) throw new Error("store is closed");
    db.exec("BEGIN IMMEDIATE");
    try {
      const out = fn();
      db.exec("COMMIT");
      return out;
    } catch (e) {
      db.exec("ROLLBACK");
      throw e;
    }
  }
  const read = <T>(fn: () => T): T => {
    if (closed) throw new Error("store is closed");
    return fn();
  };
  const getPlayer = (id: string) => {
    const row = q("SELECT * FROM players WHERE id = ?").get(id) as Row | undefined;
    return row ? toPlayer(row) : null;
  };
  const itemsOf = (playerId: string): Record<string, number> => {
    const out: Record<string, number> = {};
    for (const r of q("SELECT item, qty FROM inventory WHERE player_id = ? AND qty > 0 ORDER BY item").all(playerId) as Row[]) {
      out[r.item as string] = Number(r.qty);
    }
    return out;
  };
  /** true = newly claimed; false = already applied with the same digest; throws on a different digest. */
  const claimKey = (playerId: string, key: string, digest: string): boolean => {
    const seen = q("SELECT digest FROM idempotency WHERE player_id = ? AND key = ?").get(playerId, key) as Row | undefined;
    if (seen) {
      if (seen.digest !== digest) throw new RallyError("IDEMPOTENCY_CONFLICT", `idempotency key "${key}" was used for a different operation`);
      return false;
    }
    q("INSERT INTO idempotency (player_id, key, digest, created_at) VALUES (?, ?, ?, ?)").run(playerId, key, digest, Date.now());
    return true;
  };
  const grantIn = (playerId: string, items: Items, key: string): InventoryChange => {
    const entries = checkItems(items);
    if (!claimKey(playerId, key, operationDigest("grant", items))) return { applied: false, items: itemsOf(playerId) };
    for (const [item, n] of entries) {
      q("INSERT INTO inventory (player_id, item, qty) VALUES (?, ?, ?) ON CONFLICT (player_id, item) DO UPDATE SET qty = qty + excluded.qty")
        .run(playerId, item, n);
    }
    return { applied: true, items: itemsOf(playerId) };
  };
  const boardWrite = (w: LeaderboardWrite) => {
    const sql = w.keep === "best"
      ? "INSERT INTO leaderboard (board, player_id, score, updated_at) VALUES (?, ?, ?, ?) ON CONFLICT (board, player_id) DO UPDATE SET score = excluded.score, updated_at = excluded.updated_at WHERE excluded.score > leaderboard.score"
      : "INSERT INTO leaderboard (board, player_id, score, updated_at) VALUES (?, ?, ?, ?) ON CONFLICT (board, player_id) DO UPDATE SET score = excluded.score, updated_at = excluded.updated_at";
    q(sql).run(w.board, w.playerId, w.score, Date.now());
  };
  const ratingWrite = (r: RatingRecord) => {
    q(`INSERT INTO ratings (player_id, mode, mu, sigma, mmr, wins, losses, draws, matches, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (player_id, mode) DO UPDATE SET mu = excluded.mu, sigma = excluded.sigma, mmr = excluded.mmr, wins = excluded.wins,
       losses = excluded.losses, draws = excluded.draws, matches = excluded.matches, updated_at = excluded.updated_at`)
      .run(r.playerId, r.mode, r.mu, r.sigma, r.mmr, r.wins, r.losses, r.draws, r.matches, r.updatedAt);
  };

  const linkOf = (owner: string, other: string, kind: "friend" | "request" | "block"): boolean =>
    q("SELECT 1 FROM friend_links WHERE owner = ? AND other = ? AND kind = ?").get(owner, other, kind) !== undefined;
  /** Inside a transaction: both friend rows, and no request left either way. */
  const befriend = (a: string, b: string) => {
    q("DELETE FROM friend_links WHERE kind = 'request' AND ((owner = ? AND other = ?) OR (owner = ? AND other = ?))").run(a, b, b, a);
    const now = Date.now();
    q("INSERT OR IGNORE INTO friend_links (owner, other, kind, since) VALUES (?, ?, 'friend', ?), (?, ?, 'friend', ?)").run(a, b, now, b, a, now);
  };

  const toIdentity = (r: Row): IdentityRecord => ({ provider: r.provider as string, subject: r.subject as string, playerId: r.player_id as string, linkedAt: Number(r.linked_at) });
  const identityOf = (provider: string, subject: string) => {
    const row = q("SELECT * FROM identities WHERE provider = ? AND subject = ?").get(provider, subject) as Row | undefined;
    return row ? toIdentity(row) : null;
  };
  const identitiesOf = (playerId: string) =>
    (q("SELECT * FROM identities WHERE player_id = ? ORDER BY provider").all(playerId) as Row[]).map(toIdentity);

  const store: Store = {
    players: {
      async guest(deviceId) {
        return tx(() => {
          if (deviceId) {
            const known = q("SELECT * FROM players WHERE device_id = ?").get(deviceId) as Row | undefined;
            if (known) return toPlayer(known);
          }
          const id = randomUUID();
          q("INSERT INTO players (id, name, created_at, device_id) VALUES (?, ?, ?, ?)").run(id, guestName(), Date.now(), deviceId ?? null);
          return getPlayer(id)!;
        });
      },
      async get(playerId) {
        return read(() => getPlayer(playerId));
      },
      async getMany(ids) {
        return read(() => ids.map(getPlayer).filter((p): p is PlayerRecord => p !== null));
      },
      async rename(playerId, name) {
        return tx(() => {
          q("UPDATE players SET name = ? WHERE id = ?").run(name, playerId);
          return getPlayer(playerId);
        });
      },
      async setBan(playerId, ban) {
        return tx(() => {
          q("UPDATE players SET ban_reason = ?, banned_at = ? WHERE id = ?").run(ban?.reason ?? null, ban?.at ?? null, playerId);
          return getPlayer(playerId);
        });
      },
    },
    accounts: {
      async register(playerId, username, passwordHash) {
        return tx(() => {
          const player = getPlayer(playerId);
          if (!player) throw new RallyError("NOT_FOUND", "no such player");
          if (player.username) throw new RallyError("ALREADY_REGISTERED");
          const taken = q("SELECT 1 FROM players WHERE username_lower = ?").get(username.toLowerCase());
          if (taken) throw new RallyError("USERNAME_TAKEN");
          q("UPDATE players SET username = ?, username_lower = ?, password_hash = ? WHERE id = ?").run(username, username.toLowerCase(), passwordHash, playerId);
          return getPlayer(playerId)!;
        });
      },
      async byUsername(username) {
        return read(() => {
          const row = q("SELECT * FROM players WHERE username_lower = ?").get(username.toLowerCase()) as Row | undefined;
          return row ? { player: toPlayer(row), passwordHash: row.password_hash as string } : null;
        });
      },
    },
    identities: {
      async signIn(provider, subject) {
        return tx(() => {
          const known = identityOf(provider, subject);
          if (known) {
            const player = getPlayer(known.playerId);
            if (!player) throw new Error(`identity ${provider} is bound to a player that does not exist`);
            return { player, created: false };
          }
          const id = randomUUID(), now = Date.now();
          q("INSERT INTO players (id, name, created_at) VALUES (?, ?, ?)").run(id, guestName(), now);
          q("INSERT INTO identities (provider, subject, player_id, linked_at) VALUES (?, ?, ?, ?)").run(provider, subject, id, now);
          return { player: getPlayer(id)!, created: true };
        });
      },
      async find(provider, subject) {
        return read(() => identityOf(provider, subject));
      },
      async link(playerId, provider, subject) {
        return tx(() => {
          if (!getPlayer(playerId)) throw new RallyError("NOT_FOUND", "no such player");
          const bound = identityOf(provider, subject);
          if (bound && bound.playerId !== playerId) throw new RallyError("IDENTITY_TAKEN");
          if (bound) return bound;
          if (identitiesOf(playerId).some((i) => i.provider === provider)) throw new RallyError("PROVIDER_ALREADY_LINKED");
          q("INSERT INTO identities (provider, subject, player_id, linked_at) VALUES (?, ?, ?, ?)").run(provider, subject, playerId, Date.now());
          return identityOf(provider, subject)!;
        });
      },
      async list(playerId) {
        return read(() => identitiesOf(playerId));
      },
      async unlink(playerId, provider) {
        return tx(() => {
          const mine = identitiesOf(playerId);
          const gone = mine.find((i) => i.provider === provider);
          if (!gone) throw new RallyError("IDENTITY_NOT_LINKED");
          if (mine.length === 1 && !getPlayer(playerId)?.username) throw new RallyError("LAST_SIGN_IN_METHOD");
          q("DELETE FROM identities WHERE provider = ? AND subject = ?").run(gone.provider, gone.subject);
          return gone;
        });
      },
    },
    sessions: {
      async create(s) {
        tx(() => q("INSERT INTO sessions (family_id, player_id, jti, expires_at) VALUES (?, ?, ?, ?)").run(s.familyId, s.playerId, s.jti, s.expiresAt));
      },
      async rotate(familyId, jti, nextJti, expiresAt) {
        return tx(() => {
          const row = q("SELECT jti, revoked_at FROM sessions WHERE family_id = ?").get(familyId) as Row | undefined;
          if (!row) return "unknown" as const;
          if (row.revoked_at != null) return "revoked" as const;
          if (row.jti !== jti) {
            q("UPDATE sessions SET revoked_at = ? WHERE family_id = ?").run(Date.now(), familyId);
            return "reused" as const;
          }
          q("UPDATE sessions SET jti = ?, expires_at = ? WHERE family_id = ?").run(nextJti, expiresAt, familyId);
          return "rotated" as const;
        });
      },
      async revoke(familyId) {
        tx(() => q("UPDATE sessions SET revoked_at = ? WHERE family_id = ? AND revoked_at IS NULL").run(Date.now(), familyId));
      },
      async revokeAll(playerId) {
        tx(() => q("UPDATE sessions SET revoked_at = ? WHERE player_id = ? AND revoked_at IS NULL").run(Date.now(), playerId));
      },
    },
    ratings: {
      async get(playerId, mode) {
        return read(() => {
          const row = q("SELECT * FROM ratings WHERE player_id = ? AND mode = ?").get(playerId, mode) as Row | undefined;
          return row ? toRating(row) : null;
        });
      },
      async list(playerId) {
        return read(() => (q("SELECT * FROM ratings WHERE player_id = ? ORDER BY mode").all(playerId) as Row[]).map(toRating));
      },
      async set(rating, board) {
        tx(() => {
          ratingWrite(rating);
          if (board) boardWrite(board);
        });
      },
    },
    matches: {
      async record(result) {
        return store.matches.apply(result, () => ({ ratings: [], history: [], leaderboards: [], rewards: [] }));
      },
      async apply(result, plan) {
        return tx(() => {
          const inserted = q("INSERT INTO matches (match_id, ended_at, body) VALUES (?, ?, ?) ON CONFLICT (match_id) DO NOTHING")
            .run(result.matchId, result.endedAt, JSON.stringify(result));
          if (Number(inserted.changes) === 0) return false;
          const current = new Map<string, RatingRecord>();
          const mode = result.mode ?? result.roomName;
          for (const p of result.players) {
            const row = q("SELECT * FROM ratings WHERE player_id = ? AND mode = ?").get(p.playerId, mode) as Row | undefined;
            if (row) current.set(p.playerId, toRating(row));
          }
          const writes = plan(current);
          for (const r of writes.ratings) ratingWrite(r);
          hooks.midResult?.(result.matchId);
          for (const h of writes.history) {
            q(`INSERT INTO history (player_id, match_id, mode, ended_at, team, score, outcome, mmr_before, mmr_after)
               VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`)
              .run(h.playerId, h.matchId, h.mode, h.endedAt, h.team, h.score, h.outcome, h.mmrBefore, h.mmrAfter);
          }
          for (const w of writes.leaderboards) boardWrite(w);
          for (const reward of writes.rewards) grantIn(reward.playerId, reward.items, `match:${result.matchId}`);
          return true;
        });
      },
      async get(matchId) {
        return read(() => {
          const row = q("SELECT body FROM matches WHERE match_id = ?").get(matchId) as Row | undefined;
          return row ? (JSON.parse(row.body as string) as MatchResult) : null;
        });
      },
      async history(playerId, { limit, before }) {
        return read(() => {
          const rows = before
            ? q(`SELECT * FROM history WHERE player_id = ? AND (ended_at < ? OR (ended_at = ? AND match_id < ?))
                 ORDER BY ended_at DESC, match_id DESC LIMIT ?`).all(playerId, before.endedAt, before.endedAt, before.matchId, limit)
            : q("SELECT * FROM history WHERE player_id = ? ORDER BY ended_at DESC, match_id DESC LIMIT ?").all(playerId, limit);
          return (rows as Row[]).map(toHistory);
        });
      },
    },
    leaderboards: {
      async submit(w) {
        tx(() => boardWrite(w));
      },
      async top(board, limit, offset = 0) {
        return read(() => (q("SELECT player_id, score FROM leaderboard WHERE board = ? ORDER BY score DESC, player_id DESC LIMIT ? OFFSET ?")
          .all(board, limit, offset) as Row[]).map((r, i): LeaderboardEntry => ({ playerId: r.player_id as string, score: Number(r.score), rank: offset + i + 1 })));
      },
      async entry(board, playerId) {
        return read(() => {
          const me = q("SELECT score FROM leaderboard WHERE board = ? AND player_id = ?").get(board, playerId) as Row | undefined;
          if (!me) return null;
          const score = Number(me.score);
          const ahead = q("SELECT COUNT(*) AS n FROM leaderboard WHERE board = ? AND (score > ? OR (score = ? AND player_id > ?))")
            .get(board, score, score, playerId) as Row;
          return { playerId, score, rank: Number(ahead.n) + 1 };
        });
      },
      async count(board) {
        return read(() => Number((q("SELECT COUNT(*) AS n FROM leaderboard WHERE board = ?").get(board) as Row).n));
      },
    },
    inventory: {
      async get(playerId) {
        return read(() => itemsOf(playerId));
      },
      async grant(playerId, items, key) {
        return tx(() => grantIn(playerId, items, key));
      },
      async consume(playerId, items, key) {
        return tx(() => {
          const entries = checkItems(items);
          if (!claimKey(playerId, key, operationDigest("consume", items))) return { applied: false, items: itemsOf(playerId) };
          for (const [item, n] of entries) {
            const done = q("UPDATE inventory SET qty = qty - ? WHERE player_id = ? AND item = ? AND qty >= ?").run(n, playerId, item, n);
            // Throwing rolls back the key claim and any earlier item of this consume.
            if (Number(done.changes) === 0) throw new RallyError("INSUFFICIENT_ITEMS", `not enough "${item}"`);
          }
          return { applied: true, items: itemsOf(playerId) };
        });
      },
    },
    friends: {
      async request(from, to) {
        return tx(() => {
          if (linkOf(from, to, "block") || linkOf(to, from, "block")) throw new RallyError("FRIEND_BLOCKED");
          if (linkOf(from, to, "friend")) return "already-friends" as const;
          if (linkOf(to, from, "request")) {
            befriend(from, to);
            return "accepted" as const;
          }
          q("INSERT OR IGNORE INTO friend_links (owner, other, kind, since) VALUES (?, ?, 'request', ?)").run(from, to, Date.now());
          return "requested" as const;
        });
      },
      async accept(playerId, fromId) {
        tx(() => {
          if (!linkOf(fromId, playerId, "request")) throw new RallyError("FRIEND_REQUEST_NOT_FOUND");
          befriend(playerId, fromId);
        });
      },
      async decline(playerId, otherId) {
        return tx(() => Number(q("DELETE FROM friend_links WHERE kind = 'request' AND ((owner = ? AND other = ?) OR (owner = ? AND other = ?))")
          .run(otherId, playerId, playerId, otherId).changes) > 0);
      },
      async remove(playerId, otherId) {
        return tx(() => Number(q("DELETE FROM friend_links WHERE kind = 'friend' AND ((owner = ? AND other = ?) OR (owner = ? AND other = ?))")
          .run(playerId, otherId, otherId, playerId).changes) > 0);
      },
      async block(playerId, otherId) {
        tx(() => {
          q("DELETE FROM friend_links WHERE kind != 'block' AND ((owner = ? AND other = ?) OR (owner = ? AND other = ?))").run(playerId, otherId, otherId, playerId);
          q("INSERT OR IGNORE INTO friend_links (owner, other, kind, since) VALUES (?, ?, 'block', ?)").run(playerId, otherId, Date.now());
        });
      },
      async unblock(playerId, otherId) {
        return tx(() => Number(q("DELETE FROM friend_links WHERE owner = ? AND other = ? AND kind = 'block'").run(playerId, otherId).changes) > 0);
      },
      async list(playerId) {
        return read(() => {
          const mine = (q("SELECT other, kind, since FROM friend_links WHERE owner = ?").all(playerId) as Row[])
            .map((r): FriendLink => ({ playerId: r.other as string, kind: r.kind === "friend" ? "friend" : r.kind === "request" ? "outgoing" : "blocked", since: Number(r.since) }));
          const incoming = (q("SELECT owner, since FROM friend_links WHERE other = ? AND kind = 'request'").all(playerId) as Row[])
            .map((r): FriendLink => ({ playerId: r.owner as string, kind: "incoming", since: Number(r.since) }));
          return [...mine, ...incoming].sort((a, b) => a.since - b.since || (a.playerId < b.playerId ? -1 : 1));
        });
      },
      async friendIds(playerId) {
        return read(() => (q("SELECT other FROM friend_links WHERE owner = ? AND kind = 'friend' ORDER BY other").all(playerId) as Row[]).map((r) => r.other as string));
      },
      async areFriends(a, b) {
        return read(() => linkOf(a, b, "friend"));
      },
      async blocked(a, b) {
        return read(() => linkOf(a, b, "block") || linkOf(b, a, "block"));
      },
    },
    events: {
      async append(events) {
        if (events.length === 0) return;
        tx(() => {
          for (const e of events) q("INSERT INTO events (at, type, player_id, data) VALUES (?, ?, ?, ?)").run(e.at, e.type, e.playerId, JSON.stringify(e.data));
        });
      },
      async count() {
        return read(() => Number((q("SELECT COUNT(*) AS n FROM events").get() as Row).n));
      },
    },
    ...sqlChatRepos(async (sql, params) => read(() => q(sql).all(...(params as Array<string | number | null>)) as Row[])),
    async close() {
      if (closed) return;
      closed = true;
      db.close();
    },
  };
  return store;
}
