/**
 * Player data over HTTP and in the services: accounts (register, login, brute force), rotating
 * refresh tokens, logout, profiles behind the cache (never stale after a write; Redis down degrades
 * to the store), results (ratings, stats, history paging, rewards, leaderboards), inventory, admin
 * and bans (HTTP and room join), CORS, trusted proxies.
 */
import assert from "node:assert/strict";
import { Redis } from "ioredis";
import type { MatchResult } from "../../../rooms/index.ts";
import { LruCache, RedisCache, type Cache } from "../../../server/cache/index.ts";
import { ProfileService } from "../../../server/players/profiles.ts";
import { LeaderboardService } from "../../../server/players/leaderboards.ts";
import { WriteBehindQueue } from "../../../server/players/write-behind.ts";
import { seasonId } from "../../../server/players/seasons.ts";
import { createMemoryStore, type Store } from "../../../server/store/index.ts";
import { startRedis, type RedisHandle } from "../../support/processes.ts";
import { startTestNode, type TestNode } from "../../support/rooms.ts";
import { sleep } from "../../support/wait.ts";
import { refusedWith } from "../../support/refusal.ts";

const ADMIN_TOKEN = "admin-token-0123456789-abcdefghijklmn";
interface Json { [k: string]: any } // eslint-disable-line @typescript-eslint/no-explicit-any

async function call(base: string, method: string, path: string, body?: unknown, token?: string, headers: Record<string, string> = {}): Promise<{ status: number; body: Json; headers: Headers }> {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: { ...(body !== undefined ? { "content-type": "application/json" } : {}), ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers },
    body: body !== undefined ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as Json) : {}, headers: res.headers };
}
const code = (r: { body: Json }) => r.body.error?.code as string | undefined;

function result(matchId: string, a: string, b: string, winnerTeam: number | null = 0, endedAt = Date.now()): MatchResult {
  return {
    matchId, roomName: "arena", region: "local", mode: "arena", outcome: "completed", reason: "score-limit",
    startedAt: endedAt - 60_000, endedAt, durationMs: 60_000,
    teams: [{ team: 0, score: 15, playerIds: [a] }, { team: 1, score: 3, playerIds: [b] }],
    players: [
      { playerId: a, name: "A", team: 0, score: 15, present: true },
      { playerId: b, name: "B", team: 1, score: 3, present: true },
    ],
    winnerTeam,
  };
}

describe("player data over HTTP", () => {
  let t: TestNode;
  before(async () => {
    t = await startTestNode({ ADMIN_TOKEN, AUTH_RATE_PER_MIN: "1000", LOGIN_SLOW_AFTER: "2", LOGIN_LOCKOUT_AFTER: "4", CORS_ORIGINS: "https://game.example.com" });
  });
  after(async () => t.close());
  const guest = async () => (await call(t.url, "POST", "/v1/auth/guest", {})).body as { playerId: string; token: string; refreshToken: string; name: string };

  describe("accounts", () => {
    it("upgrades a guest to username + password, logs in case-insensitively, keeps the same player", async () => {
      const g = await guest();
      const reg = await call(t.url, "POST", "/v1/auth/register", { username: "Alice", password: "correct horse" }, g.token);
      assert.equal(reg.status, 201, JSON.stringify(reg.body));
      assert.equal(reg.body.playerId, g.playerId);
      const login = await call(t.url, "POST", "/v1/auth/login", { username: "aLICE", password: "correct horse" });
      assert.equal(login.status, 200);
      assert.equal(login.body.playerId, g.playerId);
      assert.equal((await call(t.url, "GET", "/v1/players/me", undefined, login.body.token)).body.username, "Alice");
    });

    it("usernames are unique case-insensitively; a guest registers once; bodies are validated", async () => {
      const g1 = await guest(), g2 = await guest();
      assert.equal((await call(t.url, "POST", "/v1/auth/register", { username: "Bob_1", password: "password1" }, g1.token)).status, 201);
      assert.equal(code(await call(t.url, "POST", "/v1/auth/register", { username: "bob_1", password: "password1" }, g2.token)), "USERNAME_TAKEN");
      assert.equal(code(await call(t.url, "POST", "/v1/auth/register", { username: "Bob_2", password: "password1" }, g1.token)), "ALREADY_REGISTERED");
      assert.equal(code(await call(t.url, "POST", "/v1/auth/register", { username: "x", password: "password1" }, g2.token)), "BAD_REQUEST");
      assert.equal(code(await call(t.url, "POST", "/v1/auth/register", { username: "carol", password: "short" }, g2.token)), "BAD_REQUEST");
      assert.equal(code(await call(t.url, "POST", "/v1/auth/register", { username: "carol", password: "password1", admin: true }, g2.token)), "BAD_REQUEST");
      assert.equal(code(await call(t.url, "POST", "/v1/auth/register", { username: "carol", password: "password1" })), "AUTH_MISSING_TOKEN");
    });

    it("a wrong password and an unknown username are the same 401; failures are slowed, then locked out", async () => {
      const g = await guest();
      await call(t.url, "POST", "/v1/auth/register", { username: "dave", password: "right-password" }, g.token);
      assert.equal(code(await call(t.url, "POST", "/v1/auth/login", { username: "nobody-here", password: "x" })), "AUTH_BAD_CREDENTIALS");
      const times: number[] = [];
      for (let i = 0; i < 4; i++) {
        const t0 = Date.now();
        assert.equal(code(await call(t.url, "POST", "/v1/auth/login", { username: "dave", password: "wrong" })), "AUTH_BAD_CREDENTIALS");
        times.push(Date.now() - t0);
      }
      assert.ok(times[3] >= 450, `the 4th failure is slowed (${times.join(", ")} ms)`);
      const locked = await call(t.url, "POST", "/v1/auth/login", { username: "DAVE", password: "right-password" });
      assert.equal(locked.status, 429);
      assert.equal(code(locked), "ACCOUNT_LOCKED", "even the right password is refused while locked");
      assert.ok(Number(locked.headers.get("retry-after")) > 0);
    });
  });

  describe("refresh tokens", () => {
    it("rotate: each refresh token works once; replaying an old one revokes the family", async () => {
      const g = await guest();
      const r1 = await call(t.url, "POST", "/v1/auth/refresh", { refreshToken: g.refreshToken });
      assert.equal(r1.status, 200);
      assert.notEqual(r1.body.refreshToken, g.refreshToken);
      const r2 = await call(t.url, "POST", "/v1/auth/refresh", { refreshToken: r1.body.refreshToken });
      assert.equal(r2.status, 200);
      const replay = await call(t.url, "POST", "/v1/auth/refresh", { refreshToken: g.refreshToken });
      assert.equal(code(replay), "AUTH_TOKEN_REUSED");
      assert.equal(code(await call(t.url, "POST", "/v1/auth/refresh", { refreshToken: r2.body.refreshToken })), "AUTH_REVOKED", "the family is gone");
      const other = await call(t.url, "POST", "/v1/auth/login", { username: "none", password: "none" });
      assert.equal(other.status, 401);
    });

    it("logout revokes the session; other sessions of the player keep working", async () => {
      const g = await call(t.url, "POST", "/v1/auth/guest", { deviceId: "device-logout-1" });
      const second = await call(t.url, "POST", "/v1/auth/guest", { deviceId: "device-logout-1" });
      assert.equal((await call(t.url, "POST", "/v1/auth/logout", { refreshToken: g.body.refreshToken })).status, 204);
      assert.equal(code(await call(t.url, "POST", "/v1/auth/refresh", { refreshToken: g.body.refreshToken })), "AUTH_REVOKED");
      assert.equal((await call(t.url, "POST", "/v1/auth/refresh", { refreshToken: second.body.refreshToken })).status, 200);
    });
  });

  describe("profiles", () => {
    it("GET /v1/players/me, PATCH a validated name (never a stale read after it), public view of others", async () => {
      const g = await guest(), other = await guest();
      const me = await call(t.url, "GET", "/v1/players/me", undefined, g.token);
      assert.equal(me.body.name, g.name);
      for (let i = 0; i < 5; i++) {
        const name = `Renamed ${i}`;
        assert.equal((await call(t.url, "PATCH", "/v1/players/me", { name }, g.token)).status, 200);
        assert.equal((await call(t.url, "GET", "/v1/players/me", undefined, g.token)).body.name, name, "the write is visible at once");
      }
      for (const bad of [{ name: "x" }, { name: "<script>" }, { name: "ok name", rating: 1 }, { name: "a".repeat(25) }]) {
        assert.equal(code(await call(t.url, "PATCH", "/v1/players/me", bad, g.token)), "BAD_REQUEST", JSON.stringify(bad));
      }
      const pub = await call(t.url, "GET", `/v1/players/${g.playerId}`, undefined, other.token);
      assert.deepEqual(Object.keys(pub.body).sort(), ["createdAt", "name", "playerId", "ratings"]);
      assert.equal(code(await call(t.url, "GET", "/v1/players/no-such-player", undefined, other.token)), "NOT_FOUND");
    });
  });

  describe("results, history, leaderboards, rewards", () => {
    it("a result updates ratings and stats once, pays rewards, appends history, pages it", async () => {
      const a = await guest(), b = await guest();
      const sink = t.node.players.results;
      const base = Date.now() - 100_000;
      for (let i = 0; i < 5; i++) await sink.report(result(`hist-${a.playerId}-${i}`, a.playerId, b.playerId, 0, base + i * 1000));
      await sink.report(result(`hist-${a.playerId}-0`, a.playerId, b.playerId, 1, base)); // duplicate: ignored
      const me = await call(t.url, "GET", "/v1/players/me", undefined, a.token);
      const arena = me.body.ratings.find((r: Json) => r.mode === "arena");
      assert.equal(arena.wins, 5);
      assert.equal(arena.matches, 5);
      assert.ok(arena.mu > 25 && arena.sigma < 25 / 3 && typeof arena.mmr === "number");
      assert.deepEqual((await call(t.url, "GET", "/v1/players/me/inventory", undefined, b.token)).body.items, { coins: 125 });
      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const page: { body: Json } = await call(t.url, "GET", `/v1/players/me/matches?limit=2${cursor ? `&cursor=${cursor}` : ""}`, undefined, a.token);
        seen.push(...page.body.matches.map((m: Json) => m.matchId));
        cursor = page.body.nextCursor;
      } while (cursor);
      assert.deepEqual(seen, [4, 3, 2, 1, 0].map((i) => `hist-${a.playerId}-${i}`));
      assert.equal(code(await call(t.url, "GET", "/v1/players/me/matches?cursor=garbage", undefined, a.token)), "BAD_REQUEST");
      assert.equal(code(await call(t.url, "GET", "/v1/players/me/matches?limit=1000", undefined, a.token)), "BAD_REQUEST");

      const board = await call(t.url, "GET", "/v1/leaderboards/rating.arena?around=me&limit=3", undefined, b.token);
      assert.equal(board.status, 200, JSON.stringify(board.body));
      assert.equal(board.body.season, seasonId("monthly", Date.now()));
      assert.equal(board.body.me.playerId, b.playerId);
      assert.ok(board.body.entries.some((e: Json) => e.playerId === b.playerId));
      const top = await call(t.url, "GET", "/v1/leaderboards/score.arena?limit=100", undefined, b.token);
      assert.ok(top.body.entries.find((e: Json) => e.playerId === a.playerId).score === 15);
      assert.equal((await call(t.url, "GET", "/v1/leaderboards/rating.arena?season=1999-01", undefined, b.token)).body.total, 0, "another season's board is separate");
    });
  });

  describe("inventory", () => {
    it("consume with an idempotency key: retries are no-ops, never negative, concurrent last item: one wins", async () => {
      const g = await guest();
      const grant = await call(t.url, "POST", `/v1/admin/players/${g.playerId}/items`, { items: { potion: 1, coins: 10 }, idempotencyKey: "grant-key-1" }, ADMIN_TOKEN);
      assert.equal(grant.status, 200, JSON.stringify(grant.body));
      assert.equal((await call(t.url, "POST", `/v1/admin/players/${g.playerId}/items`, { items: { potion: 1, coins: 10 }, idempotencyKey: "grant-key-1" }, ADMIN_TOKEN)).body.applied, false);
      const out = await Promise.all(Array.from({ length: 5 }, (_, i) =>
        call(t.url, "POST", "/v1/players/me/inventory/consume", { items: { potion: 1 }, idempotencyKey: `use-potion-${i}` }, g.token)));
      assert.equal(out.filter((r) => r.status === 200).length, 1);
      assert.ok(out.filter((r) => r.status !== 200).every((r) => code(r) === "INSUFFICIENT_ITEMS"));
      assert.deepEqual((await call(t.url, "GET", "/v1/players/me/inventory", undefined, g.token)).body.items, { coins: 10 });
      assert.equal(code(await call(t.url, "POST", "/v1/players/me/inventory/consume", { items: { coins: -5 }, idempotencyKey: "negative-1" }, g.token)), "BAD_REQUEST");
    });
  });

  describe("admin and bans", () => {
    it("admin routes need the admin token", async () => {
      const g = await guest();
      assert.equal(code(await call(t.url, "GET", `/v1/admin/players/${g.playerId}`)), "AUTH_MISSING_TOKEN");
      assert.equal(code(await call(t.url, "GET", `/v1/admin/players/${g.playerId}`, undefined, g.token)), "FORBIDDEN");
      const read = await call(t.url, "GET", `/v1/admin/players/${g.playerId}`, undefined, ADMIN_TOKEN);
      assert.equal(read.body.playerId, g.playerId);
    });

    it("set a rating: visible in the profile at once and on the leaderboard", async () => {
      const g = await guest();
      await call(t.url, "GET", "/v1/players/me", undefined, g.token); // cached
      const set = await call(t.url, "PUT", `/v1/admin/players/${g.playerId}/rating`, { mode: "arena", rating: 2400 }, ADMIN_TOKEN);
      assert.equal(set.status, 200, JSON.stringify(set.body));
      assert.equal(set.body.rating, 2400);
      const arena = (await call(t.url, "GET", "/v1/players/me", undefined, g.token)).body.ratings.find((r: Json) => r.mode === "arena");
      assert.equal(arena.mmr, set.body.mmr);
      const board = await call(t.url, "GET", "/v1/leaderboards/rating.arena?around=me", undefined, g.token);
      assert.equal(board.body.me.score, set.body.mmr);
    });

    it("a banned player's tokens stop at the next request, refresh and room join", async () => {
      const g = await guest();
      assert.equal((await call(t.url, "GET", "/v1/players/me", undefined, g.token)).status, 200);
      assert.equal((await call(t.url, "POST", `/v1/admin/players/${g.playerId}/ban`, { reason: "cheating" }, ADMIN_TOKEN)).status, 200);
      assert.equal(code(await call(t.url, "GET", "/v1/players/me", undefined, g.token)), "PLAYER_BANNED");
      assert.equal(code(await call(t.url, "POST", "/v1/auth/refresh", { refreshToken: g.refreshToken })), "AUTH_REVOKED");
      await assert.rejects(t.client(g.token).joinOrCreate("arena", {}), refusedWith("PLAYER_BANNED"));
      await call(t.url, "DELETE", `/v1/admin/players/${g.playerId}/ban`, undefined, ADMIN_TOKEN);
      assert.equal((await call(t.url, "GET", "/v1/players/me", undefined, g.token)).status, 200, "lifting the ban restores the access token");
    });
  });

  describe("gateway", () => {
    it("CORS: an allowed origin is echoed, any other gets no Allow-Origin (matchmaking and /v1)", async () => {
      for (const path of ["/v1/auth/guest", "/matchmake/joinOrCreate/arena"]) {
        const ok = await fetch(`${t.url}${path}`, { method: "OPTIONS", headers: { origin: "https://game.example.com" } });
        assert.equal(ok.headers.get("access-control-allow-origin"), "https://game.example.com", path);
        const evil = await fetch(`${t.url}${path}`, { method: "OPTIONS", headers: { origin: "https://evil.example.net" } });
        assert.equal(evil.headers.get("access-control-allow-origin"), null, path);
        assert.notEqual(evil.headers.get("access-control-allow-credentials"), "true", path);
      }
      const res = await fetch(`${t.url}/v1/auth/guest`, { method: "POST", headers: { origin: "https://evil.example.net" } });
      assert.equal(res.headers.get("access-control-allow-origin"), null);
    });

    it("helmet headers on /v1", async () => {
      const res = await fetch(`${t.url}/v1/auth/guest`, { method: "POST" });
      assert.equal(res.headers.get("x-content-type-options"), "nosniff");
      assert.ok(res.headers.get("content-security-policy"));
    });
  });
});

describe("trusted proxies and per-address limits", () => {
  it("without TRUST_PROXY a forged X-Forwarded-For does not escape the limit; with it, each forwarded address has its own budget", async () => {
    const strict = await startTestNode({ AUTH_RATE_PER_MIN: "2" });
    try {
      for (let i = 0; i < 3; i++) await call(strict.url, "POST", "/v1/auth/guest", {}, undefined, { "x-forwarded-for": `10.0.0.${i}` });
      assert.equal(code(await call(strict.url, "POST", "/v1/auth/guest", {}, undefined, { "x-forwarded-for": "10.0.0.99" })), "RATE_LIMITED");
    } finally {
      await strict.close();
    }
    const proxied = await startTestNode({ AUTH_RATE_PER_MIN: "2", TRUST_PROXY: "loopback" });
    try {
      for (let i = 0; i < 4; i++) assert.equal((await call(proxied.url, "POST", "/v1/auth/guest", {}, undefined, { "x-forwarded-for": `10.0.0.${i}` })).status, 200);
    } finally {
      await proxied.close();
    }
  });
});

describe("profile cache", () => {
  let store: Store;
  beforeEach(async () => { store = await createMemoryStore(); });
  afterEach(async () => store.close());

  /** A store whose player reads can be held, to line a read up against a write. */
  function slowReads(inner: Store) {
    let gate: Promise<void> | null = null;
    let release = () => {};
    const s: Store = { ...inner, players: { ...inner.players, get: async (id) => { const v = await inner.players.get(id); if (gate) await gate; return v; } } };
    return { store: s, hold() { gate = new Promise((r) => { release = r; }); }, release() { gate = null; release(); } };
  }

  async function neverStale(cache: Cache) {
    const slow = slowReads(store);
    const profiles = new ProfileService(slow.store, cache, 300_000);
    const p = await store.players.guest();
    assert.equal((await profiles.get(p.id))?.name, p.name);
    // A reader loads the old record, then a write lands and invalidates, then the reader tries to fill.
    await profiles.changed(p.id);
    slow.hold();
    const racing = profiles.get(p.id);
    await sleep(20);
    await store.players.rename(p.id, "After Write");
    await profiles.changed(p.id);
    slow.release();
    assert.equal((await racing)?.name, p.name, "the racing reader saw the old value (fine: it started before the write)");
    assert.equal((await profiles.get(p.id))?.name, "After Write", "but it did not put the old value back in the cache");
    // Cached reads are hits until the next write.
    const hits = profiles.hits;
    await profiles.get(p.id);
    assert.equal(profiles.hits, hits + 1);
  }

  it("LRU: a stale profile is never served after a write (even when a read races the write)", async () => {
    await neverStale(new LruCache());
  });

  describe("with Redis", () => {
    let redis: RedisHandle;
    let client: Redis;
    before(async () => { redis = await startRedis(); });
    after(async () => redis.stop());
    beforeEach(() => { client = new Redis(redis.url, { enableOfflineQueue: false, maxRetriesPerRequest: 0, commandTimeout: 300 }); client.on("error", () => undefined); });
    afterEach(() => client.disconnect());

    it("Redis: a stale profile is never served after a write", async () => {
      await new Promise((r) => client.once("ready", r));
      await neverStale(new RedisCache(client, { distrustMs: 300_000 }));
    });

    it("Redis down: reads fall back to the store and stay correct; the API keeps answering", async () => {
      await new Promise((r) => client.once("ready", r));
      const profiles = new ProfileService(store, new RedisCache(client, { distrustMs: 300_000 }), 300_000);
      const p = await store.players.guest();
      await profiles.get(p.id);
      assert.equal((await profiles.get(p.id))?.name, p.name);
      client.disconnect(); // Redis unreachable from here on
      await store.players.rename(p.id, "While Down");
      await profiles.changed(p.id); // the invalidation cannot reach Redis
      assert.equal((await profiles.get(p.id))?.name, "While Down");
    });

    it("leaderboards: Redis fast path agrees with the store, rebuilds from it, and falls back when Redis is down", async () => {
      await new Promise((r) => client.once("ready", r));
      const boards = new LeaderboardService(store, client);
      for (const [id, score] of [["p1", 10], ["p2", 30], ["p3", 20], ["p4", 30], ["p5", 5]] as const) {
        await boards.submit({ board: "score.arena.all", playerId: id, score, keep: "best" });
      }
      const viaRedis = await boards.top("score.arena.all", 10);
      assert.deepEqual(viaRedis.entries, await store.leaderboards.top("score.arena.all", 10));
      assert.equal(await client.zcard("rally:lb:score.arena.all"), 5);
      await boards.submit({ board: "score.arena.all", playerId: "p5", score: 25, keep: "best" });
      const around = await boards.around("score.arena.all", "p5", 3);
      assert.deepEqual(around.me, { playerId: "p5", score: 25, rank: 3 });
      assert.deepEqual(around.entries.map((e) => e.playerId), ["p2", "p5", "p3"]);
      await client.del("rally:lb:score.arena.all");
      assert.equal(await boards.rebuild("score.arena.all"), 5);
      assert.deepEqual((await boards.top("score.arena.all", 10)).entries, await store.leaderboards.top("score.arena.all", 10));
      client.disconnect();
      assert.deepEqual((await boards.around("score.arena.all", "p5", 3)).me, { playerId: "p5", score: 25, rank: 3 });
    });
  });
});

describe("write-behind queue", () => {
  it("is bounded (drops the oldest), never blocks push, flushes everything on close", async () => {
    const written: number[] = [];
    const q = new WriteBehindQueue<number>({ write: async (b) => { written.push(...b); }, max: 5, batch: 2, intervalMs: 60_000 });
    for (let i = 0; i < 8; i++) q.push(i);
    assert.equal(q.size, 5);
    assert.equal(q.dropped, 3);
    await q.close();
    assert.deepEqual(written, [3, 4, 5, 6, 7]);
  });

  it("keeps a failed batch and writes it on the next flush", async () => {
    let fail = true;
    const written: number[] = [];
    const q = new WriteBehindQueue<number>({ write: async (b) => { if (fail) throw new Error("down"); written.push(...b); }, max: 10, batch: 10, intervalMs: 60_000 });
    q.push(1); q.push(2);
    await q.flush();
    assert.equal(q.size, 2);
    fail = false;
    await q.close();
    assert.deepEqual(written, [1, 2]);
  });
});
